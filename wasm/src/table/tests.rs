//! Whole-table tests: builder → reader round trips, iteration across blocks, range tombstones,
//! and corruption of every kind reported as `Error::Corruption` naming the file.

use proptest::prelude::*;

use super::*;
use crate::dbformat::{append_internal_key, append_lookup_key, user_key, ValueType};
use crate::iter::InternalIterator;
use crate::vfs::{MemVfs, OpenMode, Vfs};
use crate::{Error, Result};

const NAME: &str = "000042.sst";

fn ikey(k: &[u8], seq: u64, t: ValueType) -> Vec<u8> {
    let mut v = Vec::new();
    append_internal_key(&mut v, k, seq, t);
    v
}

/// 3 versions for every 10th key: a value, a merge and a deletion at decreasing seqnos.
fn entries(n: usize) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 0..n {
        let k = format!("key{i:08}").into_bytes();
        if i % 10 == 0 {
            out.push((ikey(&k, 3 * i as u64 + 3, ValueType::Deletion), Vec::new()));
            out.push((ikey(&k, 3 * i as u64 + 2, ValueType::Merge), b"m".to_vec()));
        }
        let v = format!("value-{i}-{}", "x".repeat(i % 37)).into_bytes();
        out.push((ikey(&k, 3 * i as u64 + 1, ValueType::Value), v));
    }
    out
}

fn build(vfs: &MemVfs, data: &[(Vec<u8>, Vec<u8>)], opts: TableOptions) -> Result<TableSummary> {
    let mut b = TableBuilder::new(vfs.open(NAME, OpenMode::CreateTruncate)?, NAME.into(), opts);
    for (k, v) in data {
        b.add(k, v)?;
    }
    b.finish()
}

fn open(vfs: &MemVfs) -> Result<Table> {
    let size = vfs.contents(NAME).map_or(0, |c| c.len() as u64);
    Table::open(vfs.open(NAME, OpenMode::Existing)?, size, NAME.into(), 42)
}

fn scan(t: &Table) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut it = t.iter();
    let mut out = Vec::new();
    it.seek_to_first()?;
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next()?;
    }
    Ok(out)
}

#[test]
fn fifty_thousand_keys_round_trip_with_every_compression() -> Result<()> {
    let data = entries(50_000);
    for compression in [Compression::None, Compression::Snappy, Compression::Lz4] {
        let vfs = MemVfs::new();
        let opts = TableOptions {
            compression,
            ..TableOptions::default()
        };
        let s = build(&vfs, &data, opts)?;
        let t = open(&vfs)?;
        t.verify()?;
        assert_eq!(scan(&t)?, data);
        assert_eq!(t.properties().num_entries, data.len() as u64);
        assert_eq!(t.properties().num_deletions, 5000);
        assert_eq!(t.properties().num_merge_operands, 5000);
        assert_eq!(t.properties().compression_name, compression.rocksdb_name());
        assert!(t.properties().num_data_blocks > 100);
        assert_eq!(s.smallest_key, data[0].0);
        assert_eq!(s.largest_key, data[data.len() - 1].0);
        assert_eq!((s.smallest_seqno, s.largest_seqno), (1, 3 * 49_999 + 1));
        assert_eq!(
            s.file_size,
            vfs.contents(NAME).map_or(0, |c| c.len() as u64)
        );
    }
    Ok(())
}

#[test]
fn get_finds_the_newest_visible_version_and_filters_absent_keys() -> Result<()> {
    let vfs = MemVfs::new();
    build(&vfs, &entries(5000), TableOptions::default())?;
    let t = open(&vfs)?;
    let mut lookup = Vec::new();
    append_lookup_key(&mut lookup, b"key00000120", u64::MAX >> 8);
    let (k, _) = t.get(&lookup)?.ok_or(Error::Closed)?;
    assert_eq!(k, ikey(b"key00000120", 363, ValueType::Deletion));
    lookup.clear();
    append_lookup_key(&mut lookup, b"key00000120", 362);
    let (k, v) = t.get(&lookup)?.ok_or(Error::Closed)?;
    assert_eq!(
        (k, v),
        (ikey(b"key00000120", 362, ValueType::Merge), b"m".to_vec())
    );
    lookup.clear();
    append_lookup_key(&mut lookup, b"key00000121", 100);
    assert_eq!(
        t.get(&lookup)?,
        None,
        "version newer than the snapshot is invisible"
    );
    let absent = (0..10_000)
        .filter(|i| !t.may_contain(format!("nokey{i}").as_bytes()))
        .count();
    assert!(
        absent > 9_700,
        "filter rejected only {absent} of 10000 absent keys"
    );
    Ok(())
}

