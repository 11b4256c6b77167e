//! Options of a database, a column family, a write and a read.

use std::sync::Arc;

use crate::compaction::CompactionFilter;
use crate::dbformat::SequenceNumber;
use crate::log::RecoveryMode;
use crate::merge::{ListAppend, MergeOperator};
use crate::table::{Compression, TableOptions};
use crate::{Error, Result};

/// Hard ceiling for size limits: lengths are stored as varint32, and wasm32 has 4 GiB of memory.
const MAX_LIMIT: usize = 1 << 30;

/// How a database is opened.
#[derive(Clone)]
pub struct Options {
    /// Longest key accepted, in bytes (default 64 KiB). Longer keys fail with
    /// [`Error::KeyTooLarge`] and write nothing.
    pub max_key_size: usize,
    /// Longest value, merge operand and `ListAppend` merged list, in bytes (default 64 MiB). A
    /// longer value or operand fails its write with [`Error::ValueTooLarge`] and writes nothing.
    /// A list whose operands add up past it fails only the reads that merge it; flush and
    /// compaction keep its operands unmerged (see [`crate::merge`]).
    pub max_value_size: usize,
    /// What recovery does with a damaged log (default: drop a torn tail, fail on damage in the
    /// middle).
    pub recovery_mode: RecoveryMode,
    /// A column family's memtable is flushed to a table when it reaches this size (default
    /// 4 MiB).
    pub write_buffer_size: usize,
    /// One memory budget for write buffers and the block cache, in bytes (default 64 MiB):
    /// `cache_share` of it for the block cache, the rest for memtables (all are flushed when their
    /// total reaches it; each is also flushed at `write_buffer_size`). Not included: each open
    /// table's index and filter blocks (kept in memory, about 1–2% of table bytes with 4 KiB
    /// blocks).
    pub memory_budget: usize,
    /// Fraction of `memory_budget` given to the block cache, in `[0, 1)` (default 0.5): the cache
    /// gets `floor(memory_budget × cache_share)` bytes, memtables the rest (never none).
    pub cache_share: f64,
    /// Size of new tables' data blocks, before compression (default 4 KiB).
    pub block_size: usize,
    /// Bloom filter bits per key for new tables (0: no filter). Default 10 (~1% false positives).
    pub bloom_bits_per_key: u32,
    /// Compression of new tables' data blocks (default none).
    pub compression: Compression,
    /// Level 0 is compacted into level 1 when it holds this many files (default 4).
    pub level0_compaction_trigger: usize,
    /// Target size of level 1 (default 64 MiB); each deeper level is `level_multiplier` times
    /// larger.
    pub max_bytes_for_level_base: u64,
    /// Growth factor between levels (default 10).
    pub level_multiplier: u64,
    /// Size at which compaction starts a new output table (default 8 MiB).
    pub target_file_size: u64,
    /// Run flushes and compactions inside the write that makes them necessary (default). When
    /// false, the host calls [`super::Db::maintain`] to run them in steps.
    pub inline_maintenance: bool,
    /// Bytes of log records kept in memory before they are handed to storage in one write (0,
    /// the default: every write hands its record over before returning). With a buffer, a write
    /// that returned survives the loss of the process only once [`super::Db::write_wal`], a sync,
    /// a flush or close handed it over — RocksDB's `manual_wal_flush`. Saves a storage call per
    /// write where those are slow (OPFS).
    pub wal_buffer_size: usize,
    /// Options of the default column family.
    pub default_cf: ColumnFamilyOptions,
    /// Options of every other column family that `Db::open_with` does not list by name (for
    /// hosts that give all their families the same behaviour, e.g. one merge operator).
    pub unlisted_cf: ColumnFamilyOptions,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_key_size: 64 << 10,
            max_value_size: 64 << 20,
            recovery_mode: RecoveryMode::default(),
            write_buffer_size: 4 << 20,
            memory_budget: 64 << 20,
            cache_share: 0.5,
            block_size: 4096,
            bloom_bits_per_key: 10,
            compression: Compression::None,
            level0_compaction_trigger: 4,
            max_bytes_for_level_base: 64 << 20,
            level_multiplier: 10,
            target_file_size: 8 << 20,
            inline_maintenance: true,
            wal_buffer_size: 0,
            default_cf: ColumnFamilyOptions::default(),
            unlisted_cf: ColumnFamilyOptions::default(),
        }
    }
}

impl Options {
    /// Largest `memory_budget` (1 TiB). A usize holds less on wasm32, so the bindings check a
    /// budget from JavaScript against this before they convert it.
    pub(crate) const MAX_MEMORY_BUDGET: u64 = 1 << 40;

