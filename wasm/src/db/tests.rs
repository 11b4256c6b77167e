use std::collections::BTreeMap;
use std::sync::Arc;

use proptest::prelude::*;

use super::Maintenance;
use super::*;
use crate::merge::MergeOperator;
use crate::vfs::fault::FaultVfs;
use crate::vfs::MemVfs;

const NOSYNC: WriteOptions = WriteOptions { sync: false };
const SYNC: WriteOptions = WriteOptions { sync: true };

/// A merge operator whose result the model can compute by hand: concatenation.
struct Concat;

impl MergeOperator for Concat {
    fn name(&self) -> &'static str {
        "test.Concat"
    }
    fn full_merge(
        &self,
        _key: &[u8],
        base: Option<&[u8]>,
        operands: &[&[u8]],
        out: &mut Vec<u8>,
    ) -> Result<()> {
        out.clear();
        out.extend_from_slice(base.unwrap_or_default());
        for op in operands {
            out.extend_from_slice(op);
        }
        Ok(())
    }
    fn partial_merge(&self, _key: &[u8], operands: &[&[u8]], out: &mut Vec<u8>) -> Result<bool> {
        out.clear();
        for op in operands {
            out.extend_from_slice(op);
        }
        Ok(true)
    }
}

fn options() -> Options {
    Options {
        // Flushes happen only when a test asks (sizes here stay far below this).
        write_buffer_size: 64 << 20,
        default_cf: ColumnFamilyOptions {
            merge_operator: Some(Arc::new(Concat)),
            compaction_filter: None,
            periodic_compaction_seconds: None,
        },
        ..Options::default()
    }
}

fn open(vfs: &MemVfs) -> Result<Db> {
    Db::open(Box::new(vfs.clone()), options())
}

type Model = BTreeMap<Vec<u8>, Vec<u8>>;

fn contents(db: &Db, snapshot: Option<u64>) -> Result<Model> {
    let mut it = db.iter_cf(
        0,
        &ReadOptions {
            snapshot,
            ..ReadOptions::default()
        },
    )?;
    it.seek_to_first()?;
    let mut out = Model::new();
    while it.valid() {
        out.insert(it.key().to_vec(), it.value().to_vec());
        it.next()?;
    }
    Ok(out)
}

fn contents_backward(db: &Db) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut it = db.iter_cf(0, &ReadOptions::default())?;
    it.seek_to_last()?;
    let mut out = Vec::new();
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.prev()?;
    }
    out.reverse();
    Ok(out)
}

#[test]
fn put_get_delete_survive_flush_and_reopen() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    db.put(b"a", b"1", NOSYNC)?;
    db.put(b"b", b"2", NOSYNC)?;
    db.flush()?;
    db.delete(b"a", NOSYNC)?;
    db.put(b"c", b"3", NOSYNC)?;
    assert_eq!(db.get(b"a")?, None);
    assert_eq!(db.get(b"b")?, Some(b"2".to_vec()));
    drop(db);
    let db = open(&vfs)?;
    let expected: Model = [
        (b"b".to_vec(), b"2".to_vec()),
        (b"c".to_vec(), b"3".to_vec()),
    ]
    .into();
    assert_eq!(contents(&db, None)?, expected);
    assert!(vfs.list()?.iter().any(|n| n.ends_with(".sst")));
    Ok(())
}

#[test]
fn many_flushes_trigger_leveled_compaction_and_keep_every_key() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    let mut model = Model::new();
    for round in 0..12u32 {
        for i in 0..500u32 {
            let k = format!("key{:05}", (i * 7 + round * 13) % 2000).into_bytes();
            let v = format!("v{round}-{i}").into_bytes();
            db.put(&k, &v, NOSYNC)?;
            model.insert(k, v);
        }
        db.flush()?;
    }
    let stats = db.stats();
    assert!(stats.compactions > 0, "{stats:?}");
    assert!(
        stats.levels.first().is_some_and(|(files, _)| *files < 4),
        "{stats:?}"
    );
    assert_eq!(contents(&db, None)?, model);
    drop(db);
    let db = open(&vfs)?;
    assert_eq!(contents(&db, None)?, model);
    for (k, v) in model.iter().step_by(97) {
        assert_eq!(db.get(k)?.as_ref(), Some(v));
    }
    Ok(())
}

