//! The database: recovery on open, the write path, reads.
//!
//! Files (flat, in the VFS): `NNNNNN.log` write-ahead logs in RocksDB's log format, each record a
//! WriteBatch. Until SST flushing lands, the logs are the only persistent state:
//!
//! Invariant: replaying every `*.log` in number order, each up to its recovered end, yields the
//! acknowledged state. Open keeps it by writing the recovered state into a fresh log, syncing
//! it, and only then deleting the old logs **oldest first**: a crash during the deletions leaves
//! a suffix of the old logs plus the fresh one, and replaying that suffix then the fresh log still
//! yields the same state (a key last written in a deleted log is restated in the fresh one; a
//! key deleted in the suffix is absent from the fresh one).

mod options;

pub use options::{Options, WriteOptions};

use crate::batch::{self, BatchOp, WriteBatch};
use crate::log::{log_file_name, parse_log_file_name, LogReader, LogWriter};
pub use crate::log::{RecoveryMode, TailReport};
use crate::memtable::MemTable;
use crate::vfs::{OpenMode, Vfs};
use crate::{Error, Result};

/// What open found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryInfo {
    /// Log files replayed.
    pub logs_replayed: u32,
    /// Write batches replayed.
    pub batches_replayed: u64,
    /// Individual puts and deletes replayed.
    pub ops_replayed: u64,
    /// Damaged tails dropped, per file (see [`RecoveryMode`]).
    pub dropped: Vec<(String, TailReport)>,
    /// Logs not replayed because an earlier one was cut short in [`RecoveryMode::PointInTime`].
    pub logs_skipped: Vec<String>,
}

/// Counters for `stats()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DbStats {
    /// Keys in the memtable.
    pub keys: u64,
    /// Bytes of keys and values in the memtable.
    pub memtable_bytes: u64,
    /// Bytes in the current log.
    pub log_bytes: u64,
    /// Number of the current log.
    pub log_number: u64,
    /// Sequence number of the last write.
    pub last_sequence: u64,
}

/// An open database. Single-threaded: the host serializes calls.
pub struct Db {
    vfs: Box<dyn Vfs>,
    options: Options,
    mem: MemTable,
    log: LogWriter,
    log_number: u64,
    last_sequence: u64,
    /// Reused by `put`/`delete` so that a single write allocates nothing once warmed up.
    scratch: WriteBatch,
    /// Set when a write failed in a way that leaves the log's end unknown; later writes fail
    /// with this reason, reads go on.
    write_error: Option<String>,
    closed: bool,
    recovery: RecoveryInfo,
}

/// Largest batch written when restating the recovered state into a fresh log.
const RESTATE_BATCH_BYTES: usize = 1 << 20;

