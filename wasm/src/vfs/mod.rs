//! The storage seam: the only way the engine reaches files.
//!
//! A host (browser worker, Deno, Node, a Durable Object, a test) implements [`Vfs`]; the engine
//! never calls a file system directly, which is what lets the same code run natively and in
//! wasm32. All calls are synchronous: a host whose storage is asynchronous (IndexedDB, OPFS handle
//! creation) must prepare ahead (a pool of open handles, files cached in memory) so that these
//! calls complete without waiting.
//!
//! Contract, for every implementation:
//! - File names are flat (no directories), ASCII, at most 255 bytes.
//! - `write_at` past the end extends the file (the gap reads as zeros); `read_at` returns fewer
//!   bytes than asked only at end of file.
//! - Data is durable only once `sync` has returned for that file. A write that has returned but
//!   not been synced may be lost or torn by a crash; a write that has returned survives the loss
//!   of the engine's process (a killed worker) unless the host says otherwise.
//! - `rename` replaces the target if it exists.
//! - Errors are [`crate::Error::Io`] with the operation, file and an [`crate::IoErrorKind`].

#[cfg(test)]
pub(crate) mod fault;
mod memory;
#[cfg(not(target_arch = "wasm32"))]
mod std_fs;

pub use memory::MemVfs;
#[cfg(not(target_arch = "wasm32"))]
pub use std_fs::StdFsVfs;

use crate::Result;

/// How to open a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Open an existing file; fail with `IoErrorKind::NotFound` if there is none.
    Existing,
    /// Create an empty file, replacing any file of that name.
    CreateTruncate,
}

/// A file system the engine can use. See the module documentation for the contract.
pub trait Vfs {
    /// Opens `name` as `mode` says.
    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn VfsFile>>;
    /// Deletes `name`; deleting a missing file is an `IoErrorKind::NotFound` error.
    fn delete(&self, name: &str) -> Result<()>;
    /// Renames `from` to `to`, replacing `to`.
    fn rename(&self, from: &str, to: &str) -> Result<()>;
    /// Names of all files, in no particular order.
    fn list(&self) -> Result<Vec<String>>;
}

/// An open file. Dropping it closes it.
pub trait VfsFile {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many were read (0 at end of file).
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize>;
    /// Writes all of `data` at `offset`.
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()>;
    /// The file's current size in bytes.
    fn size(&mut self) -> Result<u64>;
    /// Shrinks or extends the file to `len` bytes.
    fn truncate(&mut self, len: u64) -> Result<()>;
    /// Makes every write so far durable.
    fn sync(&mut self) -> Result<()>;
}

/// Reads exactly `buf.len()` bytes at `offset` or reports how many the file had.
pub(crate) fn read_full(file: &mut dyn VfsFile, offset: u64, buf: &mut [u8]) -> Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        let n = file.read_at(
            offset + done as u64,
            buf.get_mut(done..).unwrap_or_default(),
        )?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}
