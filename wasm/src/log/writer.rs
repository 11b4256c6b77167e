//! Appends records to a log file.

use super::{fragment_crc, mask_crc, FragmentType, BLOCK_SIZE, HEADER_SIZE};
use crate::vfs::VfsFile;
use crate::{Error, Result};

/// Why appending a record failed, as the write path must tell the cases apart.
#[derive(Debug)]
pub enum LogFailure {
    /// Nothing of the record reached the file and the writer is as it was before the call
    /// (records acknowledged earlier still buffered): the write can fail cleanly, and later
    /// ones go on.
    Refused(Error),
    /// The record may be in the file (handed over but its sync failed), or the file could not
    /// be cut back after a failed write: a crash may or may not bring it back.
    Uncertain(Error),
}

impl From<LogFailure> for Error {
    fn from(failure: LogFailure) -> Error {
        match failure {
            LogFailure::Refused(e) | LogFailure::Uncertain(e) => e,
        }
    }
}

/// Writes records in the log format to a fresh file.
///
/// Invariant: `offset` is the log's logical length (`written` bytes in the file plus `pending`
/// bytes not handed to it yet), and `offset % BLOCK_SIZE` is the position within the current
/// block. A record's fragments are assembled in `scratch` and handed to the VFS in one
/// `write_at`, so that a record costs one host call however many blocks it spans — or, with a
/// write buffer (RocksDB's `manual_wal_flush`), collected in `pending` and handed over when the
/// buffer fills, on [`LogWriter::write_buffered`] and before every sync.
pub struct LogWriter {
    file: Box<dyn VfsFile>,
    name: String,
    offset: u64,
    /// Bytes handed to the file.
    written: u64,
    scratch: Vec<u8>,
    /// Encoded records not yet handed to the file (empty unless `buffer_limit > 0`).
    pending: Vec<u8>,
    /// Hand `pending` to the file once it holds this many bytes (0: every record at once).
    buffer_limit: usize,
    /// A failed append could not be cut back off the file: its end is unknown.
    poisoned: bool,
}

impl LogWriter {
    /// A writer appending to `file` (named `name` in errors), which must be empty.
    pub fn new(file: Box<dyn VfsFile>, name: String) -> LogWriter {
        LogWriter::with_buffer(file, name, 0)
    }

    /// A writer that keeps up to `buffer_limit` bytes of records in memory before handing them
    /// to the file in one write (0: none). Buffered records are lost if the process dies before
    /// they are written: they survive only a clean close or a [`LogWriter::write_buffered`].
    pub fn with_buffer(file: Box<dyn VfsFile>, name: String, buffer_limit: usize) -> LogWriter {
        LogWriter {
            file,
            name,
            offset: 0,
            written: 0,
            scratch: Vec::new(),
            pending: Vec::new(),
            buffer_limit,
            poisoned: false,
        }
    }

    /// Bytes of records accepted but not yet handed to the file.
    pub fn buffered(&self) -> usize {
        self.pending.len()
    }

    /// Hands every buffered record to the file (not a sync). On failure the records stay
    /// buffered, the file is cut back to its last good end, and a later call retries.
    pub fn write_buffered(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.check_poisoned()?;
        if let Err(e) = self.file.write_at(self.written, &self.pending) {
            self.poisoned = self.file.truncate(self.written).is_err();
            return Err(self.context(e));
        }
        self.written += self.pending.len() as u64;
        self.pending.clear();
        Ok(())
    }

    fn check_poisoned(&self) -> Result<()> {
        if self.poisoned {
            return Err(self.context(Error::Io {
                op: "write",
                file: String::new(),
                kind: crate::IoErrorKind::Other,
                message: "an earlier failed append could not be undone".into(),
            }));
        }
        Ok(())
    }

    /// The file this writer appends to.
    pub fn file_name(&self) -> &str {
        &self.name
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.offset
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }

