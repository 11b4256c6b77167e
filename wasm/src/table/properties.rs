//! The properties block: table statistics as a block of (name, value) entries.
//!
//! ```text
//! properties block := block with restart interval "infinite" (one restart), keys strictly
//!                     sorted bytewise, raw string keys
//! value            := varint64 for numbers | raw bytes for names
//!                     | fixed32 for rocksdb.block.based.table.index.type
//! ```
//! Every property is optional to RocksDB. Decoding is tolerant, as RocksDB's is: a number that
//! does not parse is kept among [`TableProperties::other`], unknown names too.

use std::collections::BTreeMap;

use crate::coding::{get_varint64, put_varint64};

use super::block::BlockBuilder;

/// Name of the index type property (fixed32: 0 binary search, 1 hash, 2 partitioned, 3 binary
/// search with first key).
pub const INDEX_TYPE: &str = "rocksdb.block.based.table.index.type";

/// What a table says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableProperties {
    /// `rocksdb.num.entries`: point entries plus range deletions.
    pub num_entries: u64,
    /// `rocksdb.deleted.keys`: deletions, single deletions and range deletions.
    pub num_deletions: u64,
    /// `rocksdb.merge.operands`.
    pub num_merge_operands: u64,
    /// `rocksdb.num.range-deletions`.
    pub num_range_deletions: u64,
    /// `rocksdb.raw.key.size`.
    pub raw_key_size: u64,
    /// `rocksdb.raw.value.size`.
    pub raw_value_size: u64,
    /// `rocksdb.data.size`: bytes of data blocks, trailers included.
    pub data_size: u64,
    /// `rocksdb.index.size`.
    pub index_size: u64,
    /// `rocksdb.num.data.blocks`.
    pub num_data_blocks: u64,
    /// `rocksdb.filter.size`.
    pub filter_size: u64,
    /// `rocksdb.num.filter_entries`.
    pub num_filter_entries: u64,
    /// `rocksdb.index.key.is.user.key`.
    pub index_key_is_user_key: u64,
    /// `rocksdb.index.value.is.delta.encoded`.
    pub index_value_is_delta_encoded: u64,
    /// `rocksdb.format.version` (of plain tables; 0 for block-based ones).
    pub format_version: u64,
    /// `rocksdb.fixed.key.length`.
    pub fixed_key_len: u64,
    /// `rocksdb.column.family.id`.
    pub column_family_id: u64,
    /// `rocksdb.creation.time` (seconds since the epoch; 0 unknown).
    pub creation_time: u64,
    /// `rocksdb.oldest.key.time`.
    pub oldest_key_time: u64,
    /// `rocksdb.file.creation.time`.
    pub file_creation_time: u64,
    /// `rocksdb.original.file.number`.
    pub orig_file_number: u64,
    /// `rocksdb.column.family.name`.
    pub column_family_name: String,
    /// `rocksdb.comparator`.
    pub comparator_name: String,
    /// `rocksdb.merge.operator`.
    pub merge_operator_name: String,
    /// `rocksdb.compression`.
    pub compression_name: String,
    /// `rocksdb.filter.policy`.
    pub filter_policy_name: String,
    /// `rocksdb.block.based.table.index.type`, when present.
    pub index_type: Option<u32>,
    /// Every other property, and numbers that did not parse, as stored.
    pub other: BTreeMap<String, Vec<u8>>,
}

type NumField = fn(&mut TableProperties) -> &mut u64;
type StrField = fn(&mut TableProperties) -> &mut String;

const NUMBERS: &[(&str, NumField)] = &[
    ("rocksdb.column.family.id", |p| &mut p.column_family_id),
    ("rocksdb.creation.time", |p| &mut p.creation_time),
    ("rocksdb.data.size", |p| &mut p.data_size),
    ("rocksdb.deleted.keys", |p| &mut p.num_deletions),
    ("rocksdb.file.creation.time", |p| &mut p.file_creation_time),
    ("rocksdb.filter.size", |p| &mut p.filter_size),
    ("rocksdb.fixed.key.length", |p| &mut p.fixed_key_len),
    ("rocksdb.format.version", |p| &mut p.format_version),
    ("rocksdb.index.key.is.user.key", |p| {
        &mut p.index_key_is_user_key
    }),
    ("rocksdb.index.size", |p| &mut p.index_size),
    ("rocksdb.index.value.is.delta.encoded", |p| {
        &mut p.index_value_is_delta_encoded
    }),
    ("rocksdb.merge.operands", |p| &mut p.num_merge_operands),
    ("rocksdb.num.data.blocks", |p| &mut p.num_data_blocks),
    ("rocksdb.num.entries", |p| &mut p.num_entries),
    ("rocksdb.num.filter_entries", |p| &mut p.num_filter_entries),
    ("rocksdb.num.range-deletions", |p| {
        &mut p.num_range_deletions
    }),
    ("rocksdb.oldest.key.time", |p| &mut p.oldest_key_time),
    ("rocksdb.original.file.number", |p| &mut p.orig_file_number),
    ("rocksdb.raw.key.size", |p| &mut p.raw_key_size),
    ("rocksdb.raw.value.size", |p| &mut p.raw_value_size),
];

