//! The files of one column family, by level: what a read searches and compaction rewrites.
//!
//! Invariants (checked when a version is built from the MANIFEST): level 0 files may overlap
//! and are ordered newest first (by largest sequence number); files of every other level do not
//! overlap and are ordered by smallest key.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::dbformat::{compare_internal_keys, user_key};
use crate::version::FileMetaData;

/// Number of levels (RocksDB's default; a RocksDB-written MANIFEST uses the same).
pub const NUM_LEVELS: usize = 7;

/// The live files of one column family.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    files: [Vec<Arc<FileMetaData>>; NUM_LEVELS],
    /// The smallest `file_creation_time` of any file (kept by `add` and `remove`), so that the
    /// compaction picker, which runs after every write, checks for periodic compaction at no
    /// cost per file.
    oldest_creation: Option<u64>,
}

impl Levels {
    /// Files of `level`, in search order.
    pub fn files(&self, level: usize) -> &[Arc<FileMetaData>] {
        self.files.get(level).map_or(&[], Vec::as_slice)
    }

    /// Adds a file, keeping the level's order.
    pub fn add(&mut self, level: usize, file: Arc<FileMetaData>) {
        let Some(files) = self.files.get_mut(level) else {
            return;
        };
        self.oldest_creation = Some(
            self.oldest_creation
                .map_or(file.file_creation_time, |t| t.min(file.file_creation_time)),
        );
        files.push(file);
        if level == 0 {
            files.sort_by(|a, b| {
                b.largest_seqno
                    .cmp(&a.largest_seqno)
                    .then(b.number.cmp(&a.number))
            });
        } else {
            files.sort_by(|a, b| compare_internal_keys(&a.smallest, &b.smallest));
        }
    }

    /// Removes file `number` from `level`; whether it was there.
    pub fn remove(&mut self, level: usize, number: u64) -> bool {
        let Some(files) = self.files.get_mut(level) else {
            return false;
        };
        let before = files.len();
        files.retain(|f| f.number != number);
        if files.len() == before {
            return false;
        }
        self.oldest_creation = self.all_files().map(|(_, f)| f.file_creation_time).min();
        true
    }

    /// The smallest creation time of any file (seconds since the epoch, 0 unknown), `None` if
    /// there is no file.
    pub fn oldest_creation_time(&self) -> Option<u64> {
        self.oldest_creation
    }

    /// The deepest level holding a file, if any.
    pub fn last_non_empty_level(&self) -> Option<usize> {
        (0..NUM_LEVELS).rev().find(|&l| !self.files(l).is_empty())
    }

    /// Total bytes of `level`.
    pub fn level_bytes(&self, level: usize) -> u64 {
        self.files(level).iter().map(|f| f.file_size).sum()
    }

    /// Every live file number.
    pub fn all_files(&self) -> impl Iterator<Item = (usize, &Arc<FileMetaData>)> {
        self.files
            .iter()
            .enumerate()
            .flat_map(|(level, files)| files.iter().map(move |f| (level, f)))
    }

    /// In a level ≥ 1, the one file whose range may hold `user_key`.
    pub fn find_file(&self, level: usize, key: &[u8]) -> Option<&Arc<FileMetaData>> {
        let files = self.files(level);
        let i = files.partition_point(|f| user_key(&f.largest) < key);
        files.get(i).filter(|f| user_key(&f.smallest) <= key)
    }

    /// Files of `level` whose user-key range intersects `[smallest, largest]`.
    pub fn overlapping(
        &self,
        level: usize,
        smallest: &[u8],
        largest: &[u8],
    ) -> Vec<Arc<FileMetaData>> {
        self.files(level)
            .iter()
            .filter(|f| user_key(&f.largest) >= smallest && user_key(&f.smallest) <= largest)
            .cloned()
            .collect()
    }

    /// Whether any level below `level` holds keys in `[smallest, largest]`.
    pub fn overlaps_below(&self, level: usize, smallest: &[u8], largest: &[u8]) -> bool {
        (level + 1..NUM_LEVELS).any(|l| !self.overlapping(l, smallest, largest).is_empty())
    }
}

/// The user-key range covered by `files`.
pub fn key_range(files: &[Arc<FileMetaData>]) -> Option<(Vec<u8>, Vec<u8>)> {
    let smallest = files.iter().map(|f| user_key(&f.smallest)).min()?.to_vec();
    let largest = files
        .iter()
        .map(|f| user_key(&f.largest))
        .max_by(|a, b| a.cmp(b).then(Ordering::Equal))?
        .to_vec();
    Some((smallest, largest))
}

/// Whether `key` is outside the user-key range of `file`.
pub fn user_key_outside(file: &FileMetaData, key: &[u8]) -> bool {
    key < user_key(&file.smallest) || key > user_key(&file.largest)
}
