//! Flushing memtables to level-0 tables, and the MANIFEST bookkeeping every file change shares.

use std::sync::Arc;

use super::Db;
use crate::compaction::collapse::{collapse_key, CollapseContext, KeyEntry};
use crate::db::range_del::RangeTombstone;
use crate::dbformat::{append_internal_key, parse_internal_key};
use crate::iter::InternalIterator;
use crate::log::{log_file_name, LogWriter};
use crate::mem::MemTable;
use crate::table::{TableBuilder, TableOptions};
use crate::version::{table_file_name, FileMetaData, VersionEdit};
use crate::vfs::{OpenMode, Vfs};
use crate::{Error, Result};

/// What one maintenance step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Maintenance {
    /// Nothing was due.
    Idle,
    /// Memtables were flushed.
    Flushed,
    /// A compaction completed.
    Compacted,
    /// A compaction advanced by one output table and goes on at the next call.
    CompactionStep,
}

impl Db {
    /// Runs one bounded step of due work, if any: a flush, or one output table's worth of a
    /// compaction. Hosts that set
    /// [`super::Options::inline_maintenance`] to false call this between requests so that no
    /// single write pays for a compaction.
    pub fn maintain(&mut self) -> Result<Maintenance> {
        self.check_writable()?;
        if self.flush_due() {
            self.flush_memtables()?;
            return Ok(Maintenance::Flushed);
        }
        Ok(match self.compact_step()? {
            None => Maintenance::Idle,
            Some(true) => Maintenance::Compacted,
            Some(false) => Maintenance::CompactionStep,
        })
    }

    pub(crate) fn maintain_all(&mut self) -> Result<()> {
        while self.maintain()? != Maintenance::Idle {}
        Ok(())
    }

    fn flush_due(&self) -> bool {
        let total: usize = self
            .cfs
            .values()
            .map(|cf| cf.mem.approximate_memory_usage())
            .sum();
        total >= self.options.write_buffer_budget()
            || self
                .cfs
                .values()
                .any(|cf| cf.mem.approximate_memory_usage() >= self.options.write_buffer_size)
    }

    /// Flushes every non-empty memtable to a level-0 table and starts a new log.
    ///
    /// Order, for crash safety: the new log is created first (later writes go there); tables are
    /// written and synced; one MANIFEST record names them and moves every column family's
    /// `log_number` to the new log; only then is the old log deleted.
    pub fn flush(&mut self) -> Result<()> {
        self.flush_memtables()?;
        if self.options.inline_maintenance {
            self.maintain_all()?;
        }
        Ok(())
    }

