//! The memtable: recent writes as internal keys (user key, sequence, type), newest first per
//! user key, plus the range tombstones written since the last flush.
//!
//! Representation: a `BTreeMap` ordered by [`compare_internal_keys`]. This is the correct and
//! simple form; an arena skiplist (no per-entry allocation) is the planned replacement, behind
//! this same API.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::ops::Bound;

use crate::dbformat::{
    append_internal_key, compare_internal_keys, parse_internal_key, SequenceNumber, ValueType,
};
use crate::iter::InternalIterator;
use crate::Result;

/// Estimated bookkeeping bytes per entry (tree node share, two vector headers).
const ENTRY_OVERHEAD: usize = 64;

/// An internal key ordered as the engine orders them.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IKey(Vec<u8>);

impl Ord for IKey {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_internal_keys(&self.0, &other.0)
    }
}

impl PartialOrd for IKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A range tombstone: user keys in `start..end` older than `seq` are deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeTombstone {
    /// First user key deleted.
    pub start: Vec<u8>,
    /// First user key not deleted.
    pub end: Vec<u8>,
    /// Sequence number of the deletion.
    pub seq: SequenceNumber,
}

/// The newest entry of a user key visible at a snapshot, and merge operands above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemGet<'a> {
    /// No visible entry of the key.
    NotFound,
    /// A value.
    Found {
        /// Its sequence number.
        seq: SequenceNumber,
        /// The value.
        value: &'a [u8],
    },
    /// A (point) deletion.
    Deleted {
        /// Its sequence number.
        seq: SequenceNumber,
    },
    /// Merge operands (newest first), then what is below them here.
    Merged {
        /// `(sequence, operand)`, newest first.
        operands: Vec<(SequenceNumber, &'a [u8])>,
        /// The entry below the operands.
        base: MergeBase<'a>,
    },
}

/// What lies below a run of merge operands in the memtable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeBase<'a> {
    /// A value.
    Value {
        /// Its sequence number.
        seq: SequenceNumber,
        /// The value.
        value: &'a [u8],
    },
    /// A deletion.
    Deleted {
        /// Its sequence number.
        seq: SequenceNumber,
    },
    /// Nothing older here: continue in older tables.
    NotInMemtable,
}

/// The memtable.
#[derive(Debug, Default)]
pub struct MemTable {
    entries: BTreeMap<IKey, Vec<u8>>,
    tombstones: Vec<RangeTombstone>,
    bytes: usize,
}

impl MemTable {
    /// An empty memtable.
    pub fn new() -> MemTable {
        MemTable::default()
    }

    /// Adds an entry. REQUIRES: `seq` was not used before (sequence numbers are unique).
    pub fn add(&mut self, seq: SequenceNumber, kind: ValueType, key: &[u8], value: &[u8]) {
        let mut ikey = Vec::with_capacity(key.len() + 8);
        append_internal_key(&mut ikey, key, seq, kind);
        self.bytes += ikey.len() + value.len() + ENTRY_OVERHEAD;
        self.entries.insert(IKey(ikey), value.to_vec());
    }

    /// Adds a range tombstone over `start..end` (ignored if empty).
    pub fn add_range_deletion(&mut self, seq: SequenceNumber, start: &[u8], end: &[u8]) {
        if start >= end {
            return;
        }
        self.bytes += start.len() + end.len() + ENTRY_OVERHEAD;
        self.tombstones.push(RangeTombstone {
            start: start.to_vec(),
            end: end.to_vec(),
            seq,
        });
    }

    /// The range tombstones, in the order written.
    pub fn range_deletions(&self) -> &[RangeTombstone] {
        &self.tombstones
    }

    /// Number of point entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no point entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Bytes held, as counted against the write buffer size.
    pub fn approximate_memory_usage(&self) -> usize {
        self.bytes
    }

    /// The newest entries of `key` visible at `snapshot` (range tombstones not applied).
    pub fn get(&self, key: &[u8], snapshot: SequenceNumber) -> MemGet<'_> {
        let mut lookup = Vec::with_capacity(key.len() + 8);
        crate::dbformat::append_lookup_key(&mut lookup, key, snapshot);
        let mut operands = Vec::new();
        for (ikey, value) in self
            .entries
            .range((Bound::Included(IKey(lookup)), Bound::Unbounded))
        {
            let Some(p) = parse_internal_key(&ikey.0) else {
                break;
            };
            if p.user_key != key {
                break;
            }
            match p.kind {
                ValueType::Merge => operands.push((p.sequence, value.as_slice())),
                ValueType::Value => {
                    if operands.is_empty() {
                        return MemGet::Found {
                            seq: p.sequence,
                            value,
                        };
                    }
                    let base = MergeBase::Value {
                        seq: p.sequence,
                        value,
                    };
                    return MemGet::Merged { operands, base };
                }
                _ => {
                    if operands.is_empty() {
                        return MemGet::Deleted { seq: p.sequence };
                    }
                    return MemGet::Merged {
                        operands,
                        base: MergeBase::Deleted { seq: p.sequence },
                    };
                }
            }
        }
        if operands.is_empty() {
            MemGet::NotFound
        } else {
            MemGet::Merged {
                operands,
                base: MergeBase::NotInMemtable,
            }
        }
    }

    /// An iterator over all point entries in internal-key order.
    pub fn iter(&self) -> MemTableIterator<'_> {
        MemTableIterator {
            table: self,
            current: None,
        }
    }
}

