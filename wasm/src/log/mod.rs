//! RocksDB's log format: the write-ahead log (and, later, the MANIFEST) is a sequence of 32 KiB
//! blocks holding checksummed fragments of records.
//!
//! ```text
//! block    := fragment* trailer?            (32768 bytes; trailer = zeros when < 7 bytes remain)
//! fragment := checksum:fixed32 length:fixed16 type:u8 payload[length]
//! checksum := mask(crc32c(type ‖ payload)),  mask(c) = rotr(c, 15) + 0xa282ead8
//! type     := 1 FULL | 2 FIRST | 3 MIDDLE | 4 LAST           (0 = zero/preallocated space)
//! ```
//! A record that fits the rest of the block is one FULL fragment; otherwise FIRST, MIDDLE…, LAST.
//! Layout, worked example and recovery policy: `docs/formats/log.md`.

mod reader;
mod writer;

pub use reader::{LogReader, RecoveryMode, TailReport};
pub use writer::{LogFailure, LogWriter};

/// Size of a log block. DO NOT CHANGE: it is part of the on-disk format.
pub const BLOCK_SIZE: usize = 32768;
/// checksum (4) + length (2) + type (1).
pub const HEADER_SIZE: usize = 7;

/// Fragment types. DO NOT RENUMBER: they are stored on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum FragmentType {
    /// A whole record.
    Full = 1,
    /// The first fragment of a record that spans blocks.
    First = 2,
    /// A fragment strictly inside such a record.
    Middle = 3,
    /// The last fragment of such a record.
    Last = 4,
}

impl FragmentType {
    fn from_byte(b: u8) -> Option<FragmentType> {
        match b {
            1 => Some(FragmentType::Full),
            2 => Some(FragmentType::First),
            3 => Some(FragmentType::Middle),
            4 => Some(FragmentType::Last),
            _ => None,
        }
    }
}

const MASK_DELTA: u32 = 0xa282_ead8;

/// RocksDB stores CRCs masked, because computing the CRC of a string that contains embedded CRCs
/// is error-prone.
pub fn mask_crc(crc: u32) -> u32 {
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Inverse of [`mask_crc`].
pub fn unmask_crc(masked: u32) -> u32 {
    masked.wrapping_sub(MASK_DELTA).rotate_left(15)
}

fn fragment_crc(kind: u8, payload: &[u8]) -> u32 {
    crc32c::crc32c_append(crc32c::crc32c(&[kind]), payload)
}

/// File name of log number `n` (RocksDB rebuilds paths from numbers: keep the 6-digit form).
pub fn log_file_name(n: u64) -> String {
    format!("{n:06}.log")
}

/// The number of a log file name, if `name` is one.
pub fn parse_log_file_name(name: &str) -> Option<u64> {
    let digits = name.strip_suffix(".log")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests;
