//! The native [`Vfs`]: one directory of the host file system (the CLI, interop tests,
//! benchmarks, Node/Deno-style hosts built natively).

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::{OpenMode, Vfs, VfsFile};
use crate::{Error, IoErrorKind, Result};

/// A directory as a [`Vfs`].
#[derive(Debug, Clone)]
pub struct StdFsVfs {
    dir: PathBuf,
}

fn io_error(op: &'static str, file: &str, e: &std::io::Error) -> Error {
    let kind = match e.kind() {
        ErrorKind::NotFound => IoErrorKind::NotFound,
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => IoErrorKind::QuotaExceeded,
        _ => IoErrorKind::Other,
    };
    Error::Io {
        op,
        file: file.to_owned(),
        kind,
        message: e.to_string(),
    }
}

impl StdFsVfs {
    /// The directory `dir`, which must exist.
    pub fn new(dir: impl Into<PathBuf>) -> Result<StdFsVfs> {
        let dir = dir.into();
        let shown = dir.display().to_string();
        let meta = std::fs::metadata(&dir).map_err(|e| io_error("open", &shown, &e))?;
        if !meta.is_dir() {
            return Err(Error::InvalidArgument(format!(
                "{shown} is not a directory"
            )));
        }
        Ok(StdFsVfs { dir })
    }
}

impl Vfs for StdFsVfs {
    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn VfsFile>> {
        let mut opts = OpenOptions::new();
        opts.read(true).write(true);
        if mode == OpenMode::CreateTruncate {
            opts.create(true).truncate(true);
        }
        let file = opts
            .open(self.dir.join(name))
            .map_err(|e| io_error("open", name, &e))?;
        Ok(Box::new(StdFile {
            file,
            name: name.to_owned(),
        }))
    }

    fn delete(&self, name: &str) -> Result<()> {
        std::fs::remove_file(self.dir.join(name)).map_err(|e| io_error("delete", name, &e))
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        std::fs::rename(self.dir.join(from), self.dir.join(to))
            .map_err(|e| io_error("rename", from, &e))?;
        // Make the rename itself durable.
        if let Ok(d) = File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn list(&self) -> Result<Vec<String>> {
        let entries = std::fs::read_dir(&self.dir).map_err(|e| io_error("list", "", &e))?;
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| io_error("list", "", &e))?;
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                names.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(names)
    }
}

struct StdFile {
    file: File,
    name: String,
}

impl VfsFile for StdFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.file
            .read_at(buf, offset)
            .map_err(|e| io_error("read", &self.name, &e))
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.file
            .write_all_at(data, offset)
            .map_err(|e| io_error("write", &self.name, &e))
    }
    fn size(&mut self) -> Result<u64> {
        Ok(self
            .file
            .metadata()
            .map_err(|e| io_error("size", &self.name, &e))?
            .len())
    }
    fn truncate(&mut self, len: u64) -> Result<()> {
        self.file
            .set_len(len)
            .map_err(|e| io_error("truncate", &self.name, &e))
    }
    fn sync(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| io_error("sync", &self.name, &e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_round_trip_rename_replaces_and_missing_is_not_found() -> Result<()> {
        let dir = std::env::temp_dir().join(format!("edgestate-stdfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| io_error("mkdir", "", &e))?;
        let vfs = StdFsVfs::new(&dir)?;
        let mut f = vfs.open("a", OpenMode::CreateTruncate)?;
        f.write_at(2, b"xy")?;
        let mut buf = [9u8; 4];
        assert_eq!(f.read_at(0, &mut buf)?, 4);
        assert_eq!(buf, [0, 0, b'x', b'y']);
        f.sync()?;
        drop(f);
        vfs.open("b", OpenMode::CreateTruncate)?;
        vfs.rename("a", "b")?;
        assert_eq!(vfs.list()?, vec!["b".to_owned()]);
        let err = vfs.open("a", OpenMode::Existing).err();
        assert!(matches!(
            err,
            Some(Error::Io {
                kind: IoErrorKind::NotFound,
                ..
            })
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    }
}
