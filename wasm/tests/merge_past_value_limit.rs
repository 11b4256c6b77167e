//! A list whose merge operands add up past `max_value_size` (each operand within it, so each
//! merge was accepted) must not stop the database: flush, compaction and recovery keep that key's
//! operands unmerged, only reads of the key fail with `ValueTooLarge`, and a put or delete over
//! the key heals it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use edgestate_lsm::compaction::{StateTtlFilter, TtlLayout};
use edgestate_lsm::db::{ColumnFamilyOptions, Db, Options, ReadOptions, WriteOptions};
use edgestate_lsm::merge::frame_element;
use edgestate_lsm::vfs::MemVfs;
use edgestate_lsm::{Error, Result};

const NOSYNC: WriteOptions = WriteOptions { sync: false };
const LIMIT: usize = 100;

/// Lists of at most `limit` bytes in the default column family, and the smallest write buffer
/// (64 KiB), so that a few hundred puts flush it.
fn options(limit: usize) -> Options {
    Options {
        max_value_size: limit,
        write_buffer_size: 64 << 10,
        default_cf: ColumnFamilyOptions::list_append(limit),
        ..Options::default()
    }
}

/// One list operand: `len` bytes of `byte`, framed (`len + 1` bytes for `len < 128`).
fn element(byte: u8, len: usize) -> Vec<u8> {
    let mut out = Vec::new();
    frame_element(&vec![byte; len], &mut out);
    out
}

fn is_too_large<T: std::fmt::Debug>(r: Result<T>, len: usize) -> bool {
    matches!(r, Err(Error::ValueTooLarge { len: l, limit: LIMIT }) if l == len)
}

/// Every key of the default column family, in order, reading each value.
fn scan(db: &Db, opts: &ReadOptions) -> Result<Vec<Vec<u8>>> {
    let mut it = db.iter_cf(0, opts)?;
    it.seek_to_first()?;
    let mut keys = Vec::new();
    while it.valid() {
        keys.push(it.key().to_vec());
        it.next()?;
    }
    Ok(keys)
}

#[test]
fn operands_past_the_limit_survive_flush_compaction_and_reopen_and_only_their_reads_fail(
) -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = Db::open(Box::new(vfs.clone()), options(LIMIT))?;
    let base = element(b'b', 20);
    let ops: Vec<Vec<u8>> = (1..=3).map(|i| element(b'0' + i, 40)).collect();
    let merged_len = base.len() + 3 * ops[0].len();
    assert!(merged_len > LIMIT && ops[0].len() <= LIMIT);
    db.put(b"big", &base, NOSYNC)?;
    for op in &ops {
        db.merge_cf(0, b"big", op, NOSYNC)?;
    }
    db.merge_cf(0, b"small", &ops[0], NOSYNC)?;
    // Ordinary writes go on through the flushes that meet "big".
    let mut i = 0;
    while db.stats().flushes == 0 {
        db.put(format!("k{i:05}").as_bytes(), &[7; 100], NOSYNC)?;
        i += 1;
    }
    db.flush()?;
    db.compact_all()?;
    assert!(is_too_large(db.get(b"big"), merged_len));
    assert_eq!(db.get(b"small")?, Some(ops[0].clone()));
    assert_eq!(db.get(b"k00000")?, Some(vec![7; 100]));
    let keys: Vec<&[u8]> = vec![b"small", b"k00001"];
    assert_eq!(db.multi_get_cf(0, &keys, &ReadOptions::default())?.len(), 2);
    assert!(is_too_large(
        db.multi_get_cf(0, &[b"big"], &ReadOptions::default()),
        merged_len
    ));
    // An iteration fails where it reaches the key, and only there.
    assert!(is_too_large(scan(&db, &ReadOptions::default()), merged_len));
    let past_it = ReadOptions {
        lower_bound: Some(b"c".to_vec()),
        ..ReadOptions::default()
    };
    assert_eq!(scan(&db, &past_it)?.len(), i + 1);

    // More operands are still accepted; unflushed ones are recovered from the log.
    db.merge_cf(0, b"big", &ops[0], NOSYNC)?;
    drop(db);
    let db = Db::open(Box::new(vfs.clone()), options(LIMIT))?;
    assert!(db.recovery().ops_replayed > 0);
    let merged_len = merged_len + ops[0].len();
    assert!(is_too_large(db.get(b"big"), merged_len));
    drop(db);

    // With room, the kept entries merge to exactly what one merge would have given.
    let db = Db::open(Box::new(vfs.clone()), options(10 * LIMIT))?;
    let whole = [base.as_slice(), &ops[0], &ops[1], &ops[2], &ops[0]].concat();
    assert_eq!(db.get(b"big")?, Some(whole));
    drop(db);

    // A put over the key heals it; compaction then drops the old operands.
    let mut db = Db::open(Box::new(vfs), options(LIMIT))?;
    db.put(b"big", &base, NOSYNC)?;
    assert_eq!(db.get(b"big")?, Some(base.clone()));
    db.merge_cf(0, b"big", &ops[0], NOSYNC)?;
    db.flush()?;
    db.compact_all()?;
    assert_eq!(db.get(b"big")?, Some([base.as_slice(), &ops[0]].concat()));
    let live = scan(&db, &ReadOptions::default())?.len() as u64;
    assert_eq!(db.column_family_size(0)?.0, live);
    Ok(())
}

