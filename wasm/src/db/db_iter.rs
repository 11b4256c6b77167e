//! The user's view of a column family: one entry per live user key, at a snapshot.
//!
//! Wraps the merged internal stream (memtables + tables, newest entry of a key first) and
//! hides what a reader must not see: entries newer than the snapshot, deleted keys (point and
//! range tombstones), older versions, and merge operands (combined with the merge operator).
//!
//! Invariants: moving forward, `inner` is positioned on or after the entries of `key()`;
//! moving backward, `inner` is positioned on the last entry *before* `key()`'s entries. A change
//! of direction re-seeks `inner`.

use std::sync::Arc;

use super::range_del::RangeTombstones;
use crate::dbformat::{
    append_internal_key, append_lookup_key, parse_internal_key, user_key, SequenceNumber,
    ValueType, MAX_SEQUENCE,
};
use crate::iter::InternalIterator;
use crate::merge::MergeOperator;
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Forward,
    Backward,
}

/// Bounds and snapshot of a user iterator.
#[derive(Debug, Clone, Default)]
pub struct ReadBounds {
    /// Smallest user key returned (inclusive).
    pub lower: Option<Vec<u8>>,
    /// First user key not returned (exclusive).
    pub upper: Option<Vec<u8>>,
}

/// Iterates over live user keys and their values in bytewise key order, either way.
pub struct DbIterator<'a> {
    inner: Box<dyn InternalIterator + 'a>,
    snapshot: SequenceNumber,
    tombstones: RangeTombstones,
    merge: Option<Arc<dyn MergeOperator>>,
    bounds: ReadBounds,
    /// `ReadOptions::keys_only`: nothing is merged or copied, and `value` stays empty.
    keys_only: bool,
    direction: Direction,
    valid: bool,
    key: Vec<u8>,
    value: Vec<u8>,
    /// Reused buffers: a seek key, and the entries of one user key while moving backward.
    scratch: Vec<u8>,
    pending: Vec<(SequenceNumber, ValueType, Vec<u8>)>,
}

/// One visible entry of a user key, newest first, as the resolver consumes them.
type Entry<'e> = (SequenceNumber, ValueType, &'e [u8]);

