//! An [`InternalIterator`] over an owned, sorted vector: range tombstone lists, tests.

use super::InternalIterator;
use crate::dbformat::compare_internal_keys;
use crate::Result;
use std::cmp::Ordering;

/// Iterates over `(internal key, value)` pairs sorted by internal key.
#[derive(Debug, Clone, Default)]
pub struct VecIterator {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    /// Index of the current entry; `entries.len()` when not valid.
    pos: usize,
}

impl VecIterator {
    /// An iterator over `entries`, which are sorted here.
    pub fn new(mut entries: Vec<(Vec<u8>, Vec<u8>)>) -> VecIterator {
        entries.sort_by(|a, b| compare_internal_keys(&a.0, &b.0));
        let pos = entries.len();
        VecIterator { entries, pos }
    }

    fn current(&self) -> Option<&(Vec<u8>, Vec<u8>)> {
        self.entries.get(self.pos)
    }
}

impl InternalIterator for VecIterator {
    fn valid(&self) -> bool {
        self.pos < self.entries.len()
    }
    fn seek_to_first(&mut self) -> Result<()> {
        self.pos = 0;
        Ok(())
    }
    fn seek_to_last(&mut self) -> Result<()> {
        self.pos = self
            .entries
            .len()
            .checked_sub(1)
            .unwrap_or(self.entries.len());
        Ok(())
    }
    fn seek(&mut self, target: &[u8]) -> Result<()> {
        self.pos = self
            .entries
            .partition_point(|(k, _)| compare_internal_keys(k, target) == Ordering::Less);
        Ok(())
    }
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        let after = self
            .entries
            .partition_point(|(k, _)| compare_internal_keys(k, target) != Ordering::Greater);
        self.pos = after.checked_sub(1).unwrap_or(self.entries.len());
        Ok(())
    }
    fn next(&mut self) -> Result<()> {
        self.pos = (self.pos + 1).min(self.entries.len());
        Ok(())
    }
    fn prev(&mut self) -> Result<()> {
        self.pos = self.pos.checked_sub(1).unwrap_or(self.entries.len());
        Ok(())
    }
    fn key(&self) -> &[u8] {
        self.current().map_or(&[], |(k, _)| k)
    }
    fn value(&self) -> &[u8] {
        self.current().map_or(&[], |(_, v)| v)
    }
}
