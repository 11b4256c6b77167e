//! The write path: validate, log, apply to memtables, flush and compact when due.

use std::sync::Arc;

use super::column_family::ColumnFamily;
use super::levels::Levels;
use super::options::{ColumnFamilyOptions, WriteOptions};
use super::Db;
use crate::batch::{BatchOp, WriteBatch};
use crate::dbformat::ValueType;
use crate::log::LogFailure;
use crate::version::VersionEdit;
use crate::{Error, Result};

impl Db {
    /// Sets `key` to `value` in column family `cf`.
    pub fn put_cf(&mut self, cf: u32, key: &[u8], value: &[u8], opts: WriteOptions) -> Result<()> {
        self.single(opts, |b| b.put_cf(cf, key, value))
    }

    /// Sets `key` to `value` in the default column family.
    pub fn put(&mut self, key: &[u8], value: &[u8], opts: WriteOptions) -> Result<()> {
        self.put_cf(0, key, value, opts)
    }

    /// Removes `key` from column family `cf` (a no-op if absent).
    pub fn delete_cf(&mut self, cf: u32, key: &[u8], opts: WriteOptions) -> Result<()> {
        self.single(opts, |b| b.delete_cf(cf, key))
    }

    /// Removes `key` from the default column family.
    pub fn delete(&mut self, key: &[u8], opts: WriteOptions) -> Result<()> {
        self.delete_cf(0, key, opts)
    }

    /// Adds a merge operand to `key` in column family `cf` (combined on read and in compaction
    /// by the column family's merge operator: no read-modify-write). An operand the operator
    /// can never use ([`crate::merge::MergeOperator::check_operand`]) fails and writes nothing.
    pub fn merge_cf(
        &mut self,
        cf: u32,
        key: &[u8],
        operand: &[u8],
        opts: WriteOptions,
    ) -> Result<()> {
        self.single(opts, |b| b.merge_cf(cf, key, operand))
    }

    /// Removes every key in `begin..end` from column family `cf`.
    pub fn delete_range_cf(
        &mut self,
        cf: u32,
        begin: &[u8],
        end: &[u8],
        opts: WriteOptions,
    ) -> Result<()> {
        self.single(opts, |b| b.delete_range_cf(cf, begin, end))
    }

    fn single(&mut self, opts: WriteOptions, fill: impl FnOnce(&mut WriteBatch)) -> Result<()> {
        let mut batch = std::mem::take(&mut self.scratch);
        batch.clear();
        fill(&mut batch);
        let result = self.write(&mut batch, opts);
        self.scratch = batch;
        result
    }

    /// Applies `batch` atomically: after a crash either all of it or none of it is there.
    /// Invalid batches (unknown column family, oversized key or value, merge without an
    /// operator or with an operand the operator can never use, empty range) fail before
    /// anything is written.
    pub fn write(&mut self, batch: &mut WriteBatch, opts: WriteOptions) -> Result<()> {
        self.check_writable()?;
        for op in batch.ops() {
            self.validate(&op)?;
        }
        self.stall_if_needed()?;
        if batch.count() == 0 {
            // Nothing to log, but a sync request still covers earlier writes.
            return if opts.sync { self.sync() } else { Ok(()) };
        }
        let first = self.last_sequence + 1;
        batch.set_sequence(first);
        let logged = if opts.sync {
            self.log.add_synced_record(batch.encoded())
        } else {
            self.log
                .add_record(batch.encoded())
                .map_err(|e| self.log.classify(e))
        };
        match logged {
            Ok(()) => {}
            // Nothing of this write is anywhere (a full storage, say): it fails alone, and the
            // database stays writable — free space and retry.
            Err(LogFailure::Refused(e)) => return Err(e),
            // The record may come back after a crash although the write failed, and its sequence
            // numbers are not taken: refuse further writes rather than guess.
            Err(LogFailure::Uncertain(e)) => {
                self.write_error = Some(format!("writing or syncing the log failed: {e}"));
                return Err(e);
            }
        }
        let mut seq = first;
        for op in batch.ops() {
            apply(&mut self.cfs, seq, &op);
            seq += 1;
        }
        self.last_sequence = seq - 1;
        if self.options.inline_maintenance {
            self.maintain_after_write()?;
        }
        Ok(())
    }