impl<'a> DbIterator<'a> {
    /// A user iterator over `inner` (not yet positioned) as of `snapshot`.
    pub fn new(
        inner: Box<dyn InternalIterator + 'a>,
        snapshot: SequenceNumber,
        tombstones: RangeTombstones,
        merge: Option<Arc<dyn MergeOperator>>,
        bounds: ReadBounds,
        keys_only: bool,
    ) -> DbIterator<'a> {
        DbIterator {
            inner,
            snapshot,
            tombstones,
            merge,
            bounds,
            keys_only,
            direction: Direction::Forward,
            valid: false,
            key: Vec::new(),
            value: Vec::new(),
            scratch: Vec::new(),
            pending: Vec::new(),
        }
    }

    /// Whether the iterator is on an entry.
    pub fn valid(&self) -> bool {
        self.valid
    }

    /// The current user key. REQUIRES: `valid()`.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The current value. REQUIRES: `valid()`.
    pub fn value(&self) -> &[u8] {
        &self.value
    }

    /// Moves to the first live key (at or after the lower bound).
    pub fn seek_to_first(&mut self) -> Result<()> {
        match self.bounds.lower.clone() {
            Some(lower) => self.seek(&lower),
            None => {
                self.direction = Direction::Forward;
                self.inner.seek_to_first()?;
                self.find_next_visible()
            }
        }
    }

    /// Moves to the last live key (before the upper bound).
    pub fn seek_to_last(&mut self) -> Result<()> {
        self.direction = Direction::Backward;
        match &self.bounds.upper {
            Some(upper) => {
                self.scratch.clear();
                append_lookup_key(&mut self.scratch, upper, MAX_SEQUENCE);
                self.inner.seek_for_prev(&self.scratch)?;
            }
            None => self.inner.seek_to_last()?,
        }
        self.find_prev_visible()
    }

    /// Moves to the first live key `>= target`.
    pub fn seek(&mut self, target: &[u8]) -> Result<()> {
        let target = match &self.bounds.lower {
            Some(lower) if target < lower.as_slice() => lower.clone(),
            _ => target.to_vec(),
        };
        self.direction = Direction::Forward;
        self.scratch.clear();
        append_lookup_key(&mut self.scratch, &target, self.snapshot);
        self.inner.seek(&self.scratch)?;
        self.find_next_visible()
    }

    /// Moves to the last live key `<= target`.
    pub fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        self.direction = Direction::Backward;
        self.scratch.clear();
        match &self.bounds.upper {
            Some(upper) if target >= upper.as_slice() => {
                append_lookup_key(&mut self.scratch, upper, MAX_SEQUENCE);
            }
            // The smallest internal key of `target`: the last entry <= it is `target`'s oldest.
            _ => append_internal_key(&mut self.scratch, target, 0, ValueType::Deletion),
        }
        self.inner.seek_for_prev(&self.scratch)?;
        self.find_prev_visible()
    }

    /// Moves to the next live key. REQUIRES: `valid()`.
    #[expect(
        clippy::should_implement_trait,
        reason = "a fallible cursor, not an Iterator"
    )]
    pub fn next(&mut self) -> Result<()> {
        if !self.valid {
            return Ok(());
        }
        if self.direction == Direction::Backward {
            self.scratch.clear();
            append_lookup_key(&mut self.scratch, &self.key, MAX_SEQUENCE);
            self.inner.seek(&self.scratch)?;
            self.direction = Direction::Forward;
        }
        while self.inner.valid() && user_key(self.inner.key()) == self.key.as_slice() {
            self.inner.next()?;
        }
        self.find_next_visible()
    }

    /// Moves to the previous live key. REQUIRES: `valid()`.
    pub fn prev(&mut self) -> Result<()> {
        if !self.valid {
            return Ok(());
        }
        if self.direction == Direction::Forward {
            self.scratch.clear();
            append_lookup_key(&mut self.scratch, &self.key, MAX_SEQUENCE);
            self.inner.seek_for_prev(&self.scratch)?;
            self.direction = Direction::Backward;
        }
        self.find_prev_visible()
    }

    fn corrupt(&self, what: &str) -> Error {
        Error::Corruption {
            file: String::new(),
            offset: 0,
            reason: format!("{what} (key {:02x?})", self.inner.key()),
        }
    }

    /// From `inner`'s position forward, finds the next user key that is live at the snapshot.
    fn find_next_visible(&mut self) -> Result<()> {
        self.valid = false;
        while self.inner.valid() {
            let parsed = parse_internal_key(self.inner.key())
                .ok_or_else(|| self.corrupt("malformed internal key"))?;
            if let Some(upper) = &self.bounds.upper {
                if parsed.user_key >= upper.as_slice() {
                    return Ok(());
                }
            }
            if parsed.sequence > self.snapshot {
                self.inner.next()?;
                continue;
            }
            // The newest visible entry of this user key.
            self.key.clear();
            self.key.extend_from_slice(parsed.user_key);
            let deleted_below = self.tombstones.max_covering_seq(&self.key);
            let kind = if parsed.sequence < deleted_below {
                ValueType::Deletion
            } else {
                parsed.kind
            };
            match kind {
                ValueType::Value => {
                    self.value.clear();
                    if !self.keys_only {
                        self.value.extend_from_slice(self.inner.value());
                    }
                    self.valid = true;
                    return Ok(());
                }
                ValueType::Merge => {
                    // Operands always merge into a value (or fail to): the key is live either way.
                    if self.keys_only {
                        self.value.clear();
                    } else {
                        self.merge_forward(deleted_below)?;
                    }
                    self.valid = true;
                    return Ok(());
                }
                _ => {
                    while self.inner.valid() && user_key(self.inner.key()) == self.key.as_slice() {
                        self.inner.next()?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `inner` is on the newest visible entry of `key`, a merge operand: collects operands down
    /// to a base (value, deletion, or none) and sets `value` to the merged result.
    fn merge_forward(&mut self, deleted_below: SequenceNumber) -> Result<()> {
        let mut operands: Vec<Vec<u8>> = vec![self.inner.value().to_vec()];
        let mut base: Option<Vec<u8>> = None;
        self.inner.next()?;
        while self.inner.valid() {
            let parsed = parse_internal_key(self.inner.key())
                .ok_or_else(|| self.corrupt("malformed internal key"))?;
            if parsed.user_key != self.key.as_slice() || parsed.sequence < deleted_below {
                break;
            }
            match parsed.kind {
                ValueType::Merge => operands.push(self.inner.value().to_vec()),
                ValueType::Value => {
                    base = Some(self.inner.value().to_vec());
                    break;
                }
                _ => break,
            }
            self.inner.next()?;
        }
        operands.reverse();
        let refs: Vec<&[u8]> = operands.iter().map(Vec::as_slice).collect();
        self.value.clear();
        full_merge(
            self.merge.as_deref(),
            &self.key,
            base.as_deref(),
            &refs,
            &mut self.value,
        )
    }

    /// From `inner`'s position backward, finds the previous user key that is live.
    fn find_prev_visible(&mut self) -> Result<()> {
        self.valid = false;
        while self.inner.valid() {
            let current = user_key(self.inner.key()).to_vec();
            if let Some(lower) = &self.bounds.lower {
                if current.as_slice() < lower.as_slice() {
                    return Ok(());
                }
            }
            if let Some(upper) = &self.bounds.upper {
                if current.as_slice() >= upper.as_slice() {
                    self.inner.prev()?;
                    continue;
                }
            }
            // Collect the visible entries of `current`, met oldest first.
            self.pending.clear();
            while self.inner.valid() && user_key(self.inner.key()) == current.as_slice() {
                let parsed = parse_internal_key(self.inner.key())
                    .ok_or_else(|| self.corrupt("malformed internal key"))?;
                if parsed.sequence <= self.snapshot {
                    self.pending
                        .push((parsed.sequence, parsed.kind, self.inner.value().to_vec()));
                }
                self.inner.prev()?;
            }
            let deleted_below = self.tombstones.max_covering_seq(&current);
            let pending = std::mem::take(&mut self.pending);
            let newest_first = pending
                .iter()
                .rev()
                .map(|(seq, kind, v)| (*seq, *kind, v.as_slice()));
            let mut value = std::mem::take(&mut self.value);
            let live = if self.keys_only {
                value.clear();
                Ok(is_live(deleted_below, newest_first))
            } else {
                resolve(
                    self.merge.as_deref(),
                    &current,
                    deleted_below,
                    newest_first,
                    &mut value,
                )
            };
            self.value = value;
            self.pending = pending;
            if live? {
                self.key = current;
                self.valid = true;
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Whether a user key with these visible entries (newest first) is live, as [`resolve`] would
/// find it, without merging: its newest entry above the range tombstones is a value or an operand.
fn is_live<'e>(
    deleted_below: SequenceNumber,
    mut newest_first: impl Iterator<Item = Entry<'e>>,
) -> bool {
    matches!(newest_first.next(), Some((seq, ValueType::Value | ValueType::Merge, _)) if seq >= deleted_below)
}

/// Resolves the visible entries of one user key (newest first) into its value; `false` if the
/// key is deleted or has no visible entry.
pub(crate) fn resolve<'e>(
    merge: Option<&dyn MergeOperator>,
    key: &[u8],
    deleted_below: SequenceNumber,
    newest_first: impl Iterator<Item = Entry<'e>>,
    out: &mut Vec<u8>,
) -> Result<bool> {
    let mut operands: Vec<&[u8]> = Vec::new();
    let mut base: Option<&[u8]> = None;
    for (seq, kind, value) in newest_first {
        if seq < deleted_below {
            break;
        }
        match kind {
            ValueType::Merge => operands.push(value),
            ValueType::Value => {
                base = Some(value);
                break;
            }
            _ => break,
        }
    }
    out.clear();
    if operands.is_empty() {
        return Ok(match base {
            Some(v) => {
                out.extend_from_slice(v);
                true
            }
            None => false,
        });
    }
    operands.reverse();
    full_merge(merge, key, base, &operands, out)?;
    Ok(true)
}

fn full_merge(
    merge: Option<&dyn MergeOperator>,
    key: &[u8],
    base: Option<&[u8]>,
    operands_oldest_first: &[&[u8]],
    out: &mut Vec<u8>,
) -> Result<()> {
    let op = merge.ok_or_else(|| {
        Error::InvalidArgument(format!(
            "key {key:02x?} has merge operands but its column family has no merge operator"
        ))
    })?;
    op.full_merge(key, base, operands_oldest_first, out)
}