    /// Appends one record. When this returns, the record has been handed to the VFS (it survives
    /// the loss of this process); it is durable only after [`LogWriter::sync`].
    pub fn add_record(&mut self, payload: &[u8]) -> Result<()> {
        self.scratch.clear();
        let mut block_offset = (self.offset % BLOCK_SIZE as u64) as usize;
        let mut rest = payload;
        let mut first = true;
        // An empty payload still produces one (empty) FULL fragment.
        loop {
            let left_in_block = BLOCK_SIZE - block_offset;
            if left_in_block < HEADER_SIZE {
                self.scratch.resize(self.scratch.len() + left_in_block, 0);
                block_offset = 0;
                continue;
            }
            let avail = left_in_block - HEADER_SIZE;
            let take = rest.len().min(avail);
            let (fragment, tail) = rest.split_at(take);
            let last = tail.is_empty();
            let kind = match (first, last) {
                (true, true) => FragmentType::Full,
                (true, false) => FragmentType::First,
                (false, false) => FragmentType::Middle,
                (false, true) => FragmentType::Last,
            };
            self.emit(kind, fragment);
            block_offset += HEADER_SIZE + take;
            rest = tail;
            first = false;
            if last {
                break;
            }
        }
        self.check_poisoned()?;
        if self.buffer_limit > 0 {
            self.pending.extend_from_slice(&self.scratch);
            if self.pending.len() >= self.buffer_limit {
                if let Err(e) = self.write_buffered() {
                    // This record fails; the ones before it stay buffered (acknowledged already).
                    let keep = self.pending.len() - self.scratch.len();
                    self.pending.truncate(keep);
                    return Err(e);
                }
            }
            self.offset += self.scratch.len() as u64;
            return Ok(());
        }
        if let Err(e) = self.file.write_at(self.offset, &self.scratch) {
            // A failed write may have left part of the record behind. Cut it off so the next
            // record follows the last good one; otherwise recovery would see damage in the middle.
            self.poisoned = self.file.truncate(self.offset).is_err();
            return Err(self.context(e));
        }
        self.offset += self.scratch.len() as u64;
        self.written = self.offset;
        Ok(())
    }

    /// Appends one record and syncs the log with it (RocksDB's `sync = true` write), handing
    /// buffered records over first. Unlike [`LogWriter::add_record`] then [`LogWriter::sync`],
    /// a hand-over that fails cleanly refuses this record alone: it leaves the buffer again, and
    /// the records acknowledged before it stay buffered for the next hand-over.
    pub fn add_synced_record(&mut self, payload: &[u8]) -> std::result::Result<(), LogFailure> {
        let (offset, pending) = (self.offset, self.pending.len());
        self.add_record(payload).map_err(|e| self.classify(e))?;
        if let Err(e) = self.write_buffered() {
            if self.poisoned {
                return Err(LogFailure::Uncertain(e));
            }
            // Nothing reached the file (it was cut back), so the record is still the buffer's
            // tail: drop it, and the writer is as it was before the call.
            self.offset = offset;
            self.pending.truncate(pending);
            return Err(LogFailure::Refused(e));
        }
        // The record is in the file now; whether it is durable is unknown.
        self.file
            .sync()
            .map_err(|e| LogFailure::Uncertain(self.context(e)))
    }

    /// How far a failed [`LogWriter::add_record`] got: it fails cleanly unless the file could
    /// not be cut back.
    pub fn classify(&self, e: Error) -> LogFailure {
        if self.poisoned {
            LogFailure::Uncertain(e)
        } else {
            LogFailure::Refused(e)
        }
    }

    /// Whether a failed append left the file's end unknown (no further appends are possible).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    fn emit(&mut self, kind: FragmentType, fragment: &[u8]) {
        let crc = mask_crc(fragment_crc(kind as u8, fragment));
        self.scratch.extend_from_slice(&crc.to_le_bytes());
        // A fragment never exceeds BLOCK_SIZE - HEADER_SIZE, so its length fits in 16 bits.
        self.scratch
            .extend_from_slice(&(fragment.len() as u16).to_le_bytes());
        self.scratch.push(kind as u8);
        self.scratch.extend_from_slice(fragment);
    }

    /// Makes every record appended so far durable (handing buffered ones to the file first).
    pub fn sync(&mut self) -> Result<()> {
        self.write_buffered()?;
        self.file.sync().map_err(|e| self.context(e))
    }

    fn context(&self, e: Error) -> Error {
        match e {
            Error::Io {
                op,
                file,
                kind,
                message,
            } if file.is_empty() => Error::Io {
                op,
                file: self.name.clone(),
                kind,
                message,
            },
            other => other,
        }
    }
}
