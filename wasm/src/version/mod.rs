//! The MANIFEST: which tables are live, per column family and level (RocksDB's VersionEdits).
//! Format: `docs/formats/manifest.md`.

mod edit;
mod manifest;

pub use crate::table::table_file_name;
pub use edit::{FileMetaData, VersionEdit};
pub use manifest::{
    manifest_file_name, parse_file_name, read_current, recover, set_current, ColumnFamilyState,
    FileKind, ManifestWriter, RecoveredState, NUM_LEVELS,
};