    pub(crate) fn validate(&self) -> Result<()> {
        let check = |name: &str, v: u64, lo: u64, hi: u64| {
            if v < lo || v > hi {
                return Err(Error::InvalidArgument(format!(
                    "{name} must be in {lo}..={hi}, got {v}"
                )));
            }
            Ok(())
        };
        let limit = MAX_LIMIT as u64;
        check("max_key_size", self.max_key_size as u64, 1, limit)?;
        check("max_value_size", self.max_value_size as u64, 1, limit)?;
        check(
            "write_buffer_size",
            self.write_buffer_size as u64,
            64 << 10,
            limit,
        )?;
        check("block_size", self.block_size as u64, 256, 16 << 20)?;
        check(
            "memory_budget",
            self.memory_budget as u64,
            256 << 10,
            Self::MAX_MEMORY_BUDGET,
        )?;
        check(
            "bloom_bits_per_key",
            u64::from(self.bloom_bits_per_key),
            0,
            64,
        )?;
        check(
            "level0_compaction_trigger",
            self.level0_compaction_trigger as u64,
            2,
            64,
        )?;
        check(
            "max_bytes_for_level_base",
            self.max_bytes_for_level_base,
            64 << 10,
            u64::MAX >> 8,
        )?;
        check("level_multiplier", self.level_multiplier, 2, 100)?;
        check("target_file_size", self.target_file_size, 64 << 10, limit)?;
        check("wal_buffer_size", self.wal_buffer_size as u64, 0, 64 << 20)?;
        // Below 1: memtables always keep part of the budget (with none, every write would flush).
        if !(self.cache_share >= 0.0 && self.cache_share < 1.0) {
            return Err(Error::InvalidArgument(format!(
                "cache_share must be in [0, 1), got {}",
                self.cache_share
            )));
        }
        Ok(())
    }

    /// Bytes of the block cache: `floor(memory_budget × cache_share)`, as
    /// web/src/state/lsm-options.ts computes it for its fit check.
    pub(crate) fn block_cache_size(&self) -> usize {
        // Exact for every budget below 2^53; the product of a budget and a share below 1 is
        // below the budget, so the cast neither saturates nor wraps.
        (self.memory_budget as f64 * self.cache_share) as usize
    }

    /// Bytes all memtables may hold together: the budget the block cache does not take.
    pub(crate) fn write_buffer_budget(&self) -> usize {
        self.memory_budget - self.block_cache_size()
    }

    /// How to write a table of column family `cf_id` created at `created` (seconds since the
    /// epoch, recorded as both its creation times; a compaction then sets the oldest input's).
    pub(crate) fn table_options(&self, cf_id: u32, cf_name: &str, created: u64) -> TableOptions {
        TableOptions {
            block_size: self.block_size,
            bloom_bits_per_key: self.bloom_bits_per_key,
            compression: self.compression,
            column_family_id: cf_id,
            column_family_name: cf_name.to_owned(),
            creation_time: created,
            file_creation_time: created,
            ..TableOptions::default()
        }
    }
}

/// The periodic compaction interval of a column family with a compaction filter whose
/// [`ColumnFamilyOptions::periodic_compaction_seconds`] is not set: 30 days, RocksDB's.
pub const DEFAULT_PERIODIC_COMPACTION_SECONDS: u64 = 30 * 24 * 60 * 60;

/// Per column family behaviour (not stored: give the same options on every open).
#[derive(Clone, Default)]
pub struct ColumnFamilyOptions {
    /// Combines merge operands (`merge` writes) into values.
    pub merge_operator: Option<Arc<dyn MergeOperator>>,
    /// Drops entries during compaction (e.g. expired state).
    pub compaction_filter: Option<Arc<dyn CompactionFilter>>,
    /// A table written this many seconds ago or earlier (by the time the host gives
    /// [`super::Db::set_time`]) is rewritten when no other compaction is due, so that the
    /// compaction filter sees data that no write or size limit would bring to compaction again
    /// (RocksDB's `periodic_compaction_seconds`). `Some(0)` never; `None` (the default):
    /// [`DEFAULT_PERIODIC_COMPACTION_SECONDS`] when the family has a compaction filter, else
    /// never.
    pub periodic_compaction_seconds: Option<u64>,
}

impl ColumnFamilyOptions {
    /// A family of lists ([`ListAppend`]) of at most `max_value_size` bytes each, with no
    /// compaction filter.
    pub fn list_append(max_value_size: usize) -> Self {
        ColumnFamilyOptions {
            merge_operator: Some(Arc::new(ListAppend { max_value_size })),
            ..ColumnFamilyOptions::default()
        }
    }

