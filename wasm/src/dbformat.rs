//! Internal keys: how a user key, a sequence number and an operation type are packed together,
//! and how they sort. Shared by the memtable, tables, the MANIFEST and compaction.
//!
//! ```text
//! internal key := user_key  trailer:fixed64      trailer = (sequence << 8) | type
//! ```
//! Order: user key ascending (bytewise: `leveldb.BytewiseComparator`), then trailer
//! **descending**, so that for one user key the newest entry comes first.

use std::cmp::Ordering;

/// A write's position in the database's history. At most [`MAX_SEQUENCE`] (56 bits).
pub type SequenceNumber = u64;

/// Largest sequence number: 56 bits, since the trailer packs it with an 8-bit type.
pub const MAX_SEQUENCE: SequenceNumber = (1 << 56) - 1;

/// Name of the only comparator edgestate implements (RocksDB's default).
pub const BYTEWISE_COMPARATOR: &str = "leveldb.BytewiseComparator";

/// Bytes of the trailer appended to a user key.
pub const TRAILER_SIZE: usize = 8;

/// The kind of an entry. DO NOT RENUMBER: these values are stored in WALs, SSTs and MANIFESTs
/// and must match RocksDB's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum ValueType {
    /// A tombstone: the key is deleted as of this sequence number.
    Deletion = 0x0,
    /// A full value.
    Value = 0x1,
    /// A merge operand, combined with older entries by the column family's merge operator.
    Merge = 0x2,
    /// A tombstone that cancels exactly one older `Value` (RocksDB's SingleDelete).
    SingleDeletion = 0x7,
    /// A range tombstone (stored only in a table's range-deletion block).
    RangeDeletion = 0xF,
}

impl ValueType {
    /// The type stored in `byte`, if it is one the engine knows.
    pub fn from_byte(byte: u8) -> Option<ValueType> {
        match byte {
            0x0 => Some(ValueType::Deletion),
            0x1 => Some(ValueType::Value),
            0x2 => Some(ValueType::Merge),
            0x7 => Some(ValueType::SingleDeletion),
            0xF => Some(ValueType::RangeDeletion),
            _ => None,
        }
    }
}

/// The type used in lookup keys: the largest type value RocksDB uses for seeking, so that a
/// lookup key `(k, s)` sorts before every entry of `k` with sequence `<= s`.
pub const VALUE_TYPE_FOR_SEEK: u8 = 0x17;

/// Packs a sequence number and a type into a trailer.
///
/// REQUIRES: `seq <= MAX_SEQUENCE`.
pub fn pack_trailer(seq: SequenceNumber, kind: u8) -> u64 {
    debug_assert!(seq <= MAX_SEQUENCE);
    (seq << 8) | u64::from(kind)
}

/// Appends the internal key `(user_key, seq, kind)` to `dst`.
pub fn append_internal_key(
    dst: &mut Vec<u8>,
    user_key: &[u8],
    seq: SequenceNumber,
    kind: ValueType,
) {
    dst.extend_from_slice(user_key);
    dst.extend_from_slice(&pack_trailer(seq, kind as u8).to_le_bytes());
}

/// Appends the key that seeks to the newest entry of `user_key` visible at `snapshot`.
pub fn append_lookup_key(dst: &mut Vec<u8>, user_key: &[u8], snapshot: SequenceNumber) {
    dst.extend_from_slice(user_key);
    dst.extend_from_slice(&pack_trailer(snapshot, VALUE_TYPE_FOR_SEEK).to_le_bytes());
}

/// An internal key split into its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedInternalKey<'a> {
    /// The user's key.
    pub user_key: &'a [u8],
    /// When it was written.
    pub sequence: SequenceNumber,
    /// What was written.
    pub kind: ValueType,
}

/// Splits an internal key; `None` if it is shorter than a trailer or has an unknown type.
pub fn parse_internal_key(ikey: &[u8]) -> Option<ParsedInternalKey<'_>> {
    let split = ikey.len().checked_sub(TRAILER_SIZE)?;
    let (user_key, trailer) = ikey.split_at(split);
    let trailer = u64::from_le_bytes(trailer.try_into().ok()?);
    let kind = ValueType::from_byte((trailer & 0xff) as u8)?;
    Some(ParsedInternalKey {
        user_key,
        sequence: trailer >> 8,
        kind,
    })
}

/// The user key of an internal key (all of `ikey` if it is too short to have a trailer).
pub fn user_key(ikey: &[u8]) -> &[u8] {
    ikey.get(..ikey.len().saturating_sub(TRAILER_SIZE))
        .unwrap_or_default()
}

/// The trailer of an internal key (0 if it is too short to have one).
pub fn trailer(ikey: &[u8]) -> u64 {
    ikey.len()
        .checked_sub(TRAILER_SIZE)
        .and_then(|at| ikey.get(at..))
        .and_then(|t| t.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// Orders internal keys: user key ascending, then trailer (sequence, type) descending.
pub fn compare_internal_keys(a: &[u8], b: &[u8]) -> Ordering {
    user_key(a)
        .cmp(user_key(b))
        .then_with(|| trailer(b).cmp(&trailer(a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ikey(k: &[u8], seq: u64, t: ValueType) -> Vec<u8> {
        let mut v = Vec::new();
        append_internal_key(&mut v, k, seq, t);
        v
    }

    #[test]
    fn newer_entries_of_a_key_sort_first() {
        let older = ikey(b"k", 5, ValueType::Value);
        let newer = ikey(b"k", 9, ValueType::Deletion);
        assert_eq!(compare_internal_keys(&newer, &older), Ordering::Less);
        assert_eq!(
            compare_internal_keys(&ikey(b"a", 1, ValueType::Value), &newer),
            Ordering::Less
        );
    }

    #[test]
    fn lookup_key_sorts_before_every_visible_entry() {
        let mut lookup = Vec::new();
        append_lookup_key(&mut lookup, b"k", 9);
        assert_eq!(
            compare_internal_keys(&lookup, &ikey(b"k", 9, ValueType::Value)),
            Ordering::Less
        );
        assert_eq!(
            compare_internal_keys(&lookup, &ikey(b"k", 10, ValueType::Value)),
            Ordering::Greater
        );
    }

    #[test]
    fn parse_round_trips_and_rejects_garbage() {
        let k = ikey(b"user", 42, ValueType::Merge);
        let p = parse_internal_key(&k);
        assert_eq!(
            p,
            Some(ParsedInternalKey {
                user_key: b"user",
                sequence: 42,
                kind: ValueType::Merge
            })
        );
        assert_eq!(parse_internal_key(b"short"), None);
        let mut bad = k.clone();
        let n = bad.len();
        bad[n - 8] = 0x55;
        assert_eq!(parse_internal_key(&bad), None);
    }
}