const STRINGS: &[(&str, StrField)] = &[
    ("rocksdb.column.family.name", |p| &mut p.column_family_name),
    ("rocksdb.comparator", |p| &mut p.comparator_name),
    ("rocksdb.compression", |p| &mut p.compression_name),
    ("rocksdb.filter.policy", |p| &mut p.filter_policy_name),
    ("rocksdb.merge.operator", |p| &mut p.merge_operator_name),
];

impl TableProperties {
    /// The properties as (name, value) pairs, sorted by name. Empty names (filter policy, ...)
    /// are left out; `other` entries are included.
    pub fn encode_entries(&self) -> Vec<(String, Vec<u8>)> {
        let mut copy = self.clone();
        let mut out: BTreeMap<String, Vec<u8>> = self.other.clone();
        for (name, field) in NUMBERS {
            let mut v = Vec::new();
            put_varint64(&mut v, *field(&mut copy));
            out.insert((*name).to_owned(), v);
        }
        for (name, field) in STRINGS {
            let s = field(&mut copy);
            if !s.is_empty() {
                out.insert((*name).to_owned(), s.as_bytes().to_vec());
            }
        }
        if let Some(t) = self.index_type {
            out.insert(INDEX_TYPE.to_owned(), t.to_le_bytes().to_vec());
        }
        out.into_iter().collect()
    }

    /// The properties block's bytes (one restart point, keys strictly sorted).
    pub fn encode_block(&self) -> Vec<u8> {
        let mut b = BlockBuilder::new(usize::MAX);
        for (k, v) in self.encode_entries() {
            b.add(k.as_bytes(), &v);
        }
        b.finish()
    }

    /// Records one decoded entry.
    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        let name_str = String::from_utf8_lossy(name);
        if let Some((_, field)) = NUMBERS.iter().find(|(n, _)| n.as_bytes() == name) {
            let mut src = value;
            if let Some(v) = get_varint64(&mut src).filter(|_| src.is_empty()) {
                *field(self) = v;
                return;
            }
        } else if let Some((_, field)) = STRINGS.iter().find(|(n, _)| n.as_bytes() == name) {
            *field(self) = String::from_utf8_lossy(value).into_owned();
            return;
        } else if name == INDEX_TYPE.as_bytes() {
            if let Ok(b) = <[u8; 4]>::try_from(value) {
                self.index_type = Some(u32::from_le_bytes(b));
                return;
            }
        }
        self.other.insert(name_str.into_owned(), value.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iter::InternalIterator;
    use crate::table::block::{Block, KeyOrder};
    use crate::Result;
    use std::sync::Arc;

    fn decode(bytes: Vec<u8>) -> Result<TableProperties> {
        let block = Arc::new(Block::new(bytes, "t".into(), 0)?);
        let mut it = block.iter(KeyOrder::Bytewise, false);
        let mut p = TableProperties::default();
        it.seek_to_first()?;
        while it.valid() {
            p.set(it.key(), it.value());
            it.next()?;
        }
        Ok(p)
    }

    #[test]
    fn properties_round_trip_and_are_strictly_sorted() -> Result<()> {
        let mut p = TableProperties {
            num_entries: 300,
            data_size: 1 << 40,
            comparator_name: "leveldb.BytewiseComparator".into(),
            column_family_name: "default".into(),
            compression_name: "Snappy".into(),
            index_type: Some(0),
            ..TableProperties::default()
        };
        p.other.insert("zzz.user".into(), b"x".to_vec());
        let entries = p.encode_entries();
        assert!(entries.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(decode(p.encode_block())?, p);
        Ok(())
    }

    #[test]
    fn malformed_number_is_kept_verbatim_not_fatal() {
        let mut p = TableProperties::default();
        p.set(b"rocksdb.num.entries", &[0xff]);
        assert_eq!(p.num_entries, 0);
        assert_eq!(p.other.get("rocksdb.num.entries"), Some(&vec![0xff]));
    }
}
