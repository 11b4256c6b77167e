//! The reference [`Vfs`]: files as byte vectors in memory.
//!
//! Every host implementation should behave like this one. Besides tests and ephemeral databases,
//! it simulates crashes: each file remembers how much of it was synced, and [`MemVfs::crash`]
//! throws away everything written after the last sync, the way a power loss would.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use super::{OpenMode, Vfs, VfsFile};
use crate::{Error, IoErrorKind, Result};

#[derive(Default)]
struct MemFileData {
    bytes: Vec<u8>,
    /// Bytes durable as of the last `sync`. A crash restores the file to this.
    synced: Vec<u8>,
}

type Files = Rc<RefCell<BTreeMap<String, Rc<RefCell<MemFileData>>>>>;

/// An in-memory file system. Cloning it gives another handle on the same files (as a reopened
/// database would see them).
#[derive(Clone, Default)]
pub struct MemVfs {
    files: Files,
}

impl MemVfs {
    /// An empty file system.
    pub fn new() -> MemVfs {
        MemVfs::default()
    }

    /// Simulates a crash: every file reverts to its content at its last `sync`. Files created but
    /// never synced are left empty (directory entries are treated as durable on creation).
    pub fn crash(&self) {
        for file in self.files.borrow().values() {
            let mut f = file.borrow_mut();
            f.bytes = f.synced.clone();
        }
    }

    /// Simulates a crash that tears the last writes: each file keeps its synced bytes plus a
    /// prefix of its unsynced ones, of a length chosen pseudo-randomly from `seed` (from none to
    /// all of them).
    pub fn crash_tearing(&self, seed: u64) {
        let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        for file in self.files.borrow().values() {
            let mut f = file.borrow_mut();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let synced = f.synced.len().min(f.bytes.len());
            let unsynced = f.bytes.len() - synced;
            let keep = synced + (x % (unsynced as u64 + 1)) as usize;
            let mut bytes = f.bytes.clone();
            bytes.truncate(keep);
            // Bytes before the synced length that were overwritten since are not modelled:
            // the engine only appends to files it has synced.
            f.bytes = bytes;
            f.synced = f.bytes.clone();
        }
    }

    /// The current content of `name` (for tests that corrupt files).
    pub fn contents(&self, name: &str) -> Option<Vec<u8>> {
        self.files
            .borrow()
            .get(name)
            .map(|f| f.borrow().bytes.clone())
    }

    /// Replaces the content of `name`, as synced data (for tests that corrupt files).
    pub fn set_contents(&self, name: &str, bytes: Vec<u8>) {
        let data = MemFileData {
            synced: bytes.clone(),
            bytes,
        };
        self.files
            .borrow_mut()
            .insert(name.to_owned(), Rc::new(RefCell::new(data)));
    }

    fn not_found(op: &'static str, name: &str) -> Error {
        Error::Io {
            op,
            file: name.to_owned(),
            kind: IoErrorKind::NotFound,
            message: "no such file".to_owned(),
        }
    }
}

impl Vfs for MemVfs {
    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn VfsFile>> {
        let mut files = self.files.borrow_mut();
        let data = match mode {
            OpenMode::Existing => files
                .get(name)
                .cloned()
                .ok_or_else(|| Self::not_found("open", name))?,
            OpenMode::CreateTruncate => {
                let data = Rc::new(RefCell::new(MemFileData::default()));
                files.insert(name.to_owned(), Rc::clone(&data));
                data
            }
        };
        Ok(Box::new(MemFile { data }))
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.files
            .borrow_mut()
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| Self::not_found("delete", name))
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        let mut files = self.files.borrow_mut();
        let data = files
            .remove(from)
            .ok_or_else(|| Self::not_found("rename", from))?;
        files.insert(to.to_owned(), data);
        Ok(())
    }

    fn list(&self) -> Result<Vec<String>> {
        Ok(self.files.borrow().keys().cloned().collect())
    }
}

struct MemFile {
    data: Rc<RefCell<MemFileData>>,
}

fn to_usize(op: &'static str, v: u64) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::Io {
        op,
        file: String::new(),
        kind: IoErrorKind::Other,
        message: format!("offset {v} does not fit in memory"),
    })
}

impl VfsFile for MemFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let data = self.data.borrow();
        let start = to_usize("read", offset)?.min(data.bytes.len());
        let src = data.bytes.get(start..).unwrap_or_default();
        let n = src.len().min(buf.len());
        buf.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(src.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn write_at(&mut self, offset: u64, src: &[u8]) -> Result<()> {
        let mut data = self.data.borrow_mut();
        let start = to_usize("write", offset)?;
        let end = start + src.len();
        if data.bytes.len() < end {
            data.bytes.resize(end, 0);
        }
        if let Some(dst) = data.bytes.get_mut(start..end) {
            dst.copy_from_slice(src);
        }
        Ok(())
    }

    fn size(&mut self) -> Result<u64> {
        Ok(self.data.borrow().bytes.len() as u64)
    }

    fn truncate(&mut self, len: u64) -> Result<()> {
        let len = to_usize("truncate", len)?;
        self.data.borrow_mut().bytes.resize(len, 0);
        Ok(())
    }

    fn sync(&mut self) -> Result<()> {
        let mut data = self.data.borrow_mut();
        data.synced = data.bytes.clone();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_keeps_only_synced_bytes() -> Result<()> {
        let vfs = MemVfs::new();
        let mut f = vfs.open("a", OpenMode::CreateTruncate)?;
        f.write_at(0, b"hello")?;
        f.sync()?;
        f.write_at(5, b" world")?;
        vfs.crash();
        assert_eq!(vfs.contents("a").as_deref(), Some(&b"hello"[..]));
        Ok(())
    }

    #[test]
    fn write_past_end_zero_fills_the_gap() -> Result<()> {
        let vfs = MemVfs::new();
        let mut f = vfs.open("a", OpenMode::CreateTruncate)?;
        f.write_at(3, b"x")?;
        assert_eq!(vfs.contents("a").as_deref(), Some(&b"\0\0\0x"[..]));
        Ok(())
    }

    #[test]
    fn open_of_missing_file_is_not_found() {
        let err = MemVfs::new().open("nope", OpenMode::Existing).err();
        assert!(matches!(
            err,
            Some(Error::Io {
                kind: IoErrorKind::NotFound,
                ..
            })
        ));
    }

    #[test]
    fn rename_replaces_target() -> Result<()> {
        let vfs = MemVfs::new();
        vfs.set_contents("a", b"new".to_vec());
        vfs.set_contents("b", b"old".to_vec());
        vfs.rename("a", "b")?;
        assert_eq!(vfs.list()?, vec!["b".to_owned()]);
        assert_eq!(vfs.contents("b").as_deref(), Some(&b"new"[..]));
        Ok(())
    }
}
