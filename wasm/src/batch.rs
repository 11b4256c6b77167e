//! RocksDB's WriteBatch encoding: the payload of every WAL record, applied atomically.
//!
//! ```text
//! batch := sequence:fixed64  count:fixed32  op*
//! op    := 0x01 key value            Put              0x05 cf key value      Put in CF
//!        | 0x00 key                  Delete           0x04 cf key            Delete in CF
//!        | 0x07 key                  SingleDelete     0x08 cf key            SingleDelete in CF
//!        | 0x02 key value            Merge            0x06 cf key value      Merge in CF
//!        | 0x0F begin end            DeleteRange      0x0E cf begin end      DeleteRange in CF
//!        | 0x03 blob                 LogData (takes no sequence number, not counted)
//!        | 0x0D                      Noop
//! key, value, begin, end, blob := varint32 length, bytes        cf := varint32 column family id
//! ```
//! `count` counts the sequence-numbered ops; they take `sequence`, `sequence + 1`, … in order.
//! Column family 0 (`default`) always uses the short tags. Other tags (2PC markers, blob
//! indexes, wide columns) decode to [`Error::Unsupported`]. DO NOT RENUMBER the tags.

use crate::coding::{
    get_fixed32, get_fixed64, get_length_prefixed, get_varint32, put_length_prefixed, put_varint32,
};
use crate::dbformat::MAX_SEQUENCE;
use crate::{Error, Result};

/// Size of the sequence + count header.
pub const HEADER_SIZE: usize = 12;

const TAG_DELETE: u8 = 0x00;
const TAG_PUT: u8 = 0x01;
const TAG_MERGE: u8 = 0x02;
const TAG_LOG_DATA: u8 = 0x03;
const TAG_CF_DELETE: u8 = 0x04;
const TAG_CF_PUT: u8 = 0x05;
const TAG_CF_MERGE: u8 = 0x06;
const TAG_SINGLE_DELETE: u8 = 0x07;
const TAG_CF_SINGLE_DELETE: u8 = 0x08;
const TAG_NOOP: u8 = 0x0D;
const TAG_CF_RANGE_DELETE: u8 = 0x0E;
const TAG_RANGE_DELETE: u8 = 0x0F;

/// One operation of a batch, borrowing the batch's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchOp<'a> {
    /// Set `key` to `value`.
    Put {
        /// Column family id.
        cf: u32,
        /// The key.
        key: &'a [u8],
        /// The value.
        value: &'a [u8],
    },
    /// Remove `key`.
    Delete {
        /// Column family id.
        cf: u32,
        /// The key.
        key: &'a [u8],
    },
    /// Remove the single older put of `key` (RocksDB's SingleDelete).
    SingleDelete {
        /// Column family id.
        cf: u32,
        /// The key.
        key: &'a [u8],
    },
    /// Add a merge operand to `key`.
    Merge {
        /// Column family id.
        cf: u32,
        /// The key.
        key: &'a [u8],
        /// The operand.
        value: &'a [u8],
    },
    /// Remove every key in `begin..end`.
    DeleteRange {
        /// Column family id.
        cf: u32,
        /// First key removed.
        begin: &'a [u8],
        /// First key after the range (exclusive).
        end: &'a [u8],
    },
}

impl<'a> BatchOp<'a> {
    /// The column family the op applies to.
    pub fn cf(&self) -> u32 {
        match *self {
            BatchOp::Put { cf, .. }
            | BatchOp::Delete { cf, .. }
            | BatchOp::SingleDelete { cf, .. }
            | BatchOp::Merge { cf, .. }
            | BatchOp::DeleteRange { cf, .. } => cf,
        }
    }
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

    fn tag(&mut self, cf: u32, plain: u8, with_cf: u8) {
        if cf == 0 {
            self.rep.push(plain);
        } else {
            self.rep.push(with_cf);
            put_varint32(&mut self.rep, cf);
        }
    }

    /// Adds a put to the default column family.
    pub fn put(&mut self, key: &[u8], value: &[u8]) {
        self.put_cf(0, key, value);
    }

