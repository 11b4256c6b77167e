//! The database: RocksDB's architecture over the host's VFS.
//!
//! Files (flat, in the VFS), all in RocksDB's formats so that `ldb` opens the directory:
//! `CURRENT` → `MANIFEST-NNNNNN` (the live tables per column family and level, as VersionEdits),
//! `NNNNNN.log` (the write-ahead log, WriteBatch records), `NNNNNN.sst` (block-based tables).
//!
//! Write path: log record → memtable; a full memtable is flushed to a level-0 table; leveled
//! compaction keeps each level within its target size. Read path: memtable, then level-0 tables
//! newest first, then one table per deeper level.
//!
//! Invariants:
//! - Every acknowledged write is in the memtable and in a log numbered ≥ its column family's
//!   `log_number`, or in a table the MANIFEST lists.
//! - A file becomes live only through a synced MANIFEST record naming it, and is deleted only
//!   after a synced record stops naming it: a crash at any point leaves CURRENT naming a MANIFEST
//!   whose files all exist (files it does not name are leftovers, deleted on the next open).
//! - `last_sequence` in the MANIFEST is ≥ every sequence number in a live table.

mod checkpoint;
mod column_family;
mod compact;
pub(crate) mod db_iter;
mod flush;
mod levels;
mod options;
pub(crate) mod range_del;
mod read;
mod recovery;
mod table_set;
mod write;

pub use checkpoint::CheckpointFiles;
pub use column_family::{DEFAULT_CF, DEFAULT_CF_NAME};
pub use db_iter::DbIterator;
pub use flush::Maintenance;
pub use levels::NUM_LEVELS;
pub use options::{
    prefix_successor, ColumnFamilyOptions, Options, ReadOptions, WriteOptions,
    DEFAULT_PERIODIC_COMPACTION_SECONDS,
};
pub use recovery::RecoveryInfo;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::batch::WriteBatch;
use crate::dbformat::SequenceNumber;
use crate::log::LogWriter;
pub use crate::log::{RecoveryMode, TailReport};
use crate::version::ManifestWriter;
use crate::vfs::Vfs;
use crate::{Error, Result};
use column_family::ColumnFamily;
use table_set::TableSet;

/// Counters and sizes, for `stats()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbStats {
    /// Entries in the memtables (puts, deletes, merges: an upper bound of live keys there).
    pub memtable_entries: u64,
    /// Bytes the memtables hold.
    pub memtable_bytes: u64,
    /// Per level: (files, bytes), summed over column families.
    pub levels: Vec<(u64, u64)>,
    /// Entries in all live tables (an upper bound of live keys there).
    pub table_entries: u64,
    /// Bytes in the current log.
    pub log_bytes: u64,
    /// Number of the current log.
    pub log_number: u64,
    /// Sequence number of the last write.
    pub last_sequence: u64,
    /// Flushes since open.
    pub flushes: u64,
    /// Compactions since open (trivial moves included).
    pub compactions: u64,
    /// Bytes written to tables by flushes and compactions since open.
    pub table_bytes_written: u64,
    /// Open snapshots.
    pub snapshots: u64,
    /// The block cache's counters (capacity, usage, hits, misses, evictions).
    pub block_cache: crate::cache::CacheStats,
    /// Why flushing or compacting is on hold (storage full or not ready), if it is.
    pub maintenance_error: Option<String>,
}

/// A consistent point to read at; release it with [`Db::release_snapshot`] so that compaction
/// can drop the versions it keeps alive.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    seq: SequenceNumber,
}

impl Snapshot {
    /// The sequence number it reads at.
    pub fn sequence(&self) -> SequenceNumber {
        self.seq
    }
}

