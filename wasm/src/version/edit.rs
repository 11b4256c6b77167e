//! VersionEdit: one MANIFEST record, a change to the set of live files (RocksDB's encoding).
//!
//! ```text
//! edit  := field*
//! field := varint32 tag, payload
//!   1 comparator:lp  2 log_number:v64  3 next_file_number:v64  4 last_sequence:v64
//!   6 deleted_file: level:v32 number:v64      9 prev_log_number:v64  10 min_log_to_keep:v64
//!   7 new_file: level number size smallest:lp largest:lp
//!   100 new_file2: ... + smallest_seqno:v64 largest_seqno:v64
//!   103 new_file4: new_file2 fields, then {custom_tag:v32 payload:lp}* ended by tag 1
//!       custom tags: 5 oldest_ancestor_time:v64  6 file_creation_time:v64  65 path_id:v32
//!   200 column_family:v32  201 cf_add:lp  202 cf_drop  203 max_column_family:v32
//!   300 in_atomic_group:v32   tags with bit 8192 set: payload:lp, skippable
//! ```
//! Custom fields of NewFile4 with bit 64 set must be understood (else the open fails); others
//! are skipped. DO NOT RENUMBER the tags.

use crate::coding::{
    get_length_prefixed, get_varint32, get_varint64, put_length_prefixed, put_varint32,
    put_varint64,
};
use crate::{Error, Result};

const COMPARATOR: u32 = 1;
const LOG_NUMBER: u32 = 2;
const NEXT_FILE_NUMBER: u32 = 3;
const LAST_SEQUENCE: u32 = 4;
const COMPACT_CURSOR: u32 = 5;
const DELETED_FILE: u32 = 6;
const NEW_FILE: u32 = 7;
const PREV_LOG_NUMBER: u32 = 9;
const MIN_LOG_NUMBER_TO_KEEP: u32 = 10;
const NEW_FILE2: u32 = 100;
const NEW_FILE3: u32 = 102;
const NEW_FILE4: u32 = 103;
const COLUMN_FAMILY: u32 = 200;
const COLUMN_FAMILY_ADD: u32 = 201;
const COLUMN_FAMILY_DROP: u32 = 202;
const MAX_COLUMN_FAMILY: u32 = 203;
const IN_ATOMIC_GROUP: u32 = 300;
const SAFE_TO_IGNORE: u32 = 8192;
const CUSTOM_TERMINATE: u32 = 1;
const CUSTOM_OLDEST_ANCESTOR_TIME: u32 = 5;
const CUSTOM_FILE_CREATION_TIME: u32 = 6;
const CUSTOM_PATH_ID: u32 = 65;
const CUSTOM_NEEDS_UNDERSTANDING: u32 = 64;

/// A live table as the MANIFEST describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMetaData {
    /// File number (`NNNNNN.sst`).
    pub number: u64,
    /// Size in bytes.
    pub file_size: u64,
    /// Smallest internal key.
    pub smallest: Vec<u8>,
    /// Largest internal key.
    pub largest: Vec<u8>,
    /// Smallest sequence number of its entries.
    pub smallest_seqno: u64,
    /// Largest sequence number of its entries.
    pub largest_seqno: u64,
    /// When the oldest data in the file first reached a table, in seconds since the epoch
    /// (RocksDB's `oldest_ancester_time`, also the table property `rocksdb.creation.time`); 0
    /// unknown.
    pub oldest_ancestor_time: u64,
    /// When the file was written, in seconds since the epoch (also the table property
    /// `rocksdb.file.creation.time`); 0 unknown. Periodic compaction measures age from it.
    pub file_creation_time: u64,
}

/// One MANIFEST record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionEdit {
    /// The column family the file and log fields apply to.
    pub column_family: u32,
    /// Comparator name.
    pub comparator: Option<String>,
    /// Logs below this hold nothing this column family needs.
    pub log_number: Option<u64>,
    /// Legacy.
    pub prev_log_number: Option<u64>,
    /// Next unused file number.
    pub next_file_number: Option<u64>,
    /// Last sequence number used.
    pub last_sequence: Option<u64>,
    /// Smallest log still needed by any column family.
    pub min_log_number_to_keep: Option<u64>,
    /// Largest column family id ever used.
    pub max_column_family: Option<u32>,
    /// Creates `column_family` with this name.
    pub column_family_add: Option<String>,
    /// Drops `column_family`.
    pub column_family_drop: bool,
    /// `(level, number)` of files removed.
    pub deleted_files: Vec<(u32, u64)>,
    /// `(level, file)` of files added.
    pub new_files: Vec<(u32, FileMetaData)>,
}

impl VersionEdit {
    /// An empty edit for column family `id`.
    pub fn for_column_family(id: u32) -> VersionEdit {
        VersionEdit {
            column_family: id,
            ..VersionEdit::default()
        }
    }

