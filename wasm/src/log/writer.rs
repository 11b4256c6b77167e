//! Appends records to a log file.

use super::{fragment_crc, mask_crc, FragmentType, BLOCK_SIZE, HEADER_SIZE};
use crate::vfs::VfsFile;
use crate::{Error, Result};

/// Writes records in the log format to a fresh file.
///
/// Invariant: `offset` is the file's length as far as this writer knows, and `offset %
/// BLOCK_SIZE` is the position within the current block. A record's fragments are assembled in
/// `scratch` and handed to the VFS in one `write_at`, so that a record costs one host call however
/// many blocks it spans.
pub struct LogWriter {
    file: Box<dyn VfsFile>,
    name: String,
    offset: u64,
    scratch: Vec<u8>,
    /// A failed append could not be cut back off the file: its end is unknown.
    poisoned: bool,
}

impl LogWriter {
    /// A writer appending to `file` (named `name` in errors), which must be empty.
    pub fn new(file: Box<dyn VfsFile>, name: String) -> LogWriter {
        LogWriter {
            file,
            name,
            offset: 0,
            scratch: Vec::new(),
            poisoned: false,
        }
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
        if self.poisoned {
            return Err(self.context(Error::Io {
                op: "write",
                file: String::new(),
                kind: crate::IoErrorKind::Other,
                message: "an earlier failed append could not be undone".into(),
            }));
        }
        if let Err(e) = self.file.write_at(self.offset, &self.scratch) {
            // A failed write may have left part of the record behind. Cut it off so the next
            // record follows the last good one; otherwise recovery would see damage in the middle.
            self.poisoned = self.file.truncate(self.offset).is_err();
            return Err(self.context(e));
        }
        self.offset += self.scratch.len() as u64;
        Ok(())
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

    /// Makes every record appended so far durable.
    pub fn sync(&mut self) -> Result<()> {
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
