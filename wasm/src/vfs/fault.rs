//! A [`MemVfs`] that fails on demand, as a full or failing storage would (Pebble's `errorfs`):
//! for tests of the engine's failure paths. Test-only.

use std::cell::Cell;
use std::rc::Rc;

use super::{MemVfs, OpenMode, Vfs, VfsFile};
use crate::{Error, IoErrorKind, Result};

/// Switches shared by a [`FaultVfs`] and every file it opened; all off at first.
#[derive(Default)]
pub(crate) struct Faults {
    /// `write_at` fails with `QuotaExceeded`, writing nothing (a full storage).
    pub(crate) full: Cell<bool>,
    /// `write_at` writes the first 3 bytes of its data (less than a log header), then fails.
    pub(crate) torn_writes: Cell<bool>,
    /// `truncate` fails (a failed write then cannot be cut back off).
    pub(crate) failing_truncates: Cell<bool>,
    /// `sync` fails after the data was handed over.
    pub(crate) failing_syncs: Cell<bool>,
}

impl Faults {
    /// Turns every fault off.
    pub(crate) fn clear(&self) {
        for switch in [
            &self.full,
            &self.torn_writes,
            &self.failing_truncates,
            &self.failing_syncs,
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
        Ok(Box::new(FaultFile {
            inner: self.inner.open(name, mode)?,
            faults: Rc::clone(&self.faults),
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
        if self.faults.full.get() {
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