/// An open database. Single-threaded: the host serializes calls.
pub struct Db {
    vfs: Box<dyn Vfs>,
    options: Options,
    cfs: BTreeMap<u32, ColumnFamily>,
    max_column_family: u32,
    tables: TableSet,
    log: LogWriter,
    log_number: u64,
    manifest: ManifestWriter,
    next_file_number: u64,
    last_sequence: SequenceNumber,
    /// Open snapshots: sequence → how many handles.
    snapshots: BTreeMap<SequenceNumber, usize>,
    /// Reused by `put`/`delete`/`merge` so that single writes allocate nothing once warmed up.
    scratch: WriteBatch,
    /// Set when a failure left the log or MANIFEST in an unknown state; later writes fail with
    /// this reason, reads go on.
    write_error: Option<String>,
    closed: bool,
    recovery: RecoveryInfo,
    stats: DbStats,
    /// Table numbers each pinned checkpoint references: kept on disk until released.
    pins: BTreeMap<u64, Vec<u64>>,
    next_pin: u64,
    /// A flush or compaction that failed for want of space after a successful write; retried
    /// by the next write (`write::stall_if_needed`).
    /// (the error, memtable bytes when it happened).
    deferred_maintenance: Option<(crate::Error, usize)>,
    /// The compaction in progress, advanced by `maintain`.
    job: Option<compact::CompactionJob>,
    /// The host's time in ms (see [`Db::set_time`]), shared with compaction filters.
    clock: Arc<AtomicI64>,
}

