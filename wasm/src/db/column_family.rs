//! Column families: independent key spaces sharing one log and one MANIFEST (RocksDB's model;
//! edgestate keeps one per keyed state).

use super::levels::{Levels, NUM_LEVELS};
use super::options::ColumnFamilyOptions;
use crate::mem::MemTable;

/// Id of the column family every database has.
pub const DEFAULT_CF: u32 = 0;
/// Its name.
pub const DEFAULT_CF_NAME: &str = "default";

/// The in-memory state of one column family.
pub(crate) struct ColumnFamily {
    pub name: String,
    pub options: ColumnFamilyOptions,
    /// Writes not yet flushed.
    pub mem: MemTable,
    /// Live tables.
    pub levels: Levels,
    /// Logs numbered below this hold nothing this column family still needs.
    pub log_number: u64,
    /// Per level, the largest user key of the last compaction's input: the next one starts
    /// after it (round robin, so that every range is compacted in turn).
    pub compact_cursor: [Vec<u8>; NUM_LEVELS],
}

impl ColumnFamily {
    pub fn new(
        name: String,
        options: ColumnFamilyOptions,
        levels: Levels,
        log_number: u64,
    ) -> ColumnFamily {
        ColumnFamily {
            name,
            options,
            mem: MemTable::new(),
            levels,
            log_number,
            compact_cursor: Default::default(),
        }
    }
}
