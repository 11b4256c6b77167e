//! Block-based tables (SST files) in RocksDB 7.8.3's format.
//!
//! ```text
//! table := data_block* filter_block? index_block range_del_block? properties_block
//!          metaindex_block footer                (each block followed by its 5-byte trailer)
//! ```
//! - [`format`]: block handles, trailers, checksums, the footer.
//! - [`block`]: the entry/restart layout shared by every block kind.
//! - [`compression`], [`filter`] (with [`hash`]), [`properties`]: what the blocks hold.
//! - [`TableBuilder`] writes a table, [`Table`] reads one, [`TableIterator`] walks it.
//!
//! Writer profile: format_version 5, CRC32c checksums, internal-key index with full handles and
//! restart interval 1, FastLocalBloom full filter, sorted properties. The reader accepts what
//! RocksDB 7.8.3 writes by default as well (XXH3 checksums, user-key and delta-encoded indexes,
//! Snappy/LZ4/zlib blocks, legacy Bloom filters). Full description: `docs/formats/sst.md`.

pub mod block;
mod builder;
pub mod compression;
pub mod filter;
pub mod format;
pub mod hash;
mod iterator;
pub mod properties;
mod reader;
#[cfg(test)]
mod tests;

pub use builder::{TableBuilder, TableSummary};
pub use compression::Compression;
pub use iterator::TableIterator;
pub use properties::TableProperties;
pub use reader::Table;

/// Metaindex name of the FastLocalBloom / legacy full filter block.
pub const FULL_FILTER_NAME: &str = "fullfilter.rocksdb.BuiltinBloomFilter";
/// Metaindex name of the properties block.
pub const PROPERTIES_NAME: &str = "rocksdb.properties";
/// Metaindex name of the range deletion block.
pub const RANGE_DEL_NAME: &str = "rocksdb.range_del";

/// How [`TableBuilder`] lays out a table.
#[derive(Debug, Clone)]
pub struct TableOptions {
    /// Target uncompressed size of a data block (RocksDB's default 4096).
    pub block_size: usize,
    /// Entries between restart points in data blocks (default 16).
    pub block_restart_interval: usize,
    /// Bloom filter bits per key; 0 writes no filter (default 10).
    pub bloom_bits_per_key: u32,
    /// Compression of data blocks (default none).
    pub compression: Compression,
    /// Column family id recorded in the properties.
    pub column_family_id: u32,
    /// Column family name recorded in the properties.
    pub column_family_name: String,
    /// `rocksdb.creation.time`: when the oldest data the table holds first reached a table
    /// (RocksDB's "oldest ancester time"), in seconds since the epoch; 0 unknown.
    pub creation_time: u64,
    /// `rocksdb.file.creation.time`: when this table was written, in seconds since the epoch; 0
    /// unknown. Periodic compaction measures a table's age from it.
    pub file_creation_time: u64,
}

impl Default for TableOptions {
    fn default() -> TableOptions {
        TableOptions {
            block_size: 4096,
            block_restart_interval: 16,
            bloom_bits_per_key: 10,
            compression: Compression::None,
            column_family_id: 0,
            column_family_name: "default".to_owned(),
            creation_time: 0,
            file_creation_time: 0,
        }
    }
}

/// A range deletion: every key in `[start, end)` with a sequence number below `seq` is deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeTombstone {
    /// Inclusive start user key.
    pub start: Vec<u8>,
    /// Exclusive end user key.
    pub end: Vec<u8>,
    /// Sequence number of the deletion.
    pub seq: u64,
}

/// File name of table number `n` (RocksDB rebuilds paths from numbers: keep the 6-digit form).
pub fn table_file_name(n: u64) -> String {
    format!("{n:06}.sst")
}