    fn flush_memtables(&mut self) -> Result<()> {
        self.check_writable()?;
        let new_log_number = self.new_file_number();
        let name = log_file_name(new_log_number);
        let file = self.vfs.open(&name, OpenMode::CreateTruncate)?;
        self.log.sync()?;
        let old_log = std::mem::replace(
            &mut self.log,
            LogWriter::with_buffer(file, name, self.options.wal_buffer_size),
        );
        self.log_number = new_log_number;
        drop(old_log);

        // Tables are built from the memtables in place; the memtables are swapped out only once
        // the MANIFEST names the tables. A failure (a full disk, say) so leaves every memtable
        // readable, and the logs that hold its writes live, for a later flush to retry.
        let ids: Vec<u32> = self.cfs.keys().copied().collect();
        let snapshots = self.snapshot_list();
        let mut edits = Vec::new();
        let mut written: Vec<u64> = Vec::new();
        let mut result = Ok(());
        let now = self.now_secs();
        for id in ids {
            let mut edit = VersionEdit::for_column_family(id);
            edit.log_number = Some(new_log_number);
            let number = self.next_file_number;
            let Some(cf) = self.cfs.get(&id) else {
                continue;
            };
            if !cf.mem.is_empty() || !cf.mem.range_deletions().is_empty() {
                let table_opts = self.options.table_options(id, &cf.name, now);
                let merge = cf.options.merge_operator.clone();
                match write_memtable(
                    self.vfs.as_ref(),
                    number,
                    table_opts,
                    &cf.mem,
                    merge.as_deref(),
                    &snapshots,
                ) {
                    Ok(built) => {
                        self.next_file_number += 1;
                        if let Some(meta) = built {
                            written.push(meta.number);
                            self.stats.table_bytes_written += meta.file_size;
                            edit.new_files.push((0, meta));
                        }
                    }
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            edits.push(edit);
        }
        if result.is_ok() {
            result = self.log_manifest(&mut edits);
        }
        if let Err(e) = result {
            for number in written {
                let _ = self.vfs.delete(&table_file_name(number));
            }
            return Err(e);
        }
        for edit in &edits {
            if let Some(cf) = self.cfs.get_mut(&edit.column_family) {
                cf.mem = MemTable::new();
                cf.log_number = new_log_number;
                for (level, meta) in &edit.new_files {
                    self.tables
                        .open(self.vfs.as_ref(), meta.number, meta.file_size)?;
                    cf.levels.add(*level as usize, Arc::new(meta.clone()));
                }
            }
        }
        self.stats.flushes += 1;
        // Obsolete now: every column family's data from older logs is in a table (recovery may
        // have kept several logs live when the storage was full).
        for name in self.vfs.list()? {
            if let Some(n) = crate::log::parse_log_file_name(&name) {
                if n < new_log_number {
                    let _ = self.vfs.delete(&name);
                }
            }
        }
        Ok(())
    }

    /// Appends `edits` to the MANIFEST (with the current file counter and last sequence), synced.
    /// A failure makes the database read-only: the MANIFEST's end is then unknown.
    pub(crate) fn log_manifest(&mut self, edits: &mut [VersionEdit]) -> Result<()> {
        if let Some(first) = edits.first_mut() {
            first.next_file_number = Some(self.next_file_number);
            first.last_sequence = Some(self.last_sequence);
        }
        for edit in edits.iter() {
            if let Err(e) = self.manifest.append(edit) {
                self.write_error = Some(format!("writing the MANIFEST failed: {e}"));
                return Err(e);
            }
        }
        Ok(())
    }

    /// Closes and deletes table `number` (no longer named by the MANIFEST).
    pub(crate) fn delete_table(&mut self, number: u64) {
        self.tables.remove(number);
        if self.pins.values().any(|files| files.contains(&number)) {
            // A pinned checkpoint still references it: deleted on release.
            return;
        }
        // A leftover file is harmless: the next open deletes files the MANIFEST does not name.
        let _ = self.vfs.delete(&table_file_name(number));
    }
}

/// Writes a table from `iter` (positioned on its first entry), collapsing each user key's
/// entries, until the input ends or the table reaches `size_limit` at a key boundary (`iter`
/// is then on the next key's first entry); `None` if nothing survived. The file is deleted
/// again on failure.
pub(crate) fn build_table(
    vfs: &dyn Vfs,
    number: u64,
    opts: TableOptions,
    iter: &mut dyn InternalIterator,
    ctx: &CollapseContext<'_>,
    tombstones: &[RangeTombstone],
    size_limit: u64,
) -> Result<Option<FileMetaData>> {
    let name = table_file_name(number);
    let file = vfs.open(&name, OpenMode::CreateTruncate)?;
    let mut builder = TableBuilder::new(file, name.clone(), opts);
    let result = (|| {
        let mut entries: Vec<KeyEntry> = Vec::new();
        let mut out: Vec<KeyEntry> = Vec::new();
        let mut key = Vec::new();
        let mut ikey = Vec::new();
        loop {
            let at_end = !iter.valid();
            let boundary = at_end
                || parse_internal_key(iter.key()).is_none_or(|p| p.user_key != key.as_slice());
            if boundary && !entries.is_empty() {
                out.clear();
                collapse_key(ctx, &key, &entries, &mut out);
                for (seq, kind, value) in &out {
                    ikey.clear();
                    append_internal_key(&mut ikey, &key, *seq, *kind);
                    builder.add(&ikey, value)?;
                }
                entries.clear();
                if builder.file_size_estimate() >= size_limit {
                    break;
                }
            }
            if at_end {
                break;
            }
            let parsed = parse_internal_key(iter.key()).ok_or_else(|| {
                Error::corruption("", 0, "malformed internal key in compaction input")
            })?;
            if boundary {
                key.clear();
                key.extend_from_slice(parsed.user_key);
            }
            entries.push((parsed.sequence, parsed.kind, iter.value().to_vec()));
            iter.next()?;
        }
        for t in tombstones {
            builder.add_range_deletion(&t.start, t.seq, &t.end)?;
        }
        if builder.num_entries() == 0 && tombstones.is_empty() {
            return Ok(None);
        }
        let summary = builder.finish()?;
        Ok(Some(FileMetaData {
            number,
            file_size: summary.file_size,
            smallest: summary.smallest_key,
            largest: summary.largest_key,
            smallest_seqno: summary.smallest_seqno,
            largest_seqno: summary.largest_seqno,
            oldest_ancestor_time: summary.properties.creation_time,
            file_creation_time: summary.properties.file_creation_time,
        }))
    })();
    match result {
        Ok(Some(meta)) => Ok(Some(meta)),
        Ok(None) => {
            let _ = vfs.delete(&name);
            Ok(None)
        }
        Err(e) => {
            let _ = vfs.delete(&name);
            Err(e)
        }
    }
}

/// Writes `mem` as table `number` (entries collapsed as the open `snapshots` allow), or
/// nothing if nothing survives.
pub(crate) fn write_memtable(
    vfs: &dyn Vfs,
    number: u64,
    opts: TableOptions,
    mem: &MemTable,
    merge: Option<&dyn crate::merge::MergeOperator>,
    snapshots: &[u64],
) -> Result<Option<FileMetaData>> {
    let tombstones: Vec<RangeTombstone> = mem
        .range_deletions()
        .iter()
        .map(|t| RangeTombstone {
            start: t.start.clone(),
            end: t.end.clone(),
            seq: t.seq,
        })
        .collect();
    let ctx = CollapseContext {
        snapshots,
        bottommost: false,
        merge,
        filter: None,
        tombstones: &tombstones,
    };
    let mut iter = mem.iter();
    iter.seek_to_first()?;
    build_table(vfs, number, opts, &mut iter, &ctx, &tombstones, u64::MAX)
}
