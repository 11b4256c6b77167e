//! RocksDB's WriteBatch encoding: the payload of every WAL record, applied atomically.
//!
//! ```text
//! batch  := sequence:fixed64 count:fixed32 op{count}
//! op     := 0x01 key:lenprefixed value:lenprefixed        Put
//!         | 0x00 key:lenprefixed                          Delete
//!         | 0x03 blob:lenprefixed                         LogData (no sequence number)
//!         | 0x0D                                          Noop
//! ```
//! Operations take sequence numbers `sequence`, `sequence + 1`, … in order. Other tags of the
//! format (column families, merge, single and range deletes) decode to
//! [`crate::Error::Unsupported`] until the engine implements them. DO NOT RENUMBER the tags.

use crate::coding::{
    get_fixed32, get_fixed64, get_length_prefixed, put_fixed32, put_length_prefixed,
};
use crate::dbformat::MAX_SEQUENCE;
use crate::{Error, Result};

/// Size of the sequence + count header.
pub const HEADER_SIZE: usize = 12;

const TAG_DELETE: u8 = 0x00;
const TAG_PUT: u8 = 0x01;
const TAG_LOG_DATA: u8 = 0x03;
const TAG_NOOP: u8 = 0x0D;

/// One operation of a batch, borrowing the batch's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOp<'a> {
    /// Set `key` to `value`.
    Put(&'a [u8], &'a [u8]),
    /// Remove `key`.
    Delete(&'a [u8]),
}

/// A sequence of writes applied atomically, kept in its encoded form (so logging it is a copy of
/// the bytes, not a re-encoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteBatch {
    rep: Vec<u8>,
    count: u32,
}

impl Default for WriteBatch {
    fn default() -> Self {
        WriteBatch::new()
    }
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> WriteBatch {
        WriteBatch {
            rep: vec![0; HEADER_SIZE],
            count: 0,
        }
    }

    /// Removes every operation, keeping the allocation.
    pub fn clear(&mut self) {
        self.rep.truncate(HEADER_SIZE);
        self.rep.fill(0);
        self.count = 0;
    }

    /// Adds a put.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.rep.push(TAG_PUT);
        put_length_prefixed(&mut self.rep, key);
        put_length_prefixed(&mut self.rep, value);
        self.bump();
    }

    /// Adds a delete.
    pub fn delete(&mut self, key: &[u8]) {
        self.rep.push(TAG_DELETE);
        put_length_prefixed(&mut self.rep, key);
        self.bump();
    }

    fn bump(&mut self) {
        self.count += 1;
        let mut count = Vec::with_capacity(4);
        put_fixed32(&mut count, self.count);
        if let Some(dst) = self.rep.get_mut(8..12) {
            dst.copy_from_slice(&count);
        }
    }

    /// Number of sequence-numbered operations.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Encoded size in bytes.
    pub fn size(&self) -> usize {
        self.rep.len()
    }

    /// Sets the sequence number of the first operation.
    pub fn set_sequence(&mut self, seq: u64) {
        if let Some(dst) = self.rep.get_mut(..8) {
            dst.copy_from_slice(&seq.to_le_bytes());
        }
    }

    /// The encoded batch, as it goes into a log record.
    pub fn encoded(&self) -> &[u8] {
        &self.rep
    }

    /// The operations, in order.
    pub fn ops(&self) -> impl Iterator<Item = BatchOp<'_>> {
        // Our own encoding always decodes.
        decode(&self.rep, "", 0)
            .map(|(_, ops)| ops)
            .into_iter()
            .flatten()
    }
}