    /// Encodes the edit as RocksDB does.
    pub fn encode(&self, dst: &mut Vec<u8>) {
        let num = |dst: &mut Vec<u8>, tag: u32, v: u64| {
            put_varint32(dst, tag);
            put_varint64(dst, v);
        };
        if let Some(c) = &self.comparator {
            put_varint32(dst, COMPARATOR);
            put_length_prefixed(dst, c.as_bytes());
        }
        if let Some(v) = self.log_number {
            num(dst, LOG_NUMBER, v);
        }
        if let Some(v) = self.prev_log_number {
            num(dst, PREV_LOG_NUMBER, v);
        }
        if let Some(v) = self.next_file_number {
            num(dst, NEXT_FILE_NUMBER, v);
        }
        if let Some(v) = self.last_sequence {
            num(dst, LAST_SEQUENCE, v);
        }
        if let Some(v) = self.min_log_number_to_keep {
            num(dst, MIN_LOG_NUMBER_TO_KEEP, v);
        }
        if let Some(v) = self.max_column_family {
            num(dst, MAX_COLUMN_FAMILY, u64::from(v));
        }
        for &(level, number) in &self.deleted_files {
            put_varint32(dst, DELETED_FILE);
            put_varint32(dst, level);
            put_varint64(dst, number);
        }
        for (level, f) in &self.new_files {
            put_varint32(dst, NEW_FILE4);
            put_varint32(dst, *level);
            put_varint64(dst, f.number);
            put_varint64(dst, f.file_size);
            put_length_prefixed(dst, &f.smallest);
            put_length_prefixed(dst, &f.largest);
            put_varint64(dst, f.smallest_seqno);
            put_varint64(dst, f.largest_seqno);
            // Both times always, as RocksDB writes them (0 = unknown).
            for (tag, time) in [
                (CUSTOM_OLDEST_ANCESTOR_TIME, f.oldest_ancestor_time),
                (CUSTOM_FILE_CREATION_TIME, f.file_creation_time),
            ] {
                put_varint32(dst, tag);
                let mut payload = Vec::with_capacity(10);
                put_varint64(&mut payload, time);
                put_length_prefixed(dst, &payload);
            }
            put_varint32(dst, CUSTOM_TERMINATE);
        }
        if self.column_family != 0 {
            num(dst, COLUMN_FAMILY, u64::from(self.column_family));
        }
        if let Some(name) = &self.column_family_add {
            put_varint32(dst, COLUMN_FAMILY_ADD);
            put_length_prefixed(dst, name.as_bytes());
        }
        if self.column_family_drop {
            put_varint32(dst, COLUMN_FAMILY_DROP);
        }
    }