impl Db {
    /// What open recovered.
    pub fn recovery(&self) -> &RecoveryInfo {
        &self.recovery
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// `(id, name)` of every column family.
    pub fn column_families(&self) -> Vec<(u32, String)> {
        self.cfs
            .iter()
            .map(|(id, cf)| (*id, cf.name.clone()))
            .collect()
    }

    /// The id of the column family called `name`.
    pub fn column_family_id(&self, name: &str) -> Option<u32> {
        self.cfs
            .iter()
            .find(|(_, cf)| cf.name == name)
            .map(|(id, _)| *id)
    }

    /// Sets the current time, in ms since the epoch: the engine has no clock of its own (wasm
    /// has none), so the host keeps it. New tables record it (whole seconds) as their creation
    /// time, periodic compaction ([`ColumnFamilyOptions::periodic_compaction_seconds`]) measures
    /// a table's age by it, and filters holding [`Db::clock`] (state TTL's) judge by it. It
    /// starts at 0, when nothing is old. A time before a table's creation time makes it young.
    pub fn set_time(&mut self, now_ms: i64) {
        self.clock.store(now_ms, Ordering::Relaxed);
    }

    /// The time last given to [`Db::set_time`], in ms (0 if none).
    pub fn time_ms(&self) -> i64 {
        self.clock.load(Ordering::Relaxed)
    }

    /// The time as compaction filters should read it: shared, so that [`Db::set_time`] moves
    /// theirs too.
    pub fn clock(&self) -> Arc<AtomicI64> {
        Arc::clone(&self.clock)
    }

    /// The time in whole seconds since the epoch, as table creation times are kept (0 before
    /// the epoch).
    fn now_secs(&self) -> u64 {
        u64::try_from(self.time_ms()).unwrap_or(0) / 1000
    }

    /// Takes a snapshot of the current state.
    pub fn snapshot(&mut self) -> Snapshot {
        *self.snapshots.entry(self.last_sequence).or_insert(0) += 1;
        Snapshot {
            seq: self.last_sequence,
        }
    }

    /// Releases a snapshot taken by [`Db::snapshot`].
    pub fn release_snapshot(&mut self, snapshot: Snapshot) {
        if let Some(count) = self.snapshots.get_mut(&snapshot.seq) {
            *count -= 1;
            if *count == 0 {
                self.snapshots.remove(&snapshot.seq);
            }
        }
    }

    fn snapshot_list(&self) -> Vec<SequenceNumber> {
        self.snapshots.keys().copied().collect()
    }

    /// Sequence number of the last write.
    pub fn last_sequence(&self) -> SequenceNumber {
        self.last_sequence
    }

    /// Counters describing the database.
    pub fn stats(&self) -> DbStats {
        let mut s = self.stats.clone();
        s.memtable_entries = self.cfs.values().map(|cf| cf.mem.len() as u64).sum();
        s.memtable_bytes = self
            .cfs
            .values()
            .map(|cf| cf.mem.approximate_memory_usage() as u64)
            .sum();
        s.levels = (0..NUM_LEVELS)
            .map(|l| {
                self.cfs.values().fold((0, 0), |(n, b), cf| {
                    (
                        n + cf.levels.files(l).len() as u64,
                        b + cf.levels.level_bytes(l),
                    )
                })
            })
            .collect();
        s.table_entries = self.tables.total_entries();
        s.log_bytes = self.log.len();
        s.log_number = self.log_number;
        s.last_sequence = self.last_sequence;
        s.snapshots = self.snapshots.values().map(|&n| n as u64).sum();
        s.block_cache = self.tables.cache_stats();
        s.maintenance_error = self
            .deferred_maintenance
            .as_ref()
            .map(|(e, _)| e.to_string());
        s
    }

    /// Size of column family `cf`: `(entries, bytes)` over its memtable and tables. Entries
    /// count every version and tombstone (an upper bound of live keys, as RocksDB's
    /// `rocksdb.estimate-num-keys`); bytes are table file sizes plus memtable memory.
    pub fn column_family_size(&self, cf: u32) -> Result<(u64, u64)> {
        let cf = self.cf(cf)?;
        let mut entries = cf.mem.len() as u64;
        let mut bytes = cf.mem.approximate_memory_usage() as u64;
        for (_, file) in cf.levels.all_files() {
            bytes += file.file_size;
            entries += self
                .tables
                .get(file.number)
                .map_or(0, |t| t.properties().num_entries);
        }
        Ok((entries, bytes))
    }

    /// Hands log records kept in the write buffer (`Options::wal_buffer_size`) to storage, without
    /// syncing: from then on they survive the loss of the process.
    pub fn write_wal(&mut self) -> Result<()> {
        self.check_writable()?;
        self.log.write_buffered()
    }

    /// Bytes of log records not handed to storage yet.
    pub fn wal_buffered(&self) -> usize {
        self.log.buffered()
    }

    /// Makes every acknowledged write durable.
    pub fn sync(&mut self) -> Result<()> {
        self.check_writable()?;
        self.log.sync()
    }

    /// Hands buffered log records to storage, syncs the log and closes the database; every later
    /// call fails with [`Error::Closed`]. Closing a closed database is a no-op. A read-only
    /// database (after an uncertain failure) hands over what it acknowledged before it too.
    ///
    /// Acknowledged writes are never dropped silently:
    /// - storage full or not ready ([`Error::is_out_of_space`]) and the hand-over undone: the
    ///   error is returned and the database stays open, its records still buffered — free space
    ///   and close again;
    /// - any other failure closes the database and is returned; if buffered records were lost
    ///   with it, as an `Io` error (`op` "close", kind `Other`) saying how many bytes of
    ///   acknowledged writes could not be persisted.
    pub fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        let Err(e) = self.log.sync() else {
            self.closed = true;
            return Ok(());
        };
        if e.is_out_of_space() && !self.log.is_poisoned() {
            return Err(e);
        }
        self.closed = true;
        match self.log.buffered() {
            0 => Err(e),
            lost => Err(Error::Io {
                op: "close",
                file: self.log.file_name().to_owned(),
                kind: crate::IoErrorKind::Other,
                message: format!(
                    "{lost} bytes of acknowledged writes (buffered log records) could not be \
                     persisted and are lost: {e}"
                ),
            }),
        }
    }

    /// Whether [`Db::close`] has closed the database.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    fn check_open(&self) -> Result<()> {
        if self.closed {
            return Err(Error::Closed);
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<()> {
        self.check_open()?;
        match &self.write_error {
            Some(reason) => Err(Error::Io {
                op: "write",
                file: self.log.file_name().to_owned(),
                kind: crate::IoErrorKind::Other,
                message: format!("database is read-only after an earlier failure: {reason}"),
            }),
            None => Ok(()),
        }
    }

    fn cf(&self, id: u32) -> Result<&ColumnFamily> {
        self.cfs.get(&id).ok_or_else(|| no_column_family(id))
    }

    fn cf_mut(&mut self, id: u32) -> Result<&mut ColumnFamily> {
        self.cfs.get_mut(&id).ok_or_else(|| no_column_family(id))
    }

    fn new_file_number(&mut self) -> u64 {
        let n = self.next_file_number;
        self.next_file_number += 1;
        n
    }
}

/// The error for a column family id that names none.
fn no_column_family(id: u32) -> Error {
    Error::InvalidArgument(format!("no column family with id {id}"))
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod write_failure_tests;
