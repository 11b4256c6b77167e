//! The MANIFEST (a log of VersionEdits) and CURRENT (the name of the live MANIFEST).
//!
//! CURRENT is replaced, never edited: the new content goes to `NNNNNN.dbtmp`, is synced, and is
//! renamed over CURRENT (the VFS contract makes rename atomic; on OPFS it is a slot-header
//! rewrite with a generation number). A crash leaves either the old or the new CURRENT.

use std::collections::BTreeMap;

use super::edit::{FileMetaData, VersionEdit};
use crate::dbformat::{compare_internal_keys, user_key, BYTEWISE_COMPARATOR};
use crate::log::{LogReader, LogWriter, RecoveryMode};
use crate::vfs::{read_full, OpenMode, Vfs};
use crate::{Error, Result};

/// Levels in a version (RocksDB's default).
pub const NUM_LEVELS: usize = 7;

/// `MANIFEST-NNNNNN`.
pub fn manifest_file_name(n: u64) -> String {
    format!("MANIFEST-{n:06}")
}

/// The kinds of files a database directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `NNNNNN.log`
    Log,
    /// `NNNNNN.sst`
    Table,
    /// `MANIFEST-NNNNNN`
    Manifest,
    /// `NNNNNN.dbtmp`
    Temp,
}

/// The kind and number of a database file name.
pub fn parse_file_name(name: &str) -> Option<(FileKind, u64)> {
    let digits = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if let Some(n) = name.strip_prefix("MANIFEST-") {
        return digits(n).map(|n| (FileKind::Manifest, n));
    }
    let (stem, ext) = name.rsplit_once('.')?;
    let kind = match ext {
        "log" => FileKind::Log,
        "sst" => FileKind::Table,
        "dbtmp" => FileKind::Temp,
        _ => return None,
    };
    digits(stem).map(|n| (kind, n))
}

/// The manifest number CURRENT names; `Corruption` if CURRENT is malformed.
pub fn read_current(vfs: &dyn Vfs) -> Result<u64> {
    let mut f = vfs.open("CURRENT", OpenMode::Existing)?;
    let size = f.size()?.min(256) as usize;
    let mut buf = vec![0; size];
    let n = read_full(f.as_mut(), 0, &mut buf)?;
    let text = std::str::from_utf8(buf.get(..n).unwrap_or_default()).unwrap_or("");
    text.strip_suffix('\n')
        .and_then(|t| t.strip_prefix("MANIFEST-"))
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| {
            Error::corruption(
                "CURRENT",
                0,
                format!("expected \"MANIFEST-NNNNNN\\n\", found {text:?}"),
            )
        })
}

/// Points CURRENT at `MANIFEST-{number}` atomically.
pub fn set_current(vfs: &dyn Vfs, number: u64) -> Result<()> {
    let tmp = format!("{number:06}.dbtmp");
    let mut f = vfs.open(&tmp, OpenMode::CreateTruncate)?;
    f.write_at(0, format!("{}\n", manifest_file_name(number)).as_bytes())?;
    f.sync()?;
    drop(f);
    vfs.rename(&tmp, "CURRENT")
}

/// Appends VersionEdits to a MANIFEST.
pub struct ManifestWriter {
    log: LogWriter,
    scratch: Vec<u8>,
}

impl ManifestWriter {
    /// Creates `MANIFEST-{number}` holding `snapshot` (the whole state), synced.
    pub fn create(vfs: &dyn Vfs, number: u64, snapshot: &[VersionEdit]) -> Result<ManifestWriter> {
        let name = manifest_file_name(number);
        let file = vfs.open(&name, OpenMode::CreateTruncate)?;
        let mut w = ManifestWriter {
            log: LogWriter::new(file, name),
            scratch: Vec::new(),
        };
        for edit in snapshot {
            w.write(edit)?;
        }
        w.log.sync()?;
        Ok(w)
    }

    fn write(&mut self, edit: &VersionEdit) -> Result<()> {
        self.scratch.clear();
        edit.encode(&mut self.scratch);
        self.log.add_record(&self.scratch)
    }

    /// Appends `edit` and syncs.
    pub fn append(&mut self, edit: &VersionEdit) -> Result<()> {
        self.write(edit)?;
        self.log.sync()
    }
}

/// One column family as the MANIFEST left it.
#[derive(Debug, Clone, Default)]
pub struct ColumnFamilyState {
    /// Its name.
    pub name: String,
    /// Logs below this number hold nothing it needs.
    pub log_number: u64,
    /// Live files per level.
    pub levels: Vec<Vec<FileMetaData>>,
}

