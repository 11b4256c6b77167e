//! The iterator every sorted source of internal keys implements: memtables, table blocks,
//! whole tables, levels, and the merging iterator over all of them.

use crate::Result;

/// A cursor over internal keys in [`crate::dbformat::compare_internal_keys`] order.
///
/// Positioning calls return an error only on I/O failure or corruption; after an error the
/// iterator is not valid. `key` and `value` borrow from the iterator and stay valid until the
/// next positioning call.
pub trait InternalIterator {
    /// Whether the cursor is on an entry.
    fn valid(&self) -> bool;
    /// Moves to the first entry.
    fn seek_to_first(&mut self) -> Result<()>;
    /// Moves to the last entry.
    fn seek_to_last(&mut self) -> Result<()>;
    /// Moves to the first entry whose internal key is `>= target`.
    fn seek(&mut self, target: &[u8]) -> Result<()>;
    /// Moves to the last entry whose internal key is `<= target`.
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()>;
    /// Moves to the next entry. REQUIRES: `valid()`.
    fn next(&mut self) -> Result<()>;
    /// Moves to the previous entry. REQUIRES: `valid()`.
    fn prev(&mut self) -> Result<()>;
    /// The current internal key. REQUIRES: `valid()`.
    fn key(&self) -> &[u8];
    /// The current value. REQUIRES: `valid()`.
    fn value(&self) -> &[u8];
}

mod merging;
mod vec_iter;

pub use merging::MergingIterator;
pub use vec_iter::VecIterator;