    /// Adds a put to column family `cf`.
    pub fn put_cf(&mut self, cf: u32, key: &[u8], value: &[u8]) {
        self.tag(cf, TAG_PUT, TAG_CF_PUT);
        put_length_prefixed(&mut self.rep, key);
        put_length_prefixed(&mut self.rep, value);
        self.bump();
    }

    /// Adds a delete to the default column family.
    pub fn delete(&mut self, key: &[u8]) {
        self.delete_cf(0, key);
    }

    /// Adds a delete to column family `cf`.
    pub fn delete_cf(&mut self, cf: u32, key: &[u8]) {
        self.tag(cf, TAG_DELETE, TAG_CF_DELETE);
        put_length_prefixed(&mut self.rep, key);
        self.bump();
    }

    /// Adds a single delete to column family `cf`.
    pub fn single_delete_cf(&mut self, cf: u32, key: &[u8]) {
        self.tag(cf, TAG_SINGLE_DELETE, TAG_CF_SINGLE_DELETE);
        put_length_prefixed(&mut self.rep, key);
        self.bump();
    }

    /// Adds a merge operand to column family `cf`.
    pub fn merge_cf(&mut self, cf: u32, key: &[u8], operand: &[u8]) {
        self.tag(cf, TAG_MERGE, TAG_CF_MERGE);
        put_length_prefixed(&mut self.rep, key);
        put_length_prefixed(&mut self.rep, operand);
        self.bump();
    }

    /// Adds a range deletion of `begin..end` to column family `cf`.
    pub fn delete_range_cf(&mut self, cf: u32, begin: &[u8], end: &[u8]) {
        self.tag(cf, TAG_RANGE_DELETE, TAG_CF_RANGE_DELETE);
        put_length_prefixed(&mut self.rep, begin);
        put_length_prefixed(&mut self.rep, end);
        self.bump();
    }