#[test]
fn merges_combine_across_memtable_and_tables() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    db.merge_cf(0, b"list", b"a", NOSYNC)?;
    db.flush()?;
    db.merge_cf(0, b"list", b"b", NOSYNC)?;
    db.flush()?;
    db.merge_cf(0, b"list", b"c", NOSYNC)?;
    assert_eq!(db.get(b"list")?, Some(b"abc".to_vec()));
    db.compact_all()?;
    db.put(b"list", b"X", NOSYNC)?;
    db.merge_cf(0, b"list", b"d", NOSYNC)?;
    assert_eq!(db.get(b"list")?, Some(b"Xd".to_vec()));
    Ok(())
}

#[test]
fn snapshot_reads_stay_fixed_across_writes_flushes_and_compactions() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    db.put(b"k", b"old", NOSYNC)?;
    let snap = db.snapshot();
    db.put(b"k", b"new", NOSYNC)?;
    db.delete_range_cf(0, b"a", b"z", NOSYNC)?;
    for _ in 0..5 {
        db.put(b"filler", b"x", NOSYNC)?;
        db.flush()?;
    }
    db.compact_all()?;
    let at = ReadOptions {
        snapshot: Some(snap.sequence()),
        ..ReadOptions::default()
    };
    assert_eq!(db.get_cf(0, b"k", &at)?, Some(b"old".to_vec()));
    assert_eq!(db.get(b"k")?, None);
    db.release_snapshot(snap);
    Ok(())
}

#[test]
fn range_deletion_hides_older_keys_only() -> Result<()> {
    let mut db = open(&MemVfs::new())?;
    for k in [b"a", b"b", b"c", b"d"] {
        db.put(k, k, NOSYNC)?;
    }
    db.delete_range_cf(0, b"b", b"d", NOSYNC)?;
    db.put(b"c", b"again", NOSYNC)?;
    let expected: Model = [
        (b"a".to_vec(), b"a".to_vec()),
        (b"c".to_vec(), b"again".to_vec()),
        (b"d".to_vec(), b"d".to_vec()),
    ]
    .into();
    assert_eq!(contents(&db, None)?, expected);
    db.flush()?;
    assert_eq!(contents(&db, None)?, expected);
    db.compact_all()?;
    assert_eq!(contents(&db, None)?, expected);
    Ok(())
}

type Keys = Vec<Vec<u8>>;

/// The keys of column family `cf`, forward and backward, listed by a keys-only iterator.
fn keys_only(db: &Db, cf: u32) -> Result<(Keys, Keys)> {
    let opts = ReadOptions {
        keys_only: true,
        ..ReadOptions::default()
    };
    let (mut forward, mut backward) = (Vec::new(), Vec::new());
    let mut it = db.iter_cf(cf, &opts)?;
    it.seek_to_first()?;
    while it.valid() {
        assert!(it.value().is_empty());
        forward.push(it.key().to_vec());
        it.next()?;
    }
    it.seek_to_last()?;
    while it.valid() {
        backward.push(it.key().to_vec());
        it.prev()?;
    }
    backward.reverse();
    Ok((forward, backward))
}

#[test]
fn a_keys_only_iterator_lists_a_key_whose_merge_fails_and_skips_deleted_ones() -> Result<()> {
    let mut db = open(&MemVfs::new())?;
    let counts = db.create_column_family(
        "counts",
        ColumnFamilyOptions {
            merge_operator: Some(Arc::new(crate::merge::UInt64Add)),
            ..ColumnFamilyOptions::default()
        },
    )?;
    let one = 1u64.to_le_bytes();
    db.put_cf(counts, b"a", &one, NOSYNC)?;
    // A bad base (a plain put is not checked against the operator) under a good operand.
    db.put_cf(counts, b"b", b"abc", NOSYNC)?;
    db.merge_cf(counts, b"b", &one, NOSYNC)?;
    db.merge_cf(counts, b"c", &one, NOSYNC)?;
    // Operands under a deletion, and under a range deletion: gone.
    db.merge_cf(counts, b"d", &one, NOSYNC)?;
    db.delete_cf(counts, b"d", NOSYNC)?;
    db.merge_cf(counts, b"e", &one, NOSYNC)?;
    db.delete_range_cf(counts, b"e", b"f", NOSYNC)?;
    let live = vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
    for step in 0..3 {
        assert_eq!(
            keys_only(&db, counts)?,
            (live.clone(), live.clone()),
            "step {step}"
        );
        // A full iterator reaches "b" and reports its stored bytes.
        {
            let mut it = db.iter_cf(counts, &ReadOptions::default())?;
            it.seek_to_first()?;
            assert!(matches!(it.next(), Err(Error::Corruption { .. })));
        }
        match step {
            0 => db.flush()?,
            _ => db.compact_all()?,
        }
    }
    Ok(())
}

