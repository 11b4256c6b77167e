//! Opening a database: read the MANIFEST, replay the logs, flush what they held, and start a
//! fresh MANIFEST and log.
//!
//! Open writes, in this order: the tables flushed from the replayed logs (synced), a new log, a
//! new MANIFEST holding the whole state (synced), CURRENT pointing to it (atomic swap); then it
//! deletes the old logs and MANIFEST and every file the new MANIFEST does not name. A crash
//! before the CURRENT swap leaves the old MANIFEST in charge, whose logs are all still there; a
//! crash after it leaves only garbage, which the next open deletes.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use super::column_family::{ColumnFamily, DEFAULT_CF, DEFAULT_CF_NAME};
use super::flush::write_memtable;
use super::levels::{Levels, NUM_LEVELS};
use super::options::{ColumnFamilyOptions, Options};
use super::table_set::TableSet;
use super::write::apply;
use super::{Db, DbStats};
use crate::batch;
use crate::dbformat::BYTEWISE_COMPARATOR;
use crate::log::{log_file_name, parse_log_file_name, LogReader, LogWriter, TailReport};
use crate::mem::MemTable;
use crate::version::{
    parse_file_name, recover, set_current, FileKind, ManifestWriter, VersionEdit,
};
use crate::vfs::{OpenMode, Vfs};
use crate::{Error, IoErrorKind, Result};

/// What open found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryInfo {
    /// Whether the database was created by this open.
    pub created: bool,
    /// Live tables found in the MANIFEST.
    pub tables: u64,
    /// Log files replayed.
    pub logs_replayed: u32,
    /// Write batches replayed.
    pub batches_replayed: u64,
    /// Individual operations replayed.
    pub ops_replayed: u64,
    /// Damaged tails dropped, per file (see [`crate::log::RecoveryMode`]).
    pub dropped: Vec<(String, TailReport)>,
    /// Logs not replayed because an earlier one was cut short in point-in-time recovery.
    pub logs_skipped: Vec<String>,
    /// The storage was full, so the replayed logs were kept (and their data in memtables)
    /// instead of being flushed to tables.
    pub flush_skipped_for_quota: bool,
    /// Files deleted because no MANIFEST named them (leftovers of an interrupted flush or
    /// compaction, or of the previous open).
    pub obsolete_files_deleted: u64,
}

impl Db {
    /// Opens the database stored in `vfs`, creating it if empty, and recovers every
    /// acknowledged write. `column_families` gives the options of non-default column families
    /// by name (those not listed get default options).
    pub fn open(vfs: Box<dyn Vfs>, options: Options) -> Result<Db> {
        Db::open_with(vfs, options, Vec::new())
    }