#[test]
fn iterator_seeks_and_steps_back_across_block_boundaries() -> Result<()> {
    let data = entries(3000);
    let vfs = MemVfs::new();
    let opts = TableOptions {
        block_size: 256,
        ..TableOptions::default()
    };
    build(&vfs, &data, opts)?;
    let t = open(&vfs)?;
    assert!(t.properties().num_data_blocks > 50);
    let mut it = t.iter();
    it.seek_to_last()?;
    let mut back = Vec::new();
    while it.valid() {
        back.push(it.key().to_vec());
        it.prev()?;
    }
    back.reverse();
    assert_eq!(back, data.iter().map(|e| e.0.clone()).collect::<Vec<_>>());
    for (i, (k, _)) in data.iter().enumerate().step_by(7) {
        it.seek(k)?;
        assert_eq!(it.key(), &k[..]);
        it.seek_for_prev(k)?;
        assert_eq!(it.key(), &k[..]);
        if i > 0 {
            it.prev()?;
            assert_eq!(it.key(), &data[i - 1].0[..]);
            it.next()?;
            it.next()?;
            if let Some(next) = data.get(i + 1) {
                assert_eq!(it.key(), &next.0[..]);
            }
        }
    }
    // Between keys: seek lands on the next user key, seek_for_prev on the previous one.
    let mut probe = b"key00000005".to_vec();
    probe.push(b'!');
    let target = ikey(&probe, 0, ValueType::Value);
    it.seek(&target)?;
    assert_eq!(user_key(it.key()), b"key00000006");
    it.seek_for_prev(&target)?;
    assert_eq!(user_key(it.key()), b"key00000005");
    it.seek(&ikey(b"zzz", 0, ValueType::Value))?;
    assert!(!it.valid());
    it.seek_for_prev(&ikey(b"a", 0, ValueType::Value))?;
    assert!(!it.valid());
    Ok(())
}

#[test]
fn range_tombstones_round_trip_and_widen_the_key_range() -> Result<()> {
    let vfs = MemVfs::new();
    let mut b = TableBuilder::new(
        vfs.open(NAME, OpenMode::CreateTruncate)?,
        NAME.into(),
        TableOptions::default(),
    );
    b.add(&ikey(b"m", 5, ValueType::Value), b"v")?;
    b.add_range_deletion(b"x", 9, b"z")?;
    b.add_range_deletion(b"a", 7, b"c")?;
    let s = b.finish()?;
    assert_eq!(s.num_entries, 3);
    assert_eq!(s.num_range_deletions, 2);
    assert_eq!(s.smallest_key, ikey(b"a", 7, ValueType::RangeDeletion));
    assert_eq!(
        s.largest_key,
        ikey(
            b"z",
            crate::dbformat::MAX_SEQUENCE,
            ValueType::RangeDeletion
        )
    );
    assert_eq!((s.smallest_seqno, s.largest_seqno), (5, 9));
    let t = open(&vfs)?;
    assert_eq!(
        t.range_deletions(),
        &[
            RangeTombstone {
                start: b"a".to_vec(),
                end: b"c".to_vec(),
                seq: 7
            },
            RangeTombstone {
                start: b"x".to_vec(),
                end: b"z".to_vec(),
                seq: 9
            },
        ]
    );
    assert_eq!(scan(&t)?.len(), 1);
    Ok(())
}

#[test]
fn empty_table_is_valid_and_empty() -> Result<()> {
    let vfs = MemVfs::new();
    let s = build(&vfs, &[], TableOptions::default())?;
    assert_eq!(s.num_entries, 0);
    let t = open(&vfs)?;
    t.verify()?;
    assert!(scan(&t)?.is_empty());
    assert!(t.get(&ikey(b"k", 1, ValueType::Value))?.is_none());
    Ok(())
}