#[test]
fn column_families_are_separate_and_survive_reopen() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    let cf = db.create_column_family("state-a", ColumnFamilyOptions::default())?;
    db.put_cf(cf, b"k", b"in-a", NOSYNC)?;
    db.put(b"k", b"in-default", NOSYNC)?;
    db.flush()?;
    drop(db);
    let mut db = open(&vfs)?;
    let cf = db.column_family_id("state-a").ok_or(Error::Closed)?;
    assert_eq!(
        db.get_cf(cf, b"k", &ReadOptions::default())?,
        Some(b"in-a".to_vec())
    );
    assert_eq!(db.get(b"k")?, Some(b"in-default".to_vec()));
    db.drop_column_family(cf)?;
    drop(db);
    let db = open(&vfs)?;
    assert_eq!(db.column_families(), vec![(0, "default".to_owned())]);
    Ok(())
}

#[test]
fn invalid_writes_fail_before_anything_is_logged() -> Result<()> {
    let vfs = MemVfs::new();
    let opts = Options {
        max_key_size: 4,
        max_value_size: 8,
        ..options()
    };
    let mut db = Db::open(Box::new(vfs.clone()), opts)?;
    assert!(matches!(
        db.put(b"12345", b"v", NOSYNC),
        Err(Error::KeyTooLarge { len: 5, limit: 4 })
    ));
    assert!(matches!(
        db.put(b"k", b"123456789", NOSYNC),
        Err(Error::ValueTooLarge { len: 9, limit: 8 })
    ));
    assert!(matches!(
        db.put_cf(9, b"k", b"v", NOSYNC),
        Err(Error::InvalidArgument(_))
    ));
    let plain = db.create_column_family("plain", ColumnFamilyOptions::default())?;
    assert!(matches!(
        db.merge_cf(plain, b"k", b"v", NOSYNC),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        db.delete_range_cf(0, b"b", b"a", NOSYNC),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(db.stats().log_bytes, 0);
    Ok(())
}

#[test]
fn closed_database_rejects_every_call() -> Result<()> {
    let mut db = open(&MemVfs::new())?;
    db.close()?;
    db.close()?;
    assert!(matches!(db.put(b"a", b"b", NOSYNC), Err(Error::Closed)));
    assert!(matches!(db.get(b"a"), Err(Error::Closed)));
    assert!(db.iter_cf(0, &ReadOptions::default()).is_err());
    Ok(())
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, Vec<u8>),
    Delete(u8),
    Merge(u8, Vec<u8>),
    DeleteRange(u8, u8),
    Batch(Vec<(u8, Option<u8>)>),
    Sync,
    Flush,
    Compact,
    Snapshot,
    CheckSnapshot(usize),
    Reopen,
    Crash,
    TornCrash(u8),
}

fn op() -> impl Strategy<Value = Op> {
    let key = 0u8..40;
    prop_oneof![
        8 => (key.clone(), prop::collection::vec(any::<u8>(), 0..20)).prop_map(|(k, v)| Op::Put(k, v)),
        3 => key.clone().prop_map(Op::Delete),
        3 => (key.clone(), prop::collection::vec(any::<u8>(), 0..4)).prop_map(|(k, v)| Op::Merge(k, v)),
        1 => (key.clone(), key.clone()).prop_map(|(a, b)| Op::DeleteRange(a.min(b), a.max(b))),
        2 => prop::collection::vec((key, any::<Option<u8>>()), 0..10).prop_map(Op::Batch),
        1 => Just(Op::Sync),
        2 => Just(Op::Flush),
        1 => Just(Op::Compact),
        1 => Just(Op::Snapshot),
        1 => any::<usize>().prop_map(Op::CheckSnapshot),
        1 => Just(Op::Reopen),
        1 => Just(Op::Crash),
        1 => any::<u8>().prop_map(Op::TornCrash),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Against a BTreeMap model: every read (iteration both ways, gets, snapshot reads) agrees
    /// after every operation; reopen keeps every acknowledged write; a crash keeps exactly a
    /// prefix of the acknowledged writes that includes every synced one.
    #[test]
    fn engine_matches_model_across_flushes_compactions_and_crashes(ops in prop::collection::vec(op(), 1..70)) {
        let vfs = MemVfs::new();
        let mut db = open(&vfs)?;
        // history[i] = the model after the i-th acknowledged write; `durable` indexes the last
        // state a crash cannot lose.
        let mut history: Vec<Model> = vec![Model::new()];
        let mut durable = 0usize;
        let mut snapshots: Vec<(Snapshot, Model)> = Vec::new();
        for op in ops {
            let mut model = history.last().cloned().unwrap_or_default();
            let mut wrote = true;
            match op {
                Op::Put(k, v) => { db.put(&[k], &v, NOSYNC)?; model.insert(vec![k], v); }
                Op::Delete(k) => { db.delete(&[k], NOSYNC)?; model.remove(&vec![k]); }
                Op::Merge(k, v) => {
                    db.merge_cf(0, &[k], &v, NOSYNC)?;
                    model.entry(vec![k]).or_default().extend_from_slice(&v);
                }
                Op::DeleteRange(a, b) => {
                    db.delete_range_cf(0, &[a], &[b], NOSYNC)?;
                    model.retain(|k, _| !(k.as_slice() >= [a].as_slice() && k.as_slice() < [b].as_slice()));
                }
                Op::Batch(items) => {
                    let mut batch = crate::batch::WriteBatch::new();
                    for (k, v) in items {
                        match v {
                            Some(v) => { batch.put(&[k], &[v]); model.insert(vec![k], vec![v]); }
                            None => { batch.delete(&[k]); model.remove(&vec![k]); }
                        }
                    }
                    db.write(&mut batch, SYNC)?;
                    history.push(model.clone());
                    durable = history.len() - 1;
                    wrote = false;
                }
                Op::Sync => { db.sync()?; durable = history.len() - 1; wrote = false; }
                Op::Flush => { db.flush()?; durable = history.len() - 1; wrote = false; }
                Op::Compact => { db.compact_all()?; wrote = false; }
                Op::Snapshot => {
                    snapshots.push((db.snapshot(), model.clone()));
                    wrote = false;
                }
                Op::CheckSnapshot(i) => {
                    if !snapshots.is_empty() {
                        let (snap, expected) = &snapshots[i % snapshots.len()];
                        prop_assert_eq!(&contents(&db, Some(snap.sequence()))?, expected);
                    }
                    wrote = false;
                }
                Op::Reopen | Op::Crash | Op::TornCrash(_) => {
                    for (snap, _) in snapshots.drain(..) {
                        db.release_snapshot(snap);
                    }
                    drop(db);
                    match op {
                        Op::Crash => vfs.crash(),
                        Op::TornCrash(seed) => vfs.crash_tearing(u64::from(seed)),
                        _ => {}
                    }
                    db = open(&vfs)?;
                    let got = contents(&db, None)?;
                    if matches!(op, Op::Reopen) {
                        let expected = history.last().cloned().unwrap_or_default();
                        prop_assert_eq!(&got, &expected);
                    } else {
                        let at = (durable..history.len()).rev().find(|&i| history[i] == got);
                        prop_assert!(at.is_some(), "recovered state is no prefix at or after the last sync");
                        history.truncate(at.unwrap_or(0) + 1);
                    }
                    // Open flushes and syncs everything it recovered.
                    durable = history.len() - 1;
                    model = history.last().cloned().unwrap_or_default();
                    wrote = false;
                }
            }
            if wrote {
                history.push(model.clone());
            }
            let current = history.last().cloned().unwrap_or_default();
            prop_assert_eq!(&contents(&db, None)?, &current);
            prop_assert_eq!(contents_backward(&db)?, current.clone().into_iter().collect::<Vec<_>>());
            for k in [0u8, 7, 20, 39] {
                prop_assert_eq!(db.get(&[k])?, current.get(&vec![k]).cloned());
            }
        }
    }
}

/// Copies a pinned checkpoint from `from` into an empty file system.
fn materialize(from: &MemVfs, cp: &CheckpointFiles) -> MemVfs {
    let to = MemVfs::new();
    for (name, _) in &cp.tables {
        to.set_contents(name, from.contents(name).unwrap_or_default());
    }
    to.set_contents(&cp.manifest_name, cp.manifest.clone());
    to.set_contents("CURRENT", format!("{}\n", cp.manifest_name).into_bytes());
    to
}

#[test]
fn pinned_checkpoint_survives_compaction_and_opens_as_a_database() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    let mut model = Model::new();
    for i in 0..2000u32 {
        let k = format!("k{i:05}").into_bytes();
        db.put(&k, b"v1", NOSYNC)?;
        model.insert(k, b"v1".to_vec());
    }
    let cp = db.pin_checkpoint()?;
    // Change everything and compact: the checkpoint's tables are retired from the live set.
    for i in 0..2000u32 {
        db.put(format!("k{i:05}").as_bytes(), b"v2", NOSYNC)?;
        if i % 400 == 0 {
            db.flush()?;
        }
    }
    db.flush()?;
    db.compact_all()?;
    for (name, _) in &cp.tables {
        assert!(db.has_file(name), "{name} must stay while pinned");
    }
    let restored = open(&materialize(&vfs, &cp))?;
    assert_eq!(contents(&restored, None)?, model);
    db.release_checkpoint(cp.id);
    let live_after: Vec<bool> = cp.tables.iter().map(|(n, _)| db.has_file(n)).collect();
    assert!(
        live_after.iter().any(|&present| !present),
        "released tables that compaction retired are deleted"
    );
    assert_eq!(db.get(b"k00001")?, Some(b"v2".to_vec()));
    Ok(())
}

#[test]
fn the_smallest_write_buffer_holds_many_entries_before_a_flush() -> Result<()> {
    let opts = Options {
        write_buffer_size: 64 << 10,
        ..options()
    };
    let mut db = Db::open(Box::new(MemVfs::new()), opts)?;
    for i in 0..1000u32 {
        db.put(format!("k{i:05}").as_bytes(), b"value", NOSYNC)?;
    }
    // 1000 entries of ~30 bytes fit a 64 KiB buffer: not one flush per write.
    assert_eq!(db.stats().flushes, 0);
    Ok(())
}

#[test]
fn read_pinned_streams_exactly_the_pinned_tables() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    for i in 0..500u32 {
        db.put(format!("k{i:05}").as_bytes(), &[1u8; 64], NOSYNC)?;
    }
    let cp = db.pin_checkpoint()?;
    let mut out = Vec::new();
    for (name, size) in &cp.tables {
        let mut streamed = Vec::new();
        let mut offset = 0u64;
        loop {
            let n = db.read_pinned(name, offset, 1000, &mut out)?;
            streamed.extend_from_slice(&out);
            offset += n as u64;
            if n < 1000 {
                break;
            }
        }
        assert_eq!(streamed.len() as u64, *size);
        assert_eq!(Some(streamed), vfs.contents(name));
    }
    assert!(db.read_pinned("CURRENT", 0, 10, &mut out).is_err());
    db.release_checkpoint(cp.id);
    let (name, _) = &cp.tables[0];
    assert!(
        db.read_pinned(name, 0, 10, &mut out).is_err(),
        "released: no longer readable"
    );
    Ok(())
}