/// What a MANIFEST describes.
#[derive(Debug, Clone, Default)]
pub struct RecoveredState {
    /// Column families by id.
    pub column_families: BTreeMap<u32, ColumnFamilyState>,
    /// Next unused file number.
    pub next_file_number: u64,
    /// Last sequence number used.
    pub last_sequence: u64,
    /// Largest column family id used.
    pub max_column_family: u32,
    /// Number of the MANIFEST read.
    pub manifest_number: u64,
}

/// Reads CURRENT and the MANIFEST it names, applying every edit, with RocksDB's checks.
pub fn recover(vfs: &dyn Vfs) -> Result<RecoveredState> {
    let number = read_current(vfs)?;
    let name = manifest_file_name(number);
    let bad = |reason: String| Error::corruption(&name, 0, reason);
    let mut file = vfs.open(&name, OpenMode::Existing)?;
    // A torn last record is a crash mid-append: the edit was never acknowledged.
    let mut reader = LogReader::new(file.as_mut(), &name, RecoveryMode::TolerateCorruptedTail)?;
    let mut state = RecoveredState {
        manifest_number: number,
        ..RecoveredState::default()
    };
    state.column_families.insert(
        0,
        ColumnFamilyState {
            name: "default".into(),
            levels: vec![Vec::new(); NUM_LEVELS],
            log_number: 0,
        },
    );
    let (mut have_next, mut have_last) = (false, false);
    while let Some((offset, record)) = reader.next_record()? {
        let edit = VersionEdit::decode(record, &name, offset)?;
        if let Some(c) = &edit.comparator {
            if c != BYTEWISE_COMPARATOR {
                return Err(Error::Unsupported(format!(
                    "{name}: comparator {c} (only {BYTEWISE_COMPARATOR})"
                )));
            }
        }
        if let Some(v) = edit.next_file_number {
            state.next_file_number = v;
            have_next = true;
        }
        if let Some(v) = edit.last_sequence {
            state.last_sequence = v;
            have_last = true;
        }
        if let Some(v) = edit.max_column_family {
            state.max_column_family = state.max_column_family.max(v);
        }
        let id = edit.column_family;
        if let Some(cf_name) = &edit.column_family_add {
            state.column_families.insert(
                id,
                ColumnFamilyState {
                    name: cf_name.clone(),
                    levels: vec![Vec::new(); NUM_LEVELS],
                    log_number: 0,
                },
            );
            state.max_column_family = state.max_column_family.max(id);
        }
        if edit.column_family_drop {
            state.column_families.remove(&id);
            continue;
        }
        let Some(cf) = state.column_families.get_mut(&id) else {
            return Err(Error::corruption(
                &name,
                offset,
                format!("edit for unknown column family {id}"),
            ));
        };
        if let Some(v) = edit.log_number {
            cf.log_number = v;
        }
        for &(level, number) in &edit.deleted_files {
            let files = cf
                .levels
                .get_mut(level as usize)
                .ok_or_else(|| bad(format!("level {level}")))?;
            let before = files.len();
            files.retain(|f| f.number != number);
            if files.len() == before {
                return Err(Error::corruption(
                    &name,
                    offset,
                    format!("deleted file {number} is not in level {level}"),
                ));
            }
        }
        for (level, f) in &edit.new_files {
            let files = cf
                .levels
                .get_mut(*level as usize)
                .ok_or_else(|| bad(format!("level {level}")))?;
            files.push(f.clone());
        }
    }
    if !have_next || !have_last {
        return Err(bad("no next file number or last sequence".into()));
    }
    for cf in state.column_families.values_mut() {
        for (level, files) in cf.levels.iter_mut().enumerate() {
            if level == 0 {
                files.sort_by_key(|f| std::cmp::Reverse(f.largest_seqno));
                continue;
            }
            files.sort_by(|a, b| compare_internal_keys(&a.smallest, &b.smallest));
            for pair in files.windows(2) {
                if let [a, b] = pair {
                    if user_key(&a.largest) >= user_key(&b.smallest)
                        && compare_internal_keys(&a.largest, &b.smallest).is_ge()
                    {
                        return Err(bad(format!(
                            "files {} and {} overlap in level {level}",
                            a.number, b.number
                        )));
                    }
                }
            }
        }
        for f in cf.levels.iter().flatten() {
            if f.number >= state.next_file_number {
                return Err(bad(format!(
                    "file {} is not below next file number {}",
                    f.number, state.next_file_number
                )));
            }
        }
    }
    Ok(state)
}
