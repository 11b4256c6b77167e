//! A [`MemVfs`] that fails on demand, as a full or failing storage would (Pebble's `errorfs`):
//! for tests of the engine's failure paths. Test-only.

use std::cell::Cell;
use std::rc::Rc;

use super::{MemVfs, OpenMode, Vfs, VfsFile};
use crate::{Error, IoErrorKind, Result};

/// Switches shared by a [`FaultVfs`] and every file it opened; all off at first.
pub(crate) struct Faults {
    /// The most bytes all files may hold together: a write that would grow them past it fails
    /// with `QuotaExceeded`, writing nothing (a storage that fills up). `u64::MAX` at first.
    pub(crate) limit: Cell<u64>,
    /// `write_at` fails with `QuotaExceeded`, writing nothing (a full storage).
    pub(crate) full: Cell<bool>,
    /// `write_at` writes the first 3 bytes of its data (less than a log header), then fails.
    pub(crate) torn_writes: Cell<bool>,
    /// `truncate` fails (a failed write then cannot be cut back off).
    pub(crate) failing_truncates: Cell<bool>,
    /// `sync` fails after the data was handed over.
    pub(crate) failing_syncs: Cell<bool>,
    /// Creating a table (`*.sst`) fails with `Exhausted`, the retryable kind (as the OPFS pool
    /// before it has grown).
    pub(crate) no_new_tables: Cell<bool>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            limit: Cell::new(u64::MAX),
            full: Cell::default(),
            torn_writes: Cell::default(),
            failing_truncates: Cell::default(),
            failing_syncs: Cell::default(),
            no_new_tables: Cell::default(),
        }
    }
}

impl Faults {
    /// Turns every fault off.
    pub(crate) fn clear(&self) {
        self.limit.set(u64::MAX);
        for switch in [
            &self.full,
            &self.torn_writes,
            &self.failing_truncates,
            &self.failing_syncs,
            &self.no_new_tables,
        ] {
            switch.set(false);
        }
    }
}

/// A [`MemVfs`] (`inner`, to inspect or crash) whose files fail as [`Faults`] says.
#[derive(Clone, Default)]
pub(crate) struct FaultVfs {
    pub(crate) inner: MemVfs,
    pub(crate) faults: Rc<Faults>,
}

struct FaultFile {
    inner: Box<dyn VfsFile>,
    faults: Rc<Faults>,
    /// The storage the file is in, to measure against `Faults::limit`.
    vfs: MemVfs,
}

impl FaultVfs {
    /// Bytes all files hold together.
    pub(crate) fn total(&self) -> u64 {
        total(&self.inner)
    }
}

fn total(vfs: &MemVfs) -> u64 {
    let names = vfs.list().unwrap_or_default();
    names
        .iter()
        .map(|n| vfs.contents(n).map_or(0, |c| c.len() as u64))
        .sum()
}

fn failure(op: &'static str, kind: IoErrorKind) -> Error {
    Error::Io {
        op,
        file: String::new(),
        kind,
        message: format!("injected {op} failure"),
    }
}

impl Vfs for FaultVfs {
    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn VfsFile>> {
        if self.faults.no_new_tables.get()
            && mode == OpenMode::CreateTruncate
            && name.ends_with(".sst")
        {
            return Err(failure("open", IoErrorKind::Exhausted));
        }
        Ok(Box::new(FaultFile {
            inner: self.inner.open(name, mode)?,
            faults: Rc::clone(&self.faults),
            vfs: self.inner.clone(),
        }))
    }
    fn delete(&self, name: &str) -> Result<()> {
        self.inner.delete(name)
    }
    fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.inner.rename(from, to)
    }
    fn list(&self) -> Result<Vec<String>> {
        self.inner.list()
    }
}

impl VfsFile for FaultFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        let grow = (offset + data.len() as u64).saturating_sub(self.inner.size()?);
        if self.faults.full.get() || total(&self.vfs) + grow > self.faults.limit.get() {
            return Err(failure("write", IoErrorKind::QuotaExceeded));
        }
        if self.faults.torn_writes.get() {
            self.inner.write_at(offset, data.get(..3).unwrap_or(data))?;
            return Err(failure("write", IoErrorKind::Other));
        }
        self.inner.write_at(offset, data)
    }
    fn size(&mut self) -> Result<u64> {
        self.inner.size()
    }
    fn truncate(&mut self, len: u64) -> Result<()> {
        if self.faults.failing_truncates.get() {
            return Err(failure("truncate", IoErrorKind::Other));
        }
        self.inner.truncate(len)
    }
    fn sync(&mut self) -> Result<()> {
        if self.faults.failing_syncs.get() {
            return Err(failure("sync", IoErrorKind::Other));
        }
        self.inner.sync()
    }
}
