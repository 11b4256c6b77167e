//! edgestate's LSM storage engine.
//!
//! RocksDB's architecture and on-disk formats, in Rust that compiles unchanged to wasm32. The
//! engine touches storage only through the [`vfs::Vfs`] trait, which the host implements: OPFS
//! sync access handles or IndexedDB in a browser, Deno's or Node's file APIs at the edge, and
//! [`vfs::MemVfs`] for tests. Every call is synchronous; the engine runs single-threaded.
//!
//! Layers, bottom up:
//! - [`coding`]: varints and fixed-width integers as RocksDB writes them.
//! - [`log`]: the write-ahead log format (32 KiB blocks of checksummed fragments).
//! - [`batch`]: RocksDB's WriteBatch encoding, the payload of every log record.
//! - [`memtable`]: the in-memory table writes land in.
//! - [`table`]: block-based tables (SST files) in RocksDB's format: builder, reader, iterator.
//! - [`db`]: open/recover, the write path, reads.

pub mod batch;
pub mod cache;
pub mod coding;
pub mod compaction;
pub mod db;
pub mod dbformat;
mod error;
pub mod export;
pub mod iter;
pub mod log;
pub mod mem;
pub mod merge;
pub mod table;
pub mod version;
pub mod vfs;

// Compiled for wasm32, and under clippy so that the lints cover the boundary code as well.
#[cfg(any(target_arch = "wasm32", clippy))]
mod bindings;

pub use error::{Error, IoErrorKind, Result};