    /// Decodes a record of `file` found at `offset`.
    pub fn decode(mut src: &[u8], file: &str, offset: u64) -> Result<VersionEdit> {
        let bad = |what: &str| Error::corruption(file, offset, format!("version edit: {what}"));
        let mut e = VersionEdit::default();
        while !src.is_empty() {
            let tag = get_varint32(&mut src).ok_or_else(|| bad("bad tag"))?;
            let mut v64 = |what: &str| get_varint64(&mut src).ok_or_else(|| bad(what));
            match tag {
                COMPARATOR => {
                    let name = get_length_prefixed(&mut src).ok_or_else(|| bad("comparator"))?;
                    e.comparator = Some(String::from_utf8_lossy(name).into_owned());
                }
                LOG_NUMBER => e.log_number = Some(v64("log number")?),
                PREV_LOG_NUMBER => e.prev_log_number = Some(v64("prev log number")?),
                NEXT_FILE_NUMBER => e.next_file_number = Some(v64("next file number")?),
                LAST_SEQUENCE => e.last_sequence = Some(v64("last sequence")?),
                MIN_LOG_NUMBER_TO_KEEP => e.min_log_number_to_keep = Some(v64("min log")?),
                MAX_COLUMN_FAMILY => {
                    e.max_column_family =
                        Some(get_varint32(&mut src).ok_or_else(|| bad("max column family"))?)
                }
                COMPACT_CURSOR => {
                    get_varint32(&mut src).ok_or_else(|| bad("compact cursor level"))?;
                    get_length_prefixed(&mut src).ok_or_else(|| bad("compact cursor key"))?;
                }
                DELETED_FILE => {
                    let level = get_varint32(&mut src).ok_or_else(|| bad("deleted file level"))?;
                    let number =
                        get_varint64(&mut src).ok_or_else(|| bad("deleted file number"))?;
                    e.deleted_files.push((level, number));
                }
                NEW_FILE | NEW_FILE2 | NEW_FILE3 | NEW_FILE4 => {
                    let level = get_varint32(&mut src).ok_or_else(|| bad("new file level"))?;
                    let mut number =
                        get_varint64(&mut src).ok_or_else(|| bad("new file number"))?;
                    if tag == NEW_FILE3 {
                        get_varint32(&mut src).ok_or_else(|| bad("path id"))?;
                    }
                    let file_size = get_varint64(&mut src).ok_or_else(|| bad("file size"))?;
                    let smallest = get_length_prefixed(&mut src)
                        .ok_or_else(|| bad("smallest key"))?
                        .to_vec();
                    let largest = get_length_prefixed(&mut src)
                        .ok_or_else(|| bad("largest key"))?
                        .to_vec();
                    let (mut smallest_seqno, mut largest_seqno) = (0, 0);
                    let (mut oldest_ancestor_time, mut file_creation_time) = (0, 0);
                    if tag != NEW_FILE {
                        smallest_seqno =
                            get_varint64(&mut src).ok_or_else(|| bad("smallest seqno"))?;
                        largest_seqno =
                            get_varint64(&mut src).ok_or_else(|| bad("largest seqno"))?;
                    }
                    if tag == NEW_FILE4 {
                        loop {
                            let custom =
                                get_varint32(&mut src).ok_or_else(|| bad("custom field tag"))?;
                            if custom == CUSTOM_TERMINATE {
                                break;
                            }
                            let payload =
                                get_length_prefixed(&mut src).ok_or_else(|| bad("custom field"))?;
                            let mut p = payload;
                            if custom == CUSTOM_PATH_ID {
                                // The file lives on another path; we have one.
                                get_varint32(&mut p).ok_or_else(|| bad("path id"))?;
                            } else if custom == CUSTOM_OLDEST_ANCESTOR_TIME {
                                oldest_ancestor_time = get_varint64(&mut p)
                                    .ok_or_else(|| bad("oldest ancestor time"))?;
                            } else if custom == CUSTOM_FILE_CREATION_TIME {
                                file_creation_time = get_varint64(&mut p)
                                    .ok_or_else(|| bad("file creation time"))?;
                            } else if custom & CUSTOM_NEEDS_UNDERSTANDING != 0 {
                                return Err(Error::Unsupported(format!(
                                    "{file}: new-file field {custom} must be understood and is not"
                                )));
                            }
                        }
                    }
                    number &= (1 << 62) - 1; // the high bits carry a path id in old formats
                    e.new_files.push((
                        level,
                        FileMetaData {
                            number,
                            file_size,
                            smallest,
                            largest,
                            smallest_seqno,
                            largest_seqno,
                            oldest_ancestor_time,
                            file_creation_time,
                        },
                    ));
                }
                COLUMN_FAMILY => {
                    e.column_family = get_varint32(&mut src).ok_or_else(|| bad("column family"))?
                }
                COLUMN_FAMILY_ADD => {
                    let name =
                        get_length_prefixed(&mut src).ok_or_else(|| bad("column family name"))?;
                    e.column_family_add = Some(String::from_utf8_lossy(name).into_owned());
                }
                COLUMN_FAMILY_DROP => e.column_family_drop = true,
                IN_ATOMIC_GROUP => {
                    get_varint32(&mut src).ok_or_else(|| bad("atomic group"))?;
                }
                t if t & SAFE_TO_IGNORE != 0 => {
                    get_length_prefixed(&mut src).ok_or_else(|| bad("ignorable field"))?;
                }
                other => return Err(bad(&format!("unknown tag {other}"))),
            }
        }
        Ok(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_field_round_trips() -> Result<()> {
        let e = VersionEdit {
            column_family: 3,
            comparator: Some("leveldb.BytewiseComparator".into()),
            log_number: Some(7),
            prev_log_number: Some(0),
            next_file_number: Some(12),
            last_sequence: Some(99),
            min_log_number_to_keep: Some(5),
            max_column_family: Some(3),
            column_family_add: Some("state".into()),
            column_family_drop: false,
            deleted_files: vec![(1, 4), (2, 8)],
            new_files: vec![(
                0,
                FileMetaData {
                    number: 11,
                    file_size: 1000,
                    smallest: b"a\x01\0\0\0\0\0\0\0".to_vec(),
                    largest: b"z\x01\0\0\0\0\0\0\0".to_vec(),
                    smallest_seqno: 1,
                    largest_seqno: 99,
                    oldest_ancestor_time: 1_700_000_000,
                    file_creation_time: 1_700_000_123,
                },
            )],
        };
        let mut buf = Vec::new();
        e.encode(&mut buf);
        assert_eq!(VersionEdit::decode(&buf, "M", 0)?, e);
        Ok(())
    }

    #[test]
    fn unknown_tag_is_corruption_but_ignorable_tags_are_skipped() -> Result<()> {
        assert!(matches!(
            VersionEdit::decode(&[99], "M", 5),
            Err(Error::Corruption { offset: 5, .. })
        ));
        let mut buf = Vec::new();
        put_varint32(&mut buf, 8193);
        put_length_prefixed(&mut buf, b"db-id");
        put_varint32(&mut buf, LAST_SEQUENCE);
        put_varint64(&mut buf, 4);
        assert_eq!(VersionEdit::decode(&buf, "M", 0)?.last_sequence, Some(4));
        Ok(())
    }

    proptest! {
        #[test]
        fn decode_never_panics(bytes: Vec<u8>) {
            let _ = VersionEdit::decode(&bytes, "M", 0);
        }
    }
}