    /// The periodic compaction interval in effect, in seconds (`None`: no periodic compaction).
    pub fn periodic_compaction(&self) -> Option<u64> {
        match self.periodic_compaction_seconds {
            Some(0) => None,
            Some(seconds) => Some(seconds),
            None => self
                .compaction_filter
                .as_ref()
                .map(|_| DEFAULT_PERIODIC_COMPACTION_SECONDS),
        }
    }
}

/// How one write is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteOptions {
    /// Sync the log before acknowledging: the write then survives a crash of the machine, not
    /// only of the process. Without it a write survives the loss of the worker or process.
    pub sync: bool,
}

/// How one read is made.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Read as of this snapshot (default: the latest state).
    pub snapshot: Option<SequenceNumber>,
    /// Smallest key an iterator returns (inclusive).
    pub lower_bound: Option<Vec<u8>>,
    /// First key an iterator does not return (exclusive).
    pub upper_bound: Option<Vec<u8>>,
    /// An iterator that will only be asked for keys (its `value()` is always empty): values are
    /// not copied and merge operands not merged, so listing keys costs no merge, and a key whose
    /// merge fails (a list past `max_value_size`, a malformed stored operand) is listed rather
    /// than failing the scan — only reading its value reports that.
    pub keys_only: bool,
}

impl ReadOptions {
    /// Bounds that select exactly the keys starting with `prefix`.
    pub fn prefix(prefix: &[u8]) -> ReadOptions {
        ReadOptions {
            snapshot: None,
            lower_bound: Some(prefix.to_vec()),
            upper_bound: prefix_successor(prefix),
            keys_only: false,
        }
    }
}

/// The smallest key greater than every key starting with `prefix` (`None` if there is none,
/// e.g. for `ff ff`).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{Db, WriteOptions};
    use crate::vfs::MemVfs;

    fn with_share(memory_budget: usize, cache_share: f64) -> Options {
        Options {
            memory_budget,
            cache_share,
            ..Options::default()
        }
    }

    #[test]
    fn cache_share_splits_the_memory_budget_between_block_cache_and_memtables() {
        for (budget, share, cache) in [
            (64 << 20, 0.5, 32 << 20),
            (96 << 20, 0.75, 72 << 20),
            (96 << 20, 0.25, 24 << 20),
            (16 << 20, 0.5, 8 << 20),
            (256 << 10, 0.0, 0),
            // Rounded down: 1,000,001 × 0.3 = 300,000.3.
            (1_000_001, 0.3, 300_000),
        ] {
            let o = with_share(budget, share);
            assert_eq!(o.block_cache_size(), cache, "{budget} × {share}");
            assert_eq!(
                o.write_buffer_budget(),
                budget - cache,
                "{budget} × {share}"
            );
        }
    }

    #[test]
    fn the_largest_share_below_one_leaves_memtables_some_budget() {
        let share = 1.0 - f64::EPSILON / 2.0;
        for budget in [256 << 10, (1 << 30) + 1, 1 << 40] {
            let o = with_share(budget, share);
            assert!(o.validate().is_ok());
            assert!(o.write_buffer_budget() >= 1, "{budget}");
        }
    }

    #[test]
    fn cache_share_outside_zero_to_one_is_refused() {
        for share in [-0.1, 1.0, 1.5, f64::NAN, f64::INFINITY] {
            let err = with_share(64 << 20, share).validate();
            assert!(
                matches!(&err, Err(Error::InvalidArgument(m)) if m.contains("cache_share")),
                "{share}: {:?}",
                err.err()
            );
        }
        assert!(with_share(64 << 20, 0.0).validate().is_ok());
    }

    #[test]
    fn an_open_database_uses_the_split_for_its_cache_and_its_memtables() -> Result<()> {
        let budget = 1 << 20;
        let nosync = WriteOptions { sync: false };
        for (share, cache) in [(0.25, 256 << 10), (0.75, 768 << 10)] {
            let write_budget = (budget - cache) as u64;
            let opts = Options {
                // Only the memtable budget flushes here.
                write_buffer_size: 64 << 20,
                ..with_share(budget, share)
            };
            let mut db = Db::open(Box::new(MemVfs::new()), opts)?;
            assert_eq!(db.stats().block_cache.capacity, cache, "{share}");
            let mut peak = 0;
            for i in 0..20_000u32 {
                db.put(format!("key{i:06}").as_bytes(), &[7u8; 100], nosync)?;
                peak = peak.max(db.stats().memtable_bytes);
            }
            assert!(db.stats().flushes > 0, "{share}");
            // Memtables fill up to the rest of the budget (less one 64 KiB arena block), and no
            // further.
            assert!(peak <= write_budget + 1024, "{share}: peak {peak}");
            assert!(peak + (64 << 10) >= write_budget, "{share}: peak {peak}");
        }
        Ok(())
    }
}