    /// [`Db::open`] with options for named column families.
    pub fn open_with(
        vfs: Box<dyn Vfs>,
        options: Options,
        column_families: Vec<(String, ColumnFamilyOptions)>,
    ) -> Result<Db> {
        options.validate()?;
        let names = vfs.list()?;
        let mut recovery = RecoveryInfo::default();
        let state = if names.iter().any(|n| n == "CURRENT") {
            Some(recover(vfs.as_ref())?)
        } else {
            recovery.created = !names.iter().any(|n| parse_log_file_name(n).is_some());
            None
        };
        let cf_options = |name: &str| -> ColumnFamilyOptions {
            if name == DEFAULT_CF_NAME {
                return options.default_cf.clone();
            }
            column_families
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, o)| o.clone())
                .unwrap_or_else(|| options.unlisted_cf.clone())
        };

        let mut cfs = BTreeMap::new();
        let mut tables = TableSet::new(options.block_cache_size());
        let mut max_column_family = 0;
        let mut next_file_number = 2;
        let mut last_sequence = 0;
        match &state {
            Some(state) => {
                for (&id, cf) in &state.column_families {
                    let mut levels = Levels::default();
                    for (level, files) in cf.levels.iter().enumerate().take(NUM_LEVELS) {
                        for f in files {
                            tables.open(vfs.as_ref(), f.number, f.file_size)?;
                            levels.add(level, Arc::new(f.clone()));
                            recovery.tables += 1;
                        }
                    }
                    cfs.insert(
                        id,
                        ColumnFamily::new(
                            cf.name.clone(),
                            cf_options(&cf.name),
                            levels,
                            cf.log_number,
                        ),
                    );
                }
                max_column_family = state.max_column_family;
                next_file_number = state.next_file_number;
                last_sequence = state.last_sequence;
            }
            None => {
                cfs.insert(
                    DEFAULT_CF,
                    ColumnFamily::new(
                        DEFAULT_CF_NAME.to_owned(),
                        cf_options(DEFAULT_CF_NAME),
                        Levels::default(),
                        0,
                    ),
                );
            }
        }
        // Never reuse the number of any file present, live or not.
        for name in &names {
            if let Some((_, number)) = parse_file_name(name) {
                next_file_number = next_file_number.max(number + 1);
            }
        }

        // Replay the logs every column family still needs.
        let min_log = cfs.values().map(|cf| cf.log_number).min().unwrap_or(0);
        let mut logs: Vec<u64> = names
            .iter()
            .filter_map(|n| parse_log_file_name(n))
            .filter(|&n| n >= min_log)
            .collect();
        logs.sort_unstable();
        let mut stop = false;
        for &number in &logs {
            let name = log_file_name(number);
            if stop {
                recovery.logs_skipped.push(name);
                continue;
            }
            let mut file = vfs.open(&name, OpenMode::Existing)?;
            let mut reader = LogReader::new(file.as_mut(), &name, options.recovery_mode)?;
            while let Some((offset, record)) = reader.next_record()? {
                let (first, ops) = batch::decode(record, &name, offset)?;
                let mut seq = first;
                for op in &ops {
                    let needed = cfs.get(&op.cf()).is_some_and(|cf| number >= cf.log_number);
                    if needed {
                        apply(&mut cfs, seq, op);
                    }
                    seq += 1;
                }
                recovery.batches_replayed += 1;
                recovery.ops_replayed += ops.len() as u64;
                last_sequence = last_sequence.max(seq.saturating_sub(1));
            }
            if let Some(tail) = reader.tail() {
                stop = tail.valid_data_after;
                recovery.dropped.push((name, tail.clone()));
            }
            recovery.logs_replayed += 1;
        }

        // Flush what the logs held, so that the new MANIFEST can retire them. If the storage is
        // full, keep the data in the memtables and the logs live instead (RocksDB's
        // avoid_flush_during_recovery): the database opens, readable, and the next flush
        // retires the logs.
        let mut stats = DbStats::default();
        let mut built: Vec<(u32, crate::version::FileMetaData)> = Vec::new();
        let mut quota_hit = false;
        // The host has not told the time yet: these tables get the newest creation time the
        // MANIFEST knows, no later than now, so that periodic compaction may find them older
        // than they are (and rewrite them early), never younger.
        let created = cfs
            .values()
            .flat_map(|cf| cf.levels.all_files().map(|(_, f)| f.file_creation_time))
            .max()
            .unwrap_or(0);
        for (&id, cf) in cfs.iter() {
            if cf.mem.is_empty() && cf.mem.range_deletions().is_empty() {
                continue;
            }
            let number = next_file_number;
            next_file_number += 1;
            let opts = options.table_options(id, &cf.name, created);
            let merge = cf.options.merge_operator.clone();
            match write_memtable(vfs.as_ref(), number, opts, &cf.mem, merge.as_deref(), &[]) {
                Ok(Some(meta)) => built.push((id, meta)),
                Ok(None) => {}
                Err(Error::Io {
                    kind: IoErrorKind::QuotaExceeded,
                    ..
                }) => {
                    quota_hit = true;
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        let log_number = next_file_number;
        let manifest_number = next_file_number + 1;
        next_file_number += 2;
        if quota_hit {
            for (_, meta) in &built {
                let _ = vfs.delete(&crate::version::table_file_name(meta.number));
            }
            recovery.flush_skipped_for_quota = true;
        } else {
            for (id, meta) in built {
                if let Some(cf) = cfs.get_mut(&id) {
                    stats.table_bytes_written += meta.file_size;
                    stats.flushes += 1;
                    tables.open(vfs.as_ref(), meta.number, meta.file_size)?;
                    cf.mem = MemTable::new();
                    cf.levels.add(0, Arc::new(meta));
                }
            }
            for cf in cfs.values_mut() {
                if cf.mem.is_empty() && cf.mem.range_deletions().is_empty() {
                    cf.log_number = log_number;
                }
            }
        }
        let log_name = log_file_name(log_number);
        let log = LogWriter::with_buffer(
            vfs.open(&log_name, OpenMode::CreateTruncate)?,
            log_name,
            options.wal_buffer_size,
        );
        let snapshot = snapshot_edits(
            &cfs,
            max_column_family,
            None,
            next_file_number,
            last_sequence,
        );
        let manifest = ManifestWriter::create(vfs.as_ref(), manifest_number, &snapshot)?;
        set_current(vfs.as_ref(), manifest_number)?;

        // Everything not named by the new MANIFEST (or a log it still needs) is garbage now.
        let min_log = cfs
            .values()
            .map(|cf| cf.log_number)
            .min()
            .unwrap_or(log_number);
        let live: std::collections::HashSet<u64> = cfs
            .values()
            .flat_map(|cf| {
                cf.levels
                    .all_files()
                    .map(|(_, f)| f.number)
                    .collect::<Vec<_>>()
            })
            .chain([log_number, manifest_number])
            .collect();
        for name in vfs.list()? {
            if let Some((kind, number)) = parse_file_name(&name) {
                let needed_log = kind == FileKind::Log && number >= min_log;
                let obsolete = !live.contains(&number) && !needed_log;
                if obsolete && vfs.delete(&name).is_ok() {
                    recovery.obsolete_files_deleted += 1;
                }
            }
        }

        Ok(Db {
            vfs,
            options,
            cfs,
            max_column_family,
            tables,
            log,
            log_number,
            manifest,
            next_file_number,
            last_sequence,
            snapshots: BTreeMap::new(),
            scratch: batch::WriteBatch::new(),
            write_error: None,
            closed: false,
            recovery,
            stats,
            pins: BTreeMap::new(),
            next_pin: 1,
            job: None,
            deferred_maintenance: None,
            clock: Arc::new(AtomicI64::new(0)),
        })
    }
}

/// The whole state as VersionEdits: the first record of a new MANIFEST.
pub(crate) fn snapshot_edits(
    cfs: &BTreeMap<u32, ColumnFamily>,
    max_column_family: u32,
    log_number: Option<u64>,
    next_file_number: u64,
    last_sequence: u64,
) -> Vec<VersionEdit> {
    let mut edits = Vec::new();
    for (&id, cf) in cfs {
        let mut edit = VersionEdit::for_column_family(id);
        if id == DEFAULT_CF {
            edit.comparator = Some(BYTEWISE_COMPARATOR.to_owned());
        } else {
            // RocksDB applies nothing else from an edit that adds a column family (its files
            // would be dropped), so the add is a record of its own, as RocksDB writes it.
            let mut add = VersionEdit::for_column_family(id);
            add.column_family_add = Some(cf.name.clone());
            edits.push(add);
        }
        edit.log_number = Some(log_number.unwrap_or(cf.log_number));
        for (level, file) in cf.levels.all_files() {
            edit.new_files.push((level as u32, (**file).clone()));
        }
        edits.push(edit);
    }
    if let Some(first) = edits.first_mut() {
        first.next_file_number = Some(next_file_number);
        first.last_sequence = Some(last_sequence);
        first.max_column_family = Some(max_column_family);
    }
    edits
}