/// Iterates over a memtable's entries. Each step is a tree lookup from the current key.
pub struct MemTableIterator<'a> {
    table: &'a MemTable,
    current: Option<(&'a IKey, &'a Vec<u8>)>,
}

impl<'a> MemTableIterator<'a> {
    fn set(&mut self, entry: Option<(&'a IKey, &'a Vec<u8>)>) {
        self.current = entry;
    }
}

impl InternalIterator for MemTableIterator<'_> {
    fn valid(&self) -> bool {
        self.current.is_some()
    }
    fn seek_to_first(&mut self) -> Result<()> {
        let e = self.table.entries.iter().next();
        self.set(e);
        Ok(())
    }
    fn seek_to_last(&mut self) -> Result<()> {
        let e = self.table.entries.iter().next_back();
        self.set(e);
        Ok(())
    }
    fn seek(&mut self, target: &[u8]) -> Result<()> {
        let t = IKey(target.to_vec());
        let e = self
            .table
            .entries
            .range((Bound::Included(t), Bound::Unbounded))
            .next();
        self.set(e);
        Ok(())
    }
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        let t = IKey(target.to_vec());
        let e = self
            .table
            .entries
            .range((Bound::Unbounded, Bound::Included(t)))
            .next_back();
        self.set(e);
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        if let Some((k, _)) = self.current {
            let e = self
                .table
                .entries
                .range((Bound::Excluded(k), Bound::Unbounded))
                .next();
            self.set(e);
        }
        Ok(())
    }
    fn prev(&mut self) -> Result<()> {
        if let Some((k, _)) = self.current {
            let e = self
                .table
                .entries
                .range((Bound::Unbounded, Bound::Excluded(k)))
                .next_back();
            self.set(e);
        }
        Ok(())
    }
    fn key(&self) -> &[u8] {
        self.current.map_or(&[], |(k, _)| k.0.as_slice())
    }
    fn value(&self) -> &[u8] {
        self.current.map_or(&[], |(_, v)| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_reports_newest_visible_entry_and_merge_operands() {
        let mut m = MemTable::new();
        m.add(1, ValueType::Value, b"k", b"base");
        m.add(2, ValueType::Merge, b"k", b"+a");
        m.add(3, ValueType::Merge, b"k", b"+b");
        m.add(4, ValueType::Deletion, b"k", b"");
        assert_eq!(m.get(b"k", 4), MemGet::Deleted { seq: 4 });
        assert_eq!(
            m.get(b"k", 3),
            MemGet::Merged {
                operands: vec![(3, &b"+b"[..]), (2, &b"+a"[..])],
                base: MergeBase::Value {
                    seq: 1,
                    value: b"base"
                }
            }
        );
        assert_eq!(
            m.get(b"k", 1),
            MemGet::Found {
                seq: 1,
                value: b"base"
            }
        );
        assert_eq!(m.get(b"k", 0), MemGet::NotFound);
        assert_eq!(m.get(b"j", 9), MemGet::NotFound);
    }

    #[test]
    fn iterator_walks_both_ways_in_internal_key_order() -> Result<()> {
        let mut m = MemTable::new();
        m.add(5, ValueType::Value, b"b", b"");
        m.add(7, ValueType::Value, b"a", b"");
        m.add(9, ValueType::Value, b"b", b"");
        let mut it = m.iter();
        it.seek_to_first()?;
        let mut seen = Vec::new();
        while it.valid() {
            let p = parse_internal_key(it.key()).map(|p| (p.user_key.to_vec(), p.sequence));
            seen.push(p);
            it.next()?;
        }
        assert_eq!(
            seen,
            vec![
                Some((b"a".to_vec(), 7)),
                Some((b"b".to_vec(), 9)),
                Some((b"b".to_vec(), 5))
            ]
        );
        it.seek_to_last()?;
        it.prev()?;
        assert_eq!(parse_internal_key(it.key()).map(|p| p.sequence), Some(9));
        Ok(())
    }
}