#[test]
fn builder_rejects_unordered_and_duplicate_keys() -> Result<()> {
    let vfs = MemVfs::new();
    let mut b = TableBuilder::new(
        vfs.open(NAME, OpenMode::CreateTruncate)?,
        NAME.into(),
        TableOptions::default(),
    );
    b.add(&ikey(b"b", 5, ValueType::Value), b"")?;
    for bad in [
        ikey(b"a", 9, ValueType::Value),
        ikey(b"b", 5, ValueType::Value),
        ikey(b"b", 6, ValueType::Value),
    ] {
        assert!(matches!(b.add(&bad, b""), Err(Error::InvalidArgument(_))));
    }
    b.add(&ikey(b"b", 4, ValueType::Value), b"")?;
    assert!(matches!(
        b.add(b"short", b""),
        Err(Error::InvalidArgument(_))
    ));
    Ok(())
}

fn expect_corruption(r: Result<impl Sized>) {
    match r {
        Err(Error::Corruption { file, .. }) => assert_eq!(file, NAME),
        Err(other) => panic!("expected corruption, got {other:?}"),
        Ok(_) => panic!("expected corruption, got success"),
    }
}

/// Builds a small table and returns its bytes.
fn small_table() -> Result<(MemVfs, Vec<u8>)> {
    let vfs = MemVfs::new();
    let opts = TableOptions {
        block_size: 512,
        ..TableOptions::default()
    };
    build(&vfs, &entries(300), opts)?;
    let bytes = vfs.contents(NAME).unwrap_or_default();
    Ok((vfs, bytes))
}

fn open_bytes(vfs: &MemVfs, bytes: Vec<u8>) -> Result<Table> {
    vfs.set_contents(NAME, bytes);
    open(vfs)
}

#[test]
fn flipped_bit_in_a_data_block_fails_verify_with_the_file_name() -> Result<()> {
    let (vfs, mut bytes) = small_table()?;
    bytes[100] ^= 0x04;
    let t = open_bytes(&vfs, bytes)?;
    expect_corruption(t.verify());
    expect_corruption(scan(&t));
    Ok(())
}

#[test]
fn flipped_bit_in_the_index_fails_open() -> Result<()> {
    let (vfs, bytes) = small_table()?;
    let footer = format::Footer::decode(&bytes[bytes.len() - 53..], 0, NAME)?;
    let mut bad = bytes;
    bad[footer.index.offset as usize + 3] ^= 0x80;
    expect_corruption(open_bytes(&vfs, bad));
    Ok(())
}

#[test]
fn truncated_table_is_corruption() -> Result<()> {
    let (vfs, bytes) = small_table()?;
    for keep in [0, 10, 52, bytes.len() / 2, bytes.len() - 1] {
        expect_corruption(open_bytes(&vfs, bytes[..keep].to_vec()));
    }
    Ok(())
}

#[test]
fn wrong_magic_is_corruption() -> Result<()> {
    let (vfs, mut bytes) = small_table()?;
    let n = bytes.len();
    bytes[n - 1] ^= 0xff;
    expect_corruption(open_bytes(&vfs, bytes));
    Ok(())
}

#[test]
fn handle_past_end_of_file_is_corruption() -> Result<()> {
    let (vfs, bytes) = small_table()?;
    let n = bytes.len();
    let mut footer = format::Footer::decode(&bytes[n - 53..], 0, NAME)?;
    footer.index.size = 1 << 40;
    let mut bad = bytes[..n - 53].to_vec();
    bad.extend_from_slice(&footer.encode());
    expect_corruption(open_bytes(&vfs, bad));
    Ok(())
}

#[test]
fn size_mismatch_with_the_manifest_is_corruption() -> Result<()> {
    let (vfs, bytes) = small_table()?;
    vfs.set_contents(NAME, bytes.clone());
    let r = Table::open(
        vfs.open(NAME, OpenMode::Existing)?,
        bytes.len() as u64 + 1,
        NAME.into(),
        42,
    );
    expect_corruption(r);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn mutated_tables_never_panic(edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..4)) {
        let (vfs, mut bytes) = small_table().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = bytes.len();
        for (pos, b) in edits {
            bytes[pos % n] = b;
        }
        if let Ok(t) = open_bytes(&vfs, bytes) {
            let _ = t.verify();
            let _ = scan(&t);
            let mut it = t.iter();
            if it.seek_to_last().is_ok() {
                let mut steps = 0;
                while it.valid() && steps < 500 && it.prev().is_ok() { steps += 1; }
            }
            let _ = t.get(&ikey(b"key00000150", 1000, ValueType::Value));
        }
    }
}
