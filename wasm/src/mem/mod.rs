//! The memtable: recent writes as internal keys (user key, sequence, type), newest first per
//! user key, plus the range tombstones written since the last flush.
//!
//! Representation: a skiplist whose entries live in an arena of large blocks (`arena.rs`,
//! `skiplist.rs`): an insert allocates nothing of its own, only now and then a new block.

mod arena;
mod skiplist;

use crate::dbformat::{
    append_internal_key, pack_trailer, parse_internal_key, SequenceNumber, ValueType,
    VALUE_TYPE_FOR_SEEK,
};
use crate::iter::InternalIterator;
use crate::Result;
use skiplist::{SkipList, NIL};

/// Bookkeeping bytes per range tombstone.
const TOMBSTONE_OVERHEAD: usize = 64;

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
    list: SkipList,
    tombstones: Vec<RangeTombstone>,
    tombstone_bytes: usize,
    /// Reused to build internal keys for inserts and lookups.
    scratch: Vec<u8>,
}

impl MemTable {
    /// An empty memtable.
    pub fn new() -> MemTable {
        MemTable::default()
    }

    /// Adds an entry. REQUIRES: `seq` was not used before (sequence numbers are unique).
    pub fn add(&mut self, seq: SequenceNumber, kind: ValueType, key: &[u8], value: &[u8]) {
        self.scratch.clear();
        append_internal_key(&mut self.scratch, key, seq, kind);
        self.list.insert(&self.scratch, value);
    }

    /// Adds a range tombstone over `start..end` (ignored if empty).
    pub fn add_range_deletion(&mut self, seq: SequenceNumber, start: &[u8], end: &[u8]) {
        if start >= end {
            return;
        }
        self.tombstone_bytes += start.len() + end.len() + TOMBSTONE_OVERHEAD;
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
        self.list.len()
    }

    /// Whether there are no point entries.
    pub fn is_empty(&self) -> bool {
        self.list.len() == 0
    }

    /// Bytes held, as counted against the write buffer size.
    pub fn approximate_memory_usage(&self) -> usize {
        self.list.memory_usage() + self.tombstone_bytes
    }

    /// The newest entries of `key` visible at `snapshot` (range tombstones not applied).
    pub fn get(&self, key: &[u8], snapshot: SequenceNumber) -> MemGet<'_> {
        let mut node = self.seek_lookup(key, snapshot);
        let mut operands = Vec::new();
        while node != NIL {
            let (ikey, value) = self.list.entry(node);
            node = self.list.successor(node);
            let Some(p) = parse_internal_key(ikey) else {
                break;
            };
            if p.user_key != key {
                break;
            }
            match p.kind {
                ValueType::Merge => operands.push((p.sequence, value)),
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

    /// The first node of `key` visible at `snapshot`. Keys up to 56 bytes build the lookup key
    /// on the stack: no allocation per read.
    fn seek_lookup(&self, key: &[u8], snapshot: SequenceNumber) -> u32 {
        let trailer = pack_trailer(snapshot, VALUE_TYPE_FOR_SEEK).to_le_bytes();
        let mut small = [0u8; 64];
        match small.get_mut(..key.len() + 8) {
            Some(buf) => {
                let (k, t) = buf.split_at_mut(key.len());
                k.copy_from_slice(key);
                t.copy_from_slice(&trailer);
                self.list.seek(buf)
            }
            None => {
                let mut long = Vec::with_capacity(key.len() + 8);
                long.extend_from_slice(key);
                long.extend_from_slice(&trailer);
                self.list.seek(&long)
            }
        }
    }

    /// An iterator over all point entries in internal-key order.
    pub fn iter(&self) -> MemTableIterator<'_> {
        MemTableIterator {
            list: &self.list,
            node: NIL,
        }
    }
}

/// Iterates over a memtable's entries.
pub struct MemTableIterator<'a> {
    list: &'a SkipList,
    node: u32,
}

impl InternalIterator for MemTableIterator<'_> {
    fn valid(&self) -> bool {
        self.node != NIL
    }
    fn seek_to_first(&mut self) -> Result<()> {
        self.node = self.list.first();
        Ok(())
    }
    fn seek_to_last(&mut self) -> Result<()> {
        self.node = self.list.last();
        Ok(())
    }
    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.node = self.list.seek(target);
        Ok(())
    }
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.node = self.list.seek_before(target, true);
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        if self.node != NIL {
            self.node = self.list.successor(self.node);
        }
        Ok(())
    }
    fn prev(&mut self) -> Result<()> {
        if self.node != NIL {
            self.node = self.list.predecessor(self.node);
        }
        Ok(())
    }
    fn key(&self) -> &[u8] {
        if self.node == NIL {
            return &[];
        }
        self.list.entry(self.node).0
    }
    fn value(&self) -> &[u8] {
        if self.node == NIL {
            return &[];
        }
        self.list.entry(self.node).1
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
