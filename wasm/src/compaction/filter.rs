//! The compaction filter hook: lets the host drop entries while compaction rewrites them
//! (state TTL uses it, so that expired state does not grow without bound).

/// What to do with a value met during compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterDecision {
    /// Keep the entry as it is.
    Keep,
    /// Delete it: compaction writes a tombstone in its place (or nothing at the bottom level).
    Remove,
}

/// Decides, per value, whether compaction keeps it. Called only for entries newer than every
/// open snapshot (as RocksDB does), so removing one never changes what a snapshot reads.
pub trait CompactionFilter {
    /// A name for logs and stats.
    fn name(&self) -> &str;
    /// Decides for `value` of `user_key` found at `level` (the compaction's input level).
    fn filter(&self, level: usize, user_key: &[u8], value: &[u8]) -> FilterDecision;
    /// Decides for a key whose merge failed, which compaction keeps as separate entries (see
    /// `compaction::collapse`): `parts` are what the merge would have joined, oldest first (the
    /// value under the operands, if any, then the operands), and nothing older of the key is
    /// left below them. `Remove` deletes the key as `filter` deletes a value. By default the
    /// parts are kept: only a filter that can judge a merged value by its parts should say
    /// otherwise.
    fn filter_unmerged(&self, _level: usize, _user_key: &[u8], _parts: &[&[u8]]) -> FilterDecision {
        FilterDecision::Keep
    }
}