#[test]
fn memory_budget_bounds_memtables_and_block_cache() -> Result<()> {
    let budget = 512 << 10;
    let opts = Options {
        memory_budget: budget,
        write_buffer_size: 64 << 20,
        ..options()
    };
    let mut db = Db::open(Box::new(MemVfs::new()), opts)?;
    for i in 0..20_000u32 {
        db.put(format!("key{i:06}").as_bytes(), &[7u8; 100], NOSYNC)?;
        assert!(
            db.stats().memtable_bytes <= (budget / 2) as u64 + 1024,
            "memtables stay within half the budget"
        );
    }
    for i in (0..20_000u32).step_by(7) {
        assert_eq!(
            db.get(format!("key{i:06}").as_bytes())?,
            Some(vec![7u8; 100])
        );
    }
    let s = db.stats();
    assert!(s.flushes > 0);
    assert_eq!(s.block_cache.capacity, budget / 2);
    assert!(s.block_cache.usage <= s.block_cache.capacity);
    assert!(
        s.block_cache.hits > 0 && s.block_cache.evictions > 0,
        "{:?}",
        s.block_cache
    );
    Ok(())
}

#[test]
fn compaction_runs_in_bounded_steps_while_reads_and_writes_go_on() -> Result<()> {
    let opts = Options {
        inline_maintenance: false,
        target_file_size: 64 << 10,
        write_buffer_size: 128 << 10,
        ..options()
    };
    let vfs = MemVfs::new();
    let mut db = Db::open(Box::new(vfs.clone()), opts)?;
    let mut model = Model::new();
    let mut steps = 0;
    for round in 0..6u32 {
        for i in 0..3000u32 {
            let k = format!("key{:05}", (i * 13 + round) % 5000).into_bytes();
            let v = format!("r{round}").into_bytes();
            db.put(&k, &v, NOSYNC)?;
            model.insert(k, v);
        }
        db.flush()?;
        // Host-driven maintenance, one step at a time, with writes and reads in between.
        loop {
            match db.maintain()? {
                Maintenance::Idle => break,
                Maintenance::CompactionStep => steps += 1,
                Maintenance::Flushed | Maintenance::Compacted => {}
            }
            let k = format!("between{round}").into_bytes();
            db.put(&k, b"x", NOSYNC)?;
            model.insert(k, b"x".to_vec());
            assert_eq!(
                db.get(b"key00013")?,
                model.get(b"key00013".as_slice()).cloned()
            );
        }
    }
    assert!(steps > 0, "compactions should have taken several steps");
    assert!(db.stats().compactions > 0);
    assert_eq!(contents(&db, None)?, model);
    drop(db);
    let db = open(&vfs)?;
    assert_eq!(contents(&db, None)?, model);
    Ok(())
}

