//! Reads records back from a log file, deciding what a damaged file means.
//!
//! Recovery policy (see `docs/formats/log.md`): a process that dies while appending leaves at
//! most its last record torn: truncated, or with a bad checksum, or as a FIRST fragment without
//! its LAST. Damage that is followed by a valid record cannot be explained by a crash; it is
//! corruption of acknowledged data. [`RecoveryMode`] says what to do in each case.

use super::{fragment_crc, unmask_crc, FragmentType, BLOCK_SIZE, HEADER_SIZE};
use crate::vfs::{read_full, VfsFile};
use crate::{Error, Result};

/// What a reader does with a damaged record. Named after RocksDB's `WALRecoveryMode`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecoveryMode {
    /// Any damage, even a torn last record, fails with [`Error::Corruption`].
    AbsoluteConsistency,
    /// The default. A damaged *last* record is dropped (a crash mid-append); damage followed by
    /// a valid record fails with [`Error::Corruption`], since it would silently lose
    /// acknowledged writes.
    #[default]
    TolerateCorruptedTail,
    /// Stop at the first damaged record and keep everything before it, whatever follows: the
    /// database opens at a consistent earlier point, and the report says what was dropped.
    PointInTime,
}

/// What the reader dropped at the end of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TailReport {
    /// Offset of the first byte dropped.
    pub offset: u64,
    /// Bytes from there to the end of the file.
    pub dropped_bytes: u64,
    /// Why the record at `offset` was rejected.
    pub reason: String,
    /// Whether valid records followed the damage (only possible in [`RecoveryMode::PointInTime`]).
    pub valid_data_after: bool,
}

enum Fragment {
    Ok {
        kind: FragmentType,
        start: usize,
        end: usize,
    },
    Eof,
    /// `next` is where the following fragment would start, when the damaged one's length was
    /// plausible (only its checksum or type is wrong).
    Bad {
        offset: u64,
        reason: String,
        next: Option<u64>,
    },
}

/// Iterates over the records of one log file.
pub struct LogReader<'a> {
    file: &'a mut dyn VfsFile,
    name: String,
    size: u64,
    mode: RecoveryMode,
    block: Vec<u8>,
    /// File offset of `block[0]`.
    block_start: u64,
    block_len: usize,
    /// `block` must be (re)loaded from `block_start` before use.
    need_block: bool,
    /// Position of the next fragment within `block`.
    pos: usize,
    record: Vec<u8>,
    done: bool,
    tail: Option<TailReport>,
}