/// Decodes an encoded batch found in `file` at `offset` into its first sequence number and its
/// operations. Every malformation is an [`Error::Corruption`] naming `file` and `offset`.
pub fn decode<'a>(rep: &'a [u8], file: &str, offset: u64) -> Result<(u64, Vec<BatchOp<'a>>)> {
    let bad = |reason: &str| Error::corruption(file, offset, format!("write batch: {reason}"));
    let mut src = rep;
    let seq = get_fixed64(&mut src).ok_or_else(|| bad("shorter than its 12-byte header"))?;
    let count = get_fixed32(&mut src).ok_or_else(|| bad("shorter than its 12-byte header"))?;
    // Each op takes at least 2 bytes, so a count above that bound is corrupt; this also caps the
    // allocation below by the record's size.
    if count as usize > src.len() / 2 + 1 {
        return Err(bad(&format!(
            "count {count} exceeds what {} bytes can hold",
            rep.len()
        )));
    }
    let mut ops = Vec::with_capacity(count as usize);
    while let Some((&tag, rest)) = src.split_first() {
        src = rest;
        match tag {
            TAG_PUT => {
                let key = get_length_prefixed(&mut src).ok_or_else(|| bad("truncated put key"))?;
                let value =
                    get_length_prefixed(&mut src).ok_or_else(|| bad("truncated put value"))?;
                ops.push(BatchOp::Put(key, value));
            }
            TAG_DELETE => {
                let key =
                    get_length_prefixed(&mut src).ok_or_else(|| bad("truncated delete key"))?;
                ops.push(BatchOp::Delete(key));
            }
            TAG_LOG_DATA => {
                get_length_prefixed(&mut src).ok_or_else(|| bad("truncated log data"))?;
            }
            TAG_NOOP => {}
            0x02 | 0x04..=0x08 | 0x0E | 0x0F => return Err(unsupported(tag, file, offset)),
            other => return Err(bad(&format!("unknown op tag 0x{other:02x}"))),
        }
    }
    if ops.len() != count as usize {
        return Err(bad(&format!(
            "header says {count} ops, found {}",
            ops.len()
        )));
    }
    if seq
        .checked_add(u64::from(count))
        .is_none_or(|end| end > MAX_SEQUENCE + 1)
    {
        return Err(bad(&format!(
            "sequence {seq} + count {count} exceeds 2^56 - 1"
        )));
    }
    Ok((seq, ops))
}

fn unsupported(tag: u8, file: &str, offset: u64) -> Error {
    Error::Unsupported(format!(
        "write batch op 0x{tag:02x} in {file} at offset {offset}: column families, merge, single \
         and range deletes are not implemented yet"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn encoding_matches_rocksdb_example() -> Result<()> {
        // A delete of "apple" at sequence 3 (../shared/formats/ROCKSDB.md §2).
        let mut b = WriteBatch::new();
        b.delete(b"apple");
        b.set_sequence(3);
        let expected = [&[3u8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 5][..], b"apple"].concat();
        assert_eq!(b.encoded(), &expected[..]);
        assert_eq!(
            decode(b.encoded(), "f", 0)?,
            (3, vec![BatchOp::Delete(b"apple")])
        );
        Ok(())
    }

    #[test]
    fn ops_come_back_in_order() -> Result<()> {
        let mut b = WriteBatch::new();
        b.put(b"a", b"1");
        b.delete(b"b");
        b.put(b"", b"");
        b.set_sequence(9);
        let (seq, ops) = decode(b.encoded(), "f", 0)?;
        assert_eq!(seq, 9);
        assert_eq!(
            ops,
            vec![
                BatchOp::Put(b"a", b"1"),
                BatchOp::Delete(b"b"),
                BatchOp::Put(b"", b"")
            ]
        );
        assert_eq!(b.ops().count(), 3);
        Ok(())
    }

    #[test]
    fn count_mismatch_is_corruption() {
        let mut b = WriteBatch::new();
        b.put(b"a", b"1");
        let mut rep = b.encoded().to_vec();
        rep[8] = 2;
        assert!(matches!(
            decode(&rep, "x.log", 40),
            Err(Error::Corruption { offset: 40, .. })
        ));
    }

    #[test]
    fn huge_count_is_rejected_before_allocating() {
        let rep = [0u8, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            decode(&rep, "x.log", 0),
            Err(Error::Corruption { .. })
        ));
    }

    #[test]
    fn merge_is_reported_as_unsupported_not_corrupt() {
        let rep = [0u8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x02, 1, b'k', 1, b'v'];
        assert!(matches!(
            decode(&rep, "x.log", 0),
            Err(Error::Unsupported(_))
        ));
    }

    #[test]
    fn clear_resets_to_empty() {
        let mut b = WriteBatch::new();
        b.put(b"a", b"1");
        b.set_sequence(5);
        b.clear();
        assert_eq!(b, WriteBatch::new());
    }

    proptest! {
        #[test]
        fn decode_never_panics(rep: Vec<u8>) {
            let _ = decode(&rep, "f", 0);
        }
    }
}