    /// Flushes and compacts after a write that is already logged and applied. When storage is
    /// full or not ready (`QuotaExceeded`, `Exhausted`), the write still succeeded: the failure
    /// is kept and maintenance retried by the next write (see `stall_if_needed`), as RocksDB
    /// treats a failed flush as a background error rather than failing the write that
    /// triggered it. Other failures are returned.
    fn maintain_after_write(&mut self) -> Result<()> {
        match self.maintain_all() {
            Ok(()) => {
                self.deferred_maintenance = None;
                Ok(())
            }
            Err(e) if e.is_out_of_space() && self.write_error.is_none() => {
                self.deferred_maintenance = Some((e, self.memtable_bytes()));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn memtable_bytes(&self) -> usize {
        self.cfs
            .values()
            .map(|cf| cf.mem.approximate_memory_usage())
            .sum()
    }

    /// Before a write, while maintenance is deferred: retries it; if it still fails and the
    /// memtables hold twice their budget, refuses the write (nothing written) with that error —
    /// memory must not grow without bound while storage stays full.
    fn stall_if_needed(&mut self) -> Result<()> {
        let Some((_, held_at_failure)) = &self.deferred_maintenance else {
            return Ok(());
        };
        if !self.options.inline_maintenance {
            return Ok(());
        }
        // Retried after another quarter write buffer of writes (a failed flush may have written
        // most of a table before the storage refused it: not on every write), or at the limit.
        let limit = 2 * self.options.write_buffer_budget();
        let held = self.memtable_bytes();
        if held >= held_at_failure + self.options.write_buffer_size / 4 || held >= limit {
            self.maintain_after_write()?;
        }
        match &self.deferred_maintenance {
            Some((e, _)) if self.memtable_bytes() >= limit => Err(e.clone()),
            _ => Ok(()),
        }
    }

    fn validate(&self, op: &BatchOp<'_>) -> Result<()> {
        let cf = self.cf(op.cf())?;
        match *op {
            BatchOp::Put { key, value, .. } => {
                self.check_key(key)?;
                self.check_value(value)
            }
            BatchOp::Delete { key, .. } | BatchOp::SingleDelete { key, .. } => self.check_key(key),
            BatchOp::Merge { key, value, .. } => {
                let Some(merge) = cf.options.merge_operator.as_deref() else {
                    return Err(Error::InvalidArgument(format!(
                        "merge into column family {:?}, which has no merge operator",
                        cf.name
                    )));
                };
                self.check_key(key)?;
                self.check_value(value)?;
                // An operand no merge could use would be stored only to fail every read of its
                // key: refused here, with the batch.
                merge.check_operand(value).map_err(|e| match e {
                    Error::InvalidArgument(why) => Error::InvalidArgument(format!(
                        "merge operand of {} bytes into column family {:?}: {why}",
                        value.len(),
                        cf.name
                    )),
                    e => e,
                })
            }
            BatchOp::DeleteRange { begin, end, .. } => {
                self.check_key(end)?;
                if begin > end {
                    return Err(Error::InvalidArgument(
                        "delete_range: begin is after end".into(),
                    ));
                }
                self.check_key(begin)
            }
        }
    }

    fn check_value(&self, value: &[u8]) -> Result<()> {
        if value.len() > self.options.max_value_size {
            return Err(Error::ValueTooLarge {
                len: value.len(),
                limit: self.options.max_value_size,
            });
        }
        Ok(())
    }

    fn check_key(&self, key: &[u8]) -> Result<()> {
        if key.len() > self.options.max_key_size {
            return Err(Error::KeyTooLarge {
                len: key.len(),
                limit: self.options.max_key_size,
            });
        }
        Ok(())
    }

    /// Creates a column family; returns its id.
    pub fn create_column_family(
        &mut self,
        name: &str,
        options: ColumnFamilyOptions,
    ) -> Result<u32> {
        self.check_writable()?;
        if name.is_empty() || self.column_family_id(name).is_some() {
            return Err(Error::InvalidArgument(format!(
                "column family name {name:?} is empty or already used"
            )));
        }
        let id = self.max_column_family + 1;
        let mut edit = VersionEdit::for_column_family(id);
        edit.column_family_add = Some(name.to_owned());
        edit.log_number = Some(self.log_number);
        edit.max_column_family = Some(id);
        self.log_manifest(&mut [edit])?;
        self.max_column_family = id;
        self.cfs.insert(
            id,
            ColumnFamily::new(name.to_owned(), options, Levels::default(), self.log_number),
        );
        Ok(id)
    }

    /// Sets (or removes) the compaction filter of column family `cf` from now on (filters are
    /// behaviour, not data: give them again after every open).
    pub fn set_compaction_filter(
        &mut self,
        cf: u32,
        filter: Option<Arc<dyn crate::compaction::CompactionFilter>>,
    ) -> Result<()> {
        self.cf_mut(cf)?.options.compaction_filter = filter;
        Ok(())
    }

    /// Sets column family `cf`'s periodic compaction interval from now on
    /// ([`ColumnFamilyOptions::periodic_compaction_seconds`]: `None` the default, `Some(0)`
    /// never), as RocksDB's `SetOptions` does.
    pub fn set_periodic_compaction_seconds(&mut self, cf: u32, seconds: Option<u64>) -> Result<()> {
        self.cf_mut(cf)?.options.periodic_compaction_seconds = seconds;
        Ok(())
    }

    /// Drops a column family and deletes its data. The default column family cannot be dropped.
    pub fn drop_column_family(&mut self, id: u32) -> Result<()> {
        self.check_writable()?;
        if id == 0 {
            return Err(Error::InvalidArgument(
                "the default column family cannot be dropped".into(),
            ));
        }
        self.cf(id)?;
        let mut edit = VersionEdit::for_column_family(id);
        edit.column_family_drop = true;
        self.log_manifest(&mut [edit])?;
        if let Some(cf) = self.cfs.remove(&id) {
            for (_, file) in cf.levels.all_files() {
                self.delete_table(file.number);
            }
        }
        Ok(())
    }
}

/// Applies one logged op at `seq` to its memtable.
pub(crate) fn apply(
    cfs: &mut std::collections::BTreeMap<u32, ColumnFamily>,
    seq: u64,
    op: &BatchOp<'_>,
) {
    let Some(cf) = cfs.get_mut(&op.cf()) else {
        // A column family dropped after the write was logged (only during recovery).
        return;
    };
    match *op {
        BatchOp::Put { key, value, .. } => cf.mem.add(seq, ValueType::Value, key, value),
        BatchOp::Delete { key, .. } => cf.mem.add(seq, ValueType::Deletion, key, &[]),
        BatchOp::SingleDelete { key, .. } => cf.mem.add(seq, ValueType::SingleDeletion, key, &[]),
        BatchOp::Merge { key, value, .. } => cf.mem.add(seq, ValueType::Merge, key, value),
        BatchOp::DeleteRange { begin, end, .. } => cf.mem.add_range_deletion(seq, begin, end),
    }
}