impl Db {
    /// Opens the database stored in `vfs`, creating it if empty, and recovers every
    /// acknowledged write from its logs.
    pub fn open(vfs: Box<dyn Vfs>, options: Options) -> Result<Db> {
        options.validate()?;
        let mut logs: Vec<u64> = vfs
            .list()?
            .iter()
            .filter_map(|n| parse_log_file_name(n))
            .collect();
        logs.sort_unstable();

        let mut mem = MemTable::new();
        let mut recovery = RecoveryInfo::default();
        let mut last_sequence = 0u64;
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
                let (seq, ops) = batch::decode(record, &name, offset)?;
                for op in &ops {
                    match *op {
                        BatchOp::Put { cf: 0, key, value } => mem.put(key, value),
                        BatchOp::Delete { cf: 0, key } => mem.delete(key),
                        other => return Err(unsupported(other)),
                    }
                }
                recovery.batches_replayed += 1;
                recovery.ops_replayed += ops.len() as u64;
                if !ops.is_empty() {
                    last_sequence = last_sequence.max(seq + ops.len() as u64 - 1);
                }
            }
            if let Some(tail) = reader.tail() {
                stop = tail.valid_data_after;
                recovery.dropped.push((name, tail.clone()));
            }
            recovery.logs_replayed += 1;
        }

        let log_number = logs.last().map_or(1, |n| n + 1);
        let name = log_file_name(log_number);
        let log = LogWriter::new(vfs.open(&name, OpenMode::CreateTruncate)?, name);
        let mut db = Db {
            vfs,
            options,
            mem,
            log,
            log_number,
            last_sequence,
            scratch: WriteBatch::new(),
            write_error: None,
            closed: false,
            recovery,
        };
        if !logs.is_empty() {
            db.restate_into_fresh_log()?;
            for number in logs {
                db.vfs.delete(&log_file_name(number))?;
            }
        }
        Ok(db)
    }

    /// Writes the whole memtable into the (fresh, empty) current log and syncs it.
    fn restate_into_fresh_log(&mut self) -> Result<()> {
        let mut batch = WriteBatch::new();
        let mut entries = self.mem.range(None, None).peekable();
        while entries.peek().is_some() {
            batch.clear();
            for (k, v) in entries.by_ref() {
                batch.put(k, v);
                if batch.size() >= RESTATE_BATCH_BYTES {
                    break;
                }
            }
            batch.set_sequence(self.last_sequence + 1);
            self.log.add_record(batch.encoded())?;
            self.last_sequence += u64::from(batch.count());
        }
        self.log.sync()
    }

    /// What open recovered.
    pub fn recovery(&self) -> &RecoveryInfo {
        &self.recovery
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: &[u8], value: &[u8], opts: WriteOptions) -> Result<()> {
        self.check_key(key)?;
        self.check_value(value)?;
        let mut batch = std::mem::take(&mut self.scratch);
        batch.clear();
        batch.put(key, value);
        let result = self.write_checked(&mut batch, opts);
        self.scratch = batch;
        result
    }

    /// Removes `key` (a no-op if absent).
    pub fn delete(&mut self, key: &[u8], opts: WriteOptions) -> Result<()> {
        self.check_key(key)?;
        let mut batch = std::mem::take(&mut self.scratch);
        batch.clear();
        batch.delete(key);
        let result = self.write_checked(&mut batch, opts);
        self.scratch = batch;
        result
    }

    /// Applies `batch` atomically: after a crash either all of it or none of it is there.
    pub fn write(&mut self, batch: &mut WriteBatch, opts: WriteOptions) -> Result<()> {
        for op in batch.ops() {
            match op {
                BatchOp::Put { cf: 0, key, value } => {
                    self.check_key(key)?;
                    self.check_value(value)?;
                }
                BatchOp::Delete { cf: 0, key } => self.check_key(key)?,
                other => return Err(unsupported(other)),
            }
        }
        self.write_checked(batch, opts)
    }

    /// REQUIRES: every key and value of `batch` is within the limits.
    fn write_checked(&mut self, batch: &mut WriteBatch, opts: WriteOptions) -> Result<()> {
        self.check_writable()?;
        if batch.count() == 0 {
            // Nothing to log, but a sync request still covers earlier writes.
            return if opts.sync { self.sync() } else { Ok(()) };
        }
        batch.set_sequence(self.last_sequence + 1);
        if let Err(e) = self.log.add_record(batch.encoded()) {
            if self.log.is_poisoned() {
                self.write_error = Some(format!(
                    "writing the log failed and could not be undone: {e}"
                ));
            }
            return Err(e);
        }
        if opts.sync {
            if let Err(e) = self.log.sync() {
                // The record may or may not be durable: refuse further writes rather than guess.
                self.write_error = Some(format!("syncing the log failed: {e}"));
                return Err(e);
            }
        }
        for op in batch.ops() {
            match op {
                BatchOp::Put { key, value, .. } => self.mem.put(key, value),
                BatchOp::Delete { key, .. } => self.mem.delete(key),
                // `write` rejected every other op before logging.
                _ => {}
            }
        }
        self.last_sequence += u64::from(batch.count());
        Ok(())
    }

    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<&[u8]>> {
        self.check_open()?;
        Ok(self.mem.get(key))
    }

    /// Entries with `from <= key < to` (unbounded where `None`), in key order.
    pub fn scan<'a>(
        &'a self,
        from: Option<&'a [u8]>,
        to: Option<&'a [u8]>,
    ) -> Result<impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a> {
        self.check_open()?;
        Ok(self.mem.range(from, to))
    }

    /// Makes every acknowledged write durable.
    pub fn sync(&mut self) -> Result<()> {
        self.check_writable()?;
        self.log.sync()
    }

    /// Counters describing the database.
    pub fn stats(&self) -> DbStats {
        DbStats {
            keys: self.mem.len() as u64,
            memtable_bytes: self.mem.data_bytes() as u64,
            log_bytes: self.log.len(),
            log_number: self.log_number,
            last_sequence: self.last_sequence,
        }
    }

    /// Syncs the log and closes the database; every later call fails with [`Error::Closed`].
    /// Closing twice is a no-op.
    pub fn close(&mut self) -> Result<()> {
        if self.closed {
            return Ok(());
        }
        self.closed = true;
        if self.write_error.is_none() {
            self.log.sync()?;
        }
        Ok(())
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

    fn check_key(&self, key: &[u8]) -> Result<()> {
        if key.len() > self.options.max_key_size {
            return Err(Error::KeyTooLarge {
                len: key.len(),
                limit: self.options.max_key_size,
            });
        }
        Ok(())
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
}

fn unsupported(op: BatchOp<'_>) -> Error {
    Error::Unsupported(format!(
        "{op:?}: the walking-skeleton database handles puts and deletes in column family 0 only"
    ))
}

#[cfg(test)]
mod tests;
