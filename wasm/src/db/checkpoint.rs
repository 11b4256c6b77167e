//! The checkpoint primitive: a consistent, self-contained set of files for the whole database,
//! kept on disk while the caller copies them.
//!
//! `pin_checkpoint` flushes every memtable (so no log is needed), then describes the state as
//! the live tables plus the image of a MANIFEST naming exactly them. The tables stay on disk until
//! `release_checkpoint`, even if compaction retires them meanwhile; incremental checkpoints build
//! on this: a table number, once written, never changes content, so a table already stored by
//! an earlier checkpoint need not be stored again. Pins live in memory: a reopen drops them (and
//! deletes the files only they kept).

use super::recovery::snapshot_edits;
use super::Db;
use crate::log::LogWriter;
use crate::version::{manifest_file_name, table_file_name};
use crate::vfs::{MemVfs, OpenMode, Vfs};
use crate::Result;

/// The files of a pinned checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointFiles {
    /// Id to release it with.
    pub id: u64,
    /// The sequence number the checkpoint is consistent at.
    pub last_sequence: u64,
    /// `(file name, size)` of every table it references, readable through the database's VFS.
    pub tables: Vec<(String, u64)>,
    /// Name the MANIFEST image must be written under (`CURRENT` names it).
    pub manifest_name: String,
    /// The MANIFEST image: written with `CURRENT` (`manifest_name` + newline) and the tables
    /// into an empty directory, it is a database RocksDB and edgestate open.
    pub manifest: Vec<u8>,
}

impl Db {
    /// Flushes, then pins and describes the current state as a set of files.
    pub fn pin_checkpoint(&mut self) -> Result<CheckpointFiles> {
        self.flush()?;
        let mut numbers = Vec::new();
        let mut tables = Vec::new();
        for cf in self.cfs.values() {
            for (_, f) in cf.levels.all_files() {
                numbers.push(f.number);
                tables.push((table_file_name(f.number), f.file_size));
            }
        }
        // The image claims no log (log_number past every log) and a file counter past every
        // table, so opening it needs nothing else.
        let manifest_number = self.next_file_number;
        let edits = snapshot_edits(
            &self.cfs,
            self.max_column_family,
            Some(self.next_file_number + 1),
            self.next_file_number + 2,
            self.last_sequence,
        );
        let manifest_name = manifest_file_name(manifest_number);
        let image = MemVfs::new();
        let mut w = LogWriter::new(
            image.open(&manifest_name, OpenMode::CreateTruncate)?,
            manifest_name.clone(),
        );
        let mut buf = Vec::new();
        for edit in &edits {
            buf.clear();
            edit.encode(&mut buf);
            w.add_record(&buf)?;
        }
        drop(w);
        let manifest = image.contents(&manifest_name).unwrap_or_default();
        let id = self.next_pin;
        self.next_pin += 1;
        self.pins.insert(id, numbers);
        Ok(CheckpointFiles {
            id,
            last_sequence: self.last_sequence,
            tables,
            manifest_name,
            manifest,
        })
    }

    /// Releases a pinned checkpoint: tables only it kept alive are deleted now.
    pub fn release_checkpoint(&mut self, id: u64) {
        let Some(numbers) = self.pins.remove(&id) else {
            return;
        };
        let live: std::collections::HashSet<u64> = self
            .cfs
            .values()
            .flat_map(|cf| {
                cf.levels
                    .all_files()
                    .map(|(_, f)| f.number)
                    .collect::<Vec<_>>()
            })
            .collect();
        for n in numbers {
            if !live.contains(&n) && !self.pins.values().any(|p| p.contains(&n)) {
                let _ = self.vfs.delete(&table_file_name(n));
            }
        }
    }

    /// Reads up to `max` bytes at `offset` of table `name`, which a pinned checkpoint must
    /// reference (so its content cannot change or vanish meanwhile), into `out` (replacing its
    /// contents). Returns how many bytes were read: fewer than `max` only at the end of the file.
    pub fn read_pinned(
        &self,
        name: &str,
        offset: u64,
        max: usize,
        out: &mut Vec<u8>,
    ) -> Result<usize> {
        let pinned = crate::version::parse_file_name(name)
            .filter(|(kind, _)| *kind == crate::version::FileKind::Table)
            .is_some_and(|(_, number)| self.pins.values().any(|p| p.contains(&number)));
        if !pinned {
            return Err(crate::Error::InvalidArgument(format!(
                "{name} is not a table of a pinned checkpoint"
            )));
        }
        let mut file = self.vfs.open(name, OpenMode::Existing)?;
        out.clear();
        out.resize(max, 0);
        let mut filled = 0;
        while filled < max {
            let n = file.read_at(offset + filled as u64, &mut out[filled..])?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        out.truncate(filled);
        Ok(filled)
    }

    /// Whether the database's storage holds a file called `name` (for tests and export).
    pub fn has_file(&self, name: &str) -> bool {
        self.vfs
            .list()
            .is_ok_and(|names| names.iter().any(|n| n == name))
    }
}