impl<'a> LogReader<'a> {
    /// A reader over `file` (named `name` in errors) applying `mode` to damage.
    pub fn new(file: &'a mut dyn VfsFile, name: &str, mode: RecoveryMode) -> Result<LogReader<'a>> {
        let size = file.size()?;
        Ok(LogReader {
            file,
            name: name.to_owned(),
            size,
            mode,
            block: vec![0; BLOCK_SIZE],
            block_start: 0,
            block_len: 0,
            need_block: true,
            pos: 0,
            record: Vec::new(),
            done: false,
            tail: None,
        })
    }

    /// What was dropped at the end of the file, once [`LogReader::next_record`] returned `None`.
    pub fn tail(&self) -> Option<&TailReport> {
        self.tail.as_ref()
    }

    /// The next record as `(offset of its first fragment, payload)`, or `None` at the end.
    pub fn next_record(&mut self) -> Result<Option<(u64, &[u8])>> {
        if self.done {
            return Ok(None);
        }
        self.record.clear();
        let mut record_start: Option<u64> = None;
        loop {
            let fragment_offset = self.block_start + self.pos as u64;
            match self.next_fragment()? {
                Fragment::Eof => {
                    return match record_start {
                        None => {
                            self.done = true;
                            Ok(None)
                        }
                        Some(start) => {
                            self.damaged(
                                start,
                                "record ends before its LAST fragment".into(),
                                None,
                            )?;
                            Ok(None)
                        }
                    };
                }
                Fragment::Bad {
                    offset,
                    reason,
                    next,
                } => {
                    let start = record_start.unwrap_or(offset);
                    self.damaged(start, reason, next)?;
                    return Ok(None);
                }
                Fragment::Ok { kind, start, end } => {
                    let payload = self.block.get(start..end).unwrap_or_default();
                    match (kind, record_start) {
                        (FragmentType::Full, None) => {
                            self.record.extend_from_slice(payload);
                            return Ok(Some((fragment_offset, &self.record)));
                        }
                        (FragmentType::First, None) => {
                            self.record.extend_from_slice(payload);
                            record_start = Some(fragment_offset);
                        }
                        (FragmentType::Middle, Some(_)) => self.record.extend_from_slice(payload),
                        (FragmentType::Last, Some(start)) => {
                            self.record.extend_from_slice(payload);
                            return Ok(Some((start, &self.record)));
                        }
                        (kind, open) => {
                            let start = open.unwrap_or(fragment_offset);
                            let reason = match open {
                                Some(_) => format!("{kind:?} fragment inside an unfinished record"),
                                None => format!("{kind:?} fragment without a preceding FIRST"),
                            };
                            self.damaged(start, reason, Some(self.block_start + self.pos as u64))?;
                            return Ok(None);
                        }
                    }
                }
            }
        }
    }

    /// Applies the recovery mode to damage found at `offset`.
    fn damaged(&mut self, offset: u64, reason: String, next: Option<u64>) -> Result<()> {
        self.done = true;
        let valid_data_after = match self.mode {
            RecoveryMode::AbsoluteConsistency => true,
            _ => self.valid_record_after(offset, next)?,
        };
        if self.mode == RecoveryMode::AbsoluteConsistency
            || (self.mode == RecoveryMode::TolerateCorruptedTail && valid_data_after)
        {
            return Err(Error::corruption(&self.name, offset, reason));
        }
        self.tail = Some(TailReport {
            offset,
            dropped_bytes: self.size - offset,
            reason,
            valid_data_after,
        });
        Ok(())
    }

    /// Whether a checksum-valid FULL or FIRST fragment exists after damage at `offset`: either
    /// right after the damaged fragment (`next`, if its length was plausible) or at the start of
    /// any later block. Only such fragments begin records; a lone MIDDLE/LAST is the rest of the
    /// torn record.
    fn valid_record_after(&mut self, offset: u64, next: Option<u64>) -> Result<bool> {
        let block = BLOCK_SIZE as u64;
        let mut starts: Vec<u64> = next.into_iter().collect();
        let mut b = (offset / block + 1) * block;
        while b < self.size {
            starts.push(b);
            b += block;
        }
        let mut buf = vec![0; BLOCK_SIZE];
        for start in starts {
            let block_start = start - start % block;
            let len = read_full(self.file, block_start, &mut buf)?;
            let mut pos = (start - block_start) as usize;
            while let Some((kind, end)) = parse_fragment(buf.get(..len).unwrap_or_default(), pos) {
                if matches!(kind, Some(FragmentType::Full | FragmentType::First)) {
                    return Ok(true);
                }
                pos = end;
            }
        }
        Ok(false)
    }

    fn next_fragment(&mut self) -> Result<Fragment> {
        loop {
            if self.need_block {
                self.block_len = read_full(self.file, self.block_start, &mut self.block)?;
                self.pos = 0;
                self.need_block = false;
            }
            if self.block_len - self.pos < HEADER_SIZE {
                if self.block_len == BLOCK_SIZE {
                    // The rest of a full block is its zero trailer; records go on in the next.
                    self.block_start += BLOCK_SIZE as u64;
                    self.need_block = true;
                    continue;
                }
                // A short block is the file's last: it must end exactly after a fragment.
                if self.pos == self.block_len {
                    return Ok(Fragment::Eof);
                }
                return Ok(Fragment::Bad {
                    offset: self.block_start + self.pos as u64,
                    reason: "truncated fragment header".into(),
                    next: None,
                });
            }
            let offset = self.block_start + self.pos as u64;
            let header = self
                .block
                .get(self.pos..self.pos + HEADER_SIZE)
                .unwrap_or_default();
            let masked = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let length = usize::from(u16::from_le_bytes([header[4], header[5]]));
            let kind_byte = header[6];
            let start = self.pos + HEADER_SIZE;
            let end = start + length;
            if end > self.block_len {
                let reason = if self.block_len < BLOCK_SIZE {
                    format!("fragment of {length} bytes runs past the end of the file")
                } else {
                    format!("fragment length {length} runs past the end of its block")
                };
                return Ok(Fragment::Bad {
                    offset,
                    reason,
                    next: None,
                });
            }
            self.pos = end;
            if kind_byte == 0 && length == 0 && masked == 0 {
                // Zeroed space (preallocation or a block trailer written as a header): no record.
                return Ok(Fragment::Bad {
                    offset,
                    reason: "zeroed fragment".into(),
                    next: None,
                });
            }
            let payload = self.block.get(start..end).unwrap_or_default();
            if unmask_crc(masked) != fragment_crc(kind_byte, payload) {
                let next = Some(self.block_start + end as u64);
                return Ok(Fragment::Bad {
                    offset,
                    reason: "fragment checksum mismatch".into(),
                    next,
                });
            }
            return Ok(match FragmentType::from_byte(kind_byte) {
                Some(kind) => Fragment::Ok { kind, start, end },
                None => Fragment::Bad {
                    offset,
                    reason: format!("unknown fragment type {kind_byte}"),
                    next: Some(self.block_start + end as u64),
                },
            });
        }
    }
}

/// Parses the fragment at `pos` of `block` for the damage scan: `None` when no plausible
/// fragment is there; otherwise its type (`None` if its checksum or type is bad) and its end.
fn parse_fragment(block: &[u8], pos: usize) -> Option<(Option<FragmentType>, usize)> {
    let header = block.get(pos..pos + HEADER_SIZE)?;
    let masked = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    let length = usize::from(u16::from_le_bytes([header[4], header[5]]));
    let end = pos + HEADER_SIZE + length;
    let payload = block.get(pos + HEADER_SIZE..end)?;
    if masked == 0 && length == 0 {
        return None;
    }
    let valid = unmask_crc(masked) == fragment_crc(header[6], payload);
    Some((
        if valid {
            FragmentType::from_byte(header[6])
        } else {
            None
        },
        end,
    ))
}