#[test]
fn a_delete_over_operands_past_the_limit_heals_the_key() -> Result<()> {
    let mut db = Db::open(Box::new(MemVfs::new()), options(LIMIT))?;
    for i in 0..3 {
        db.merge_cf(0, b"list", &element(b'a' + i, 40), NOSYNC)?;
    }
    db.flush()?;
    assert!(is_too_large(db.get(b"list"), 3 * 41));
    db.delete(b"list", NOSYNC)?;
    assert_eq!(db.get(b"list")?, None);
    db.merge_cf(0, b"list", &element(b'z', 40), NOSYNC)?;
    db.flush()?;
    db.compact_all()?;
    assert_eq!(db.get(b"list")?, Some(element(b'z', 40)));
    assert_eq!(db.column_family_size(0)?.0, 1);
    Ok(())
}

#[test]
fn an_expired_list_kept_unmerged_is_dropped_by_the_ttl_filter() -> Result<()> {
    let now = Arc::new(AtomicI64::new(0));
    let mut db = Db::open(Box::new(MemVfs::new()), options(LIMIT))?;
    let ttl = StateTtlFilter {
        ttl_ms: 10,
        layout: TtlLayout::List,
        now: now.clone(),
    };
    db.set_compaction_filter(0, Some(Arc::new(ttl)))?;
    // State TTL's list layout: each element `timestamp ‖ bytes` (40 bytes, 41 framed).
    let stamped = |t: i64| {
        let mut out = Vec::new();
        frame_element(&[&t.to_be_bytes()[..], &[b'x'; 32]].concat(), &mut out);
        out
    };
    for t in [100, 101, 102] {
        db.merge_cf(0, b"old", &stamped(t), NOSYNC)?;
        db.merge_cf(0, b"young", &stamped(t + 100), NOSYNC)?;
    }
    db.put(b"fresh", &stamped(200), NOSYNC)?;
    // The flush keeps both lists unmerged (flushes do not filter).
    db.flush()?;
    assert!(is_too_large(db.get(b"old"), 3 * 41));
    // Every element of "old" has expired; one of "young" has not.
    now.store(150, Ordering::Relaxed);
    db.compact_all()?;
    assert_eq!(db.get(b"old")?, None);
    assert!(is_too_large(db.get(b"young"), 3 * 41));
    assert_eq!(db.get(b"fresh")?, Some(stamped(200)));
    assert_eq!(db.column_family_size(0)?.0, 3 + 1);
    Ok(())
}