#[test]
fn a_full_storage_fails_writes_keeps_reads_and_still_reopens() -> Result<()> {
    let vfs = FaultVfs::default();
    let mem = vfs.inner.clone();
    vfs.faults.limit.set(64 << 10);
    let mut db = Db::open(Box::new(vfs.clone()), options())?;
    let mut written = 0u32;
    let failure = loop {
        match db.put(format!("key{written:05}").as_bytes(), &[1u8; 200], NOSYNC) {
            Ok(()) => written += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(failure.code(), "QUOTA_EXCEEDED");
    assert!(written > 100);
    assert_eq!(db.get(b"key00000")?, Some(vec![1u8; 200]));
    drop(db);
    // Reopening needs room to flush the log into a table; without it the logs stay live.
    let db = Db::open(Box::new(vfs.clone()), options())?;
    assert!(db.recovery().flush_skipped_for_quota);
    assert_eq!(contents(&db, None)?.len(), written as usize);
    drop(db);
    vfs.faults.limit.set(u64::MAX);
    let db = Db::open(Box::new(vfs), options())?;
    assert!(!db.recovery().flush_skipped_for_quota);
    assert_eq!(contents(&db, None)?.len(), written as usize);
    assert_eq!(
        mem.list()?.iter().filter(|n| n.ends_with(".log")).count(),
        1
    );
    Ok(())
}

#[test]
fn a_flush_that_fills_the_storage_keeps_the_memtable_readable_and_retries_later() -> Result<()> {
    let vfs = FaultVfs::default();
    let mut db = Db::open(Box::new(vfs.clone()), options())?;
    let mut model = Model::new();
    for i in 0..500u32 {
        let k = format!("key{i:05}").into_bytes();
        db.put(&k, &[2u8; 100], NOSYNC)?;
        model.insert(k, vec![2u8; 100]);
    }
    // Room for nothing more: the flush fails writing its table.
    vfs.faults.limit.set(vfs.total());
    let failure = db.flush().err();
    assert_eq!(failure.map(|e| e.code()), Some("QUOTA_EXCEEDED"));
    assert_eq!(contents(&db, None)?, model, "the memtable is still read");
    vfs.faults.limit.set(u64::MAX);
    db.flush()?;
    assert_eq!(db.stats().memtable_entries, 0, "the retry flushed it");
    assert_eq!(contents(&db, None)?, model);
    drop(db);
    let db = Db::open(Box::new(vfs), options())?;
    assert_eq!(contents(&db, None)?, model);
    Ok(())
}

#[test]
fn a_write_whose_flush_finds_no_room_succeeds_and_the_flush_is_retried_or_writes_stall(
) -> Result<()> {
    let vfs = FaultVfs::default();
    vfs.faults.no_new_tables.set(true);
    let opts = Options {
        write_buffer_size: 64 << 10,
        memory_budget: 1 << 20,
        ..options()
    };
    let mut db = Db::open(Box::new(vfs.clone()), opts.clone())?;
    let mut model = Model::new();
    // Past the write buffer: the flush fails, the writes do not (they are logged and applied).
    let mut i = 0u32;
    let stalled = loop {
        let k = format!("key{i:06}").into_bytes();
        match db.put(&k, &[3u8; 100], NOSYNC) {
            Ok(()) => {
                model.insert(k, vec![3u8; 100]);
                i += 1;
            }
            Err(e) => break e,
        }
        assert!(
            i < 100_000,
            "writes must stall once memtables hold twice their budget"
        );
    };
    assert_eq!(stalled.code(), "STORAGE_EXHAUSTED");
    assert!(i > 1000, "writes went on past the write buffer: {i}");
    assert!(db.stats().maintenance_error.is_some());
    assert_eq!(
        contents(&db, None)?,
        model,
        "every acknowledged write, and not the refused one"
    );
    // Room again: the next write runs the deferred flush first.
    vfs.faults.no_new_tables.set(false);
    db.put(b"after", b"x", NOSYNC)?;
    model.insert(b"after".to_vec(), b"x".to_vec());
    assert!(db.stats().maintenance_error.is_none());
    assert!(db.stats().flushes >= 1);
    assert_eq!(contents(&db, None)?, model);
    drop(db);
    let db = Db::open(Box::new(vfs), opts)?;
    assert_eq!(contents(&db, None)?, model);
    Ok(())
}

#[test]
fn a_wal_buffer_hands_records_over_in_bulk_and_a_lost_process_keeps_a_prefix() -> Result<()> {
    let vfs = MemVfs::new();
    let opts = Options {
        wal_buffer_size: 4096,
        ..options()
    };
    let log_bytes = |vfs: &MemVfs| -> usize {
        vfs.list()
            .unwrap_or_default()
            .iter()
            .filter(|n| n.ends_with(".log"))
            .map(|n| vfs.contents(n).map_or(0, |c| c.len()))
            .sum()
    };
    {
        let mut db = Db::open(Box::new(vfs.clone()), opts.clone())?;
        db.put(b"k00000", &[1u8; 10], NOSYNC)?;
        assert_eq!(log_bytes(&vfs), 0, "a small write stays in the buffer");
        assert!(db.wal_buffered() > 0);
        db.write_wal()?;
        assert!(log_bytes(&vfs) > 0);
        assert_eq!(db.wal_buffered(), 0);
        for i in 1..1000u32 {
            db.put(format!("k{i:05}").as_bytes(), &[1u8; 10], NOSYNC)?;
            assert!(
                db.wal_buffered() < 4096 + 64,
                "the buffer is handed over when full"
            );
        }
        // The process dies: no close, the buffer's records are lost, nothing else.
    }
    let db = Db::open(Box::new(vfs.clone()), opts.clone())?;
    let got = contents(&db, None)?;
    let n = got.len() as u32;
    assert!(
        n >= 900,
        "at most one buffer (4 KiB ≈ 120 records) was lost: kept {n}"
    );
    assert!(n < 1000);
    for i in 0..n {
        assert!(
            got.contains_key(format!("k{i:05}").as_bytes()),
            "a prefix survives"
        );
    }
    drop(db);
    // A clean close hands everything over.
    let mut db = Db::open(Box::new(vfs.clone()), opts.clone())?;
    db.put(b"last", b"x", NOSYNC)?;
    db.close()?;
    let db = Db::open(Box::new(vfs), opts)?;
    assert_eq!(db.get(b"last")?, Some(b"x".to_vec()));
    Ok(())
}