    fn bump(&mut self) {
        self.count += 1;
        // In place, little-endian as fixed32: no allocation per operation.
        if let Some(dst) = self.rep.get_mut(8..12) {
            dst.copy_from_slice(&self.count.to_le_bytes());
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
        // Parsed lazily, so that writing a batch allocates nothing. Our own encoding (and one
        // accepted by `assign_encoded`) always parses, so a failure cannot occur here.
        let mut src = self.rep.get(HEADER_SIZE..).unwrap_or_default();
        std::iter::from_fn(move || next_op(&mut src).and_then(|op| op.ok()))
    }

    /// Replaces this batch by `encoded`, a batch the host encoded (RocksDB's WriteBatch format,
    /// sequence number ignored), after checking that it parses. Keeps the allocation.
    pub fn assign_encoded(&mut self, encoded: &[u8]) -> Result<()> {
        let (_, ops) = decode(encoded, "<batch from the host>", 0)?;
        let count = ops.len() as u32;
        self.rep.clear();
        self.rep.extend_from_slice(encoded);
        self.count = count;
        self.set_sequence(0);
        Ok(())
    }
}

/// Why an op could not be parsed: `(tag, reason)`; an unsupported tag has `reason` empty.
type ParseFailure = (u8, String);

/// Parses the op at the front of `src` (past the header), advancing `src`; `None` at the end.
/// Log-data and no-op records are skipped, as they take no sequence number.
fn next_op<'a>(src: &mut &'a [u8]) -> Option<std::result::Result<BatchOp<'a>, ParseFailure>> {
    loop {
        let (&tag, rest) = src.split_first()?;
        *src = rest;
        let cf = match tag {
            TAG_CF_PUT | TAG_CF_DELETE | TAG_CF_SINGLE_DELETE | TAG_CF_MERGE
            | TAG_CF_RANGE_DELETE => match get_varint32(src) {
                Some(cf) => cf,
                None => return Some(Err((tag, "truncated column family id".into()))),
            },
            _ => 0,
        };
        let mut field =
            |what: &str| get_length_prefixed(src).ok_or((tag, format!("truncated {what}")));
        let op = match tag {
            TAG_PUT | TAG_CF_PUT => (|| {
                Ok(BatchOp::Put {
                    cf,
                    key: field("put key")?,
                    value: field("put value")?,
                })
            })(),
            TAG_DELETE | TAG_CF_DELETE => {
                field("delete key").map(|key| BatchOp::Delete { cf, key })
            }
            TAG_SINGLE_DELETE | TAG_CF_SINGLE_DELETE => {
                field("single delete key").map(|key| BatchOp::SingleDelete { cf, key })
            }
            TAG_MERGE | TAG_CF_MERGE => (|| {
                Ok(BatchOp::Merge {
                    cf,
                    key: field("merge key")?,
                    value: field("merge operand")?,
                })
            })(),
            TAG_RANGE_DELETE | TAG_CF_RANGE_DELETE => (|| {
                Ok(BatchOp::DeleteRange {
                    cf,
                    begin: field("range begin")?,
                    end: field("range end")?,
                })
            })(),
            TAG_LOG_DATA => match field("log data") {
                Ok(_) => continue,
                Err(e) => Err(e),
            },
            TAG_NOOP => continue,
            0x09..=0x0C | 0x10..=0x17 => Err((tag, String::new())),
            other => Err((other, format!("unknown op tag 0x{other:02x}"))),
        };
        return Some(op);
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
    while let Some(op) = next_op(&mut src) {
        match op {
            Ok(op) => ops.push(op),
            Err((tag, reason)) if reason.is_empty() => return Err(unsupported(tag, file, offset)),
            Err((_, reason)) => return Err(bad(&reason)),
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
        "write batch op 0x{tag:02x} in {file} at offset {offset}: transactions, blob indexes and \
         wide columns are not implemented"
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
        let (seq, ops) = decode(b.encoded(), "f", 0)?;
        assert_eq!(
            (seq, ops),
            (
                3,
                vec![BatchOp::Delete {
                    cf: 0,
                    key: b"apple"
                }]
            )
        );
        Ok(())
    }

    #[test]
    fn every_op_kind_round_trips_in_order_with_column_families() -> Result<()> {
        let mut b = WriteBatch::new();
        b.put(b"a", b"1");
        b.delete_cf(3, b"b");
        b.single_delete_cf(0, b"c");
        b.merge_cf(200, b"d", b"+1");
        b.delete_range_cf(1, b"e", b"f");
        b.put_cf(7, b"", b"");
        b.set_sequence(9);
        let (seq, ops) = decode(b.encoded(), "f", 0)?;
        assert_eq!(seq, 9);
        assert_eq!(
            ops,
            vec![
                BatchOp::Put {
                    cf: 0,
                    key: b"a",
                    value: b"1"
                },
                BatchOp::Delete { cf: 3, key: b"b" },
                BatchOp::SingleDelete { cf: 0, key: b"c" },
                BatchOp::Merge {
                    cf: 200,
                    key: b"d",
                    value: b"+1"
                },
                BatchOp::DeleteRange {
                    cf: 1,
                    begin: b"e",
                    end: b"f"
                },
                BatchOp::Put {
                    cf: 7,
                    key: b"",
                    value: b""
                },
            ]
        );
        assert_eq!(
            b.ops().map(|op| op.cf()).collect::<Vec<_>>(),
            vec![0, 3, 0, 200, 1, 7]
        );
        Ok(())
    }

    #[test]
    fn column_family_ops_use_rocksdb_tags() {
        let mut b = WriteBatch::new();
        b.put_cf(2, b"k", b"v");
        assert_eq!(&b.encoded()[HEADER_SIZE..], &[0x05, 2, 1, b'k', 1, b'v']);
    }

    #[test]
    fn log_data_and_noop_take_no_sequence_number() -> Result<()> {
        let rep = [
            &[0u8; 8][..],
            &[1, 0, 0, 0],
            &[0x03, 2, b'x', b'y', 0x0D, 0x01, 1, b'k', 0],
        ]
        .concat();
        let (_, ops) = decode(&rep, "f", 0)?;
        assert_eq!(
            ops,
            vec![BatchOp::Put {
                cf: 0,
                key: b"k",
                value: b""
            }]
        );
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
    fn transaction_markers_are_unsupported_not_corrupt() {
        let rep = [0u8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x09];
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
