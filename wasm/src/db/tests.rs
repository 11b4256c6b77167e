use std::cell::Cell;
use std::collections::BTreeMap;
use std::rc::Rc;

use proptest::prelude::*;

use super::*;
use crate::log::log_file_name;
use crate::vfs::{MemVfs, VfsFile};
use crate::IoErrorKind;

const NOSYNC: WriteOptions = WriteOptions { sync: false };
const SYNC: WriteOptions = WriteOptions { sync: true };

fn open(vfs: &MemVfs) -> Result<Db> {
    Db::open(Box::new(vfs.clone()), Options::default())
}

fn contents(db: &Db) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    Ok(db
        .scan(None, None)?
        .map(|(k, v)| (k.to_vec(), v.to_vec()))
        .collect())
}

fn logs(vfs: &MemVfs) -> Result<Vec<String>> {
    let mut names = vfs.list()?;
    names.retain(|n| n.ends_with(".log"));
    names.sort();
    Ok(names)
}

#[test]
fn put_get_delete() -> Result<()> {
    let mut db = open(&MemVfs::new())?;
    db.put(b"k", b"v1", NOSYNC)?;
    db.put(b"k", b"v2", NOSYNC)?;
    assert_eq!(db.get(b"k")?, Some(&b"v2"[..]));
    db.delete(b"k", NOSYNC)?;
    assert_eq!(db.get(b"k")?, None);
    assert_eq!(db.stats().last_sequence, 3);
    Ok(())
}

#[test]
fn reopen_replays_every_acknowledged_write() -> Result<()> {
    let vfs = MemVfs::new();
    {
        let mut db = open(&vfs)?;
        for i in 0..1000u32 {
            db.put(&i.to_be_bytes(), &[i as u8; 40], NOSYNC)?;
        }
        db.delete(&7u32.to_be_bytes(), NOSYNC)?;
        // Dropped without close: the process died; unsynced appends are still in the file.
    }
    let db = open(&vfs)?;
    assert_eq!(db.stats().keys, 999);
    assert_eq!(db.get(&7u32.to_be_bytes())?, None);
    assert_eq!(db.get(&8u32.to_be_bytes())?, Some(&[8u8; 40][..]));
    assert_eq!(db.recovery().ops_replayed, 1001);
    Ok(())
}

#[test]
fn sequence_numbers_continue_after_reopen() -> Result<()> {
    let vfs = MemVfs::new();
    open(&vfs)?.put(b"a", b"1", NOSYNC)?;
    let mut db = open(&vfs)?;
    let before = db.stats().last_sequence;
    db.put(b"b", b"2", NOSYNC)?;
    assert_eq!(db.stats().last_sequence, before + 1);
    Ok(())
}

#[test]
fn reopen_restates_state_in_one_fresh_log_and_deletes_the_old() -> Result<()> {
    let vfs = MemVfs::new();
    for round in 0..3u8 {
        let mut db = open(&vfs)?;
        db.put(&[round], b"x", NOSYNC)?;
    }
    let db = open(&vfs)?;
    assert_eq!(logs(&vfs)?, vec![log_file_name(4)]);
    assert_eq!(contents(&db)?.len(), 3);
    Ok(())
}

#[test]
fn machine_crash_keeps_synced_writes_and_drops_unsynced_ones() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    db.put(b"durable", b"1", SYNC)?;
    db.put(b"volatile", b"2", NOSYNC)?;
    vfs.crash();
    let db = open(&vfs)?;
    assert_eq!(contents(&db)?, vec![(b"durable".to_vec(), b"1".to_vec())]);
    Ok(())
}

#[test]
fn torn_last_write_is_dropped_and_earlier_writes_kept() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    db.put(b"a", b"1", NOSYNC)?;
    db.put(b"b", &[7; 5000], NOSYNC)?;
    let name = log_file_name(db.stats().log_number);
    drop(db);
    let mut raw = vfs.contents(&name).unwrap_or_default();
    raw.truncate(raw.len() - 100);
    vfs.set_contents(&name, raw);
    let db = open(&vfs)?;
    assert_eq!(contents(&db)?, vec![(b"a".to_vec(), b"1".to_vec())]);
    assert_eq!(db.recovery().dropped.len(), 1);
    Ok(())
}

#[test]
fn corrupted_middle_of_log_fails_open_and_leaves_files_untouched() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    for i in 0..10u8 {
        db.put(&[i], &[i; 100], NOSYNC)?;
    }
    let name = log_file_name(db.stats().log_number);
    drop(db);
    let mut raw = vfs.contents(&name).unwrap_or_default();
    raw[200] ^= 0xff;
    vfs.set_contents(&name, raw.clone());
    let err = open(&vfs).err();
    assert!(
        matches!(&err, Some(Error::Corruption { file, .. }) if *file == name),
        "{err:?}"
    );
    assert_eq!(
        logs(&vfs)?,
        vec![name.clone()],
        "a failed open must not create or delete logs"
    );
    assert_eq!(vfs.contents(&name), Some(raw));

    let opts = Options {
        recovery_mode: RecoveryMode::PointInTime,
        ..Options::default()
    };
    let db = Db::open(Box::new(vfs.clone()), opts)?;
    assert_eq!(
        db.stats().keys,
        1,
        "point-in-time keeps the records before the damage"
    );
    Ok(())
}

#[test]
fn oversized_key_and_value_are_rejected_and_write_nothing() -> Result<()> {
    let vfs = MemVfs::new();
    let opts = Options {
        max_key_size: 4,
        max_value_size: 8,
        ..Options::default()
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
    let mut batch = WriteBatch::new();
    batch.put(b"ok", b"ok");
    batch.delete(b"toolong");
    assert!(matches!(
        db.write(&mut batch, NOSYNC),
        Err(Error::KeyTooLarge { .. })
    ));
    assert_eq!((db.stats().keys, db.stats().log_bytes), (0, 0));
    Ok(())
}

#[test]
fn invalid_options_are_rejected() {
    let opts = Options {
        max_key_size: 0,
        ..Options::default()
    };
    assert!(matches!(
        Db::open(Box::new(MemVfs::new()), opts),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn closed_database_rejects_every_call() -> Result<()> {
    let mut db = open(&MemVfs::new())?;
    db.close()?;
    db.close()?;
    assert!(matches!(db.put(b"a", b"b", NOSYNC), Err(Error::Closed)));
    assert!(matches!(db.get(b"a"), Err(Error::Closed)));
    assert!(db.scan(None, None).is_err());
    Ok(())
}

#[test]
fn write_batch_is_atomic_across_a_torn_tail() -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = open(&vfs)?;
    db.put(b"before", b"1", SYNC)?;
    let mut batch = WriteBatch::new();
    for i in 0..100u8 {
        batch.put(&[b'k', i], &[i; 1000]);
    }
    db.write(&mut batch, NOSYNC)?;
    let name = log_file_name(db.stats().log_number);
    drop(db);
    for cut in [1usize, 50_000, 90_000] {
        let mut raw = vfs.contents(&name).unwrap_or_default();
        raw.truncate(raw.len() - cut);
        let copy = MemVfs::new();
        copy.set_contents(&name, raw);
        assert_eq!(
            open(&copy)?.stats().keys,
            1,
            "cut {cut}: all of the batch or none"
        );
    }
    Ok(())
}

/// A VFS over [`MemVfs`] whose writes or deletes fail on demand, as a full disk would.
#[derive(Clone)]
struct FailingVfs {
    inner: MemVfs,
    fail_writes: Rc<Cell<bool>>,
    deletes_left: Rc<Cell<usize>>,
}

impl FailingVfs {
    fn new(inner: MemVfs) -> FailingVfs {
        FailingVfs {
            inner,
            fail_writes: Rc::default(),
            deletes_left: Rc::new(Cell::new(usize::MAX)),
        }
    }
}

fn quota_error(op: &'static str) -> Error {
    Error::Io {
        op,
        file: String::new(),
        kind: IoErrorKind::QuotaExceeded,
        message: "quota".into(),
    }
}

impl Vfs for FailingVfs {
    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn VfsFile>> {
        let inner = self.inner.open(name, mode)?;
        Ok(Box::new(FailingFile {
            inner,
            fail_writes: Rc::clone(&self.fail_writes),
        }))
    }
    fn delete(&self, name: &str) -> Result<()> {
        let left = self.deletes_left.get();
        if left == 0 {
            return Err(quota_error("delete"));
        }
        self.deletes_left.set(left - 1);
        self.inner.delete(name)
    }
    fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.inner.rename(from, to)
    }
    fn list(&self) -> Result<Vec<String>> {
        self.inner.list()
    }
}

struct FailingFile {
    inner: Box<dyn VfsFile>,
    fail_writes: Rc<Cell<bool>>,
}

impl VfsFile for FailingFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        if self.fail_writes.get() {
            // Half the data lands before the failure, as on a disk that fills up mid-write.
            self.inner
                .write_at(offset, data.get(..data.len() / 2).unwrap_or_default())?;
            return Err(quota_error("write"));
        }
        self.inner.write_at(offset, data)
    }
    fn size(&mut self) -> Result<u64> {
        self.inner.size()
    }
    fn truncate(&mut self, len: u64) -> Result<()> {
        self.inner.truncate(len)
    }
    fn sync(&mut self) -> Result<()> {
        self.inner.sync()
    }
}

#[test]
fn full_disk_fails_the_write_keeps_reads_and_reopens_intact() -> Result<()> {
    let mem = MemVfs::new();
    let vfs = FailingVfs::new(mem.clone());
    let mut db = Db::open(Box::new(vfs.clone()), Options::default())?;
    db.put(b"a", b"1", NOSYNC)?;
    vfs.fail_writes.set(true);
    let err = db.put(b"b", &[0; 3000], NOSYNC).err();
    assert_eq!(err.as_ref().map(Error::code), Some("QUOTA_EXCEEDED"));
    assert_eq!(db.get(b"a")?, Some(&b"1"[..]));
    assert_eq!(db.get(b"b")?, None);
    vfs.fail_writes.set(false);
    db.put(b"c", b"3", NOSYNC)?;
    drop(db);
    let db = open(&mem)?;
    assert_eq!(
        contents(&db)?,
        vec![
            (b"a".to_vec(), b"1".to_vec()),
            (b"c".to_vec(), b"3".to_vec())
        ],
        "the partial record was cut off, so the write after it is readable"
    );
    Ok(())
}

#[test]
fn interrupted_deletion_of_old_logs_still_recovers_the_same_state() -> Result<()> {
    // Two old logs, as left by an earlier open that crashed before deleting any.
    let mem = MemVfs::new();
    let mut first = WriteBatch::new();
    first.put(b"gone", b"1");
    first.put(b"kept", b"1");
    first.set_sequence(1);
    let mut second = WriteBatch::new();
    second.delete(b"gone");
    second.put(b"late", b"2");
    second.set_sequence(3);
    for (number, batch) in [(1, &first), (2, &second)] {
        let name = log_file_name(number);
        let mut w = crate::log::LogWriter::new(mem.open(&name, OpenMode::CreateTruncate)?, name);
        w.add_record(batch.encoded())?;
        w.sync()?;
    }
    // The open that restates them manages to delete only the oldest: log 2 and the fresh log 3
    // remain. (Deleting newest first would resurrect "gone" from log 1.)
    let vfs = FailingVfs::new(mem.clone());
    vfs.deletes_left.set(1);
    assert!(Db::open(Box::new(vfs), Options::default()).is_err());
    assert_eq!(logs(&mem)?.len(), 2);
    let db = open(&mem)?;
    let expected = vec![
        (b"kept".to_vec(), b"1".to_vec()),
        (b"late".to_vec(), b"2".to_vec()),
    ];
    assert_eq!(contents(&db)?, expected);
    Ok(())
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, Vec<u8>),
    Delete(u8),
    Batch(Vec<(u8, Option<u8>)>),
    Sync,
    Reopen,
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (any::<u8>(), prop::collection::vec(any::<u8>(), 0..200)).prop_map(|(k, v)| Op::Put(k, v)),
        2 => any::<u8>().prop_map(Op::Delete),
        1 => prop::collection::vec((any::<u8>(), any::<Option<u8>>()), 0..20).prop_map(Op::Batch),
        1 => Just(Op::Sync),
        1 => Just(Op::Reopen),
        1 => Just(Op::Crash),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Against a BTreeMap model: reopen keeps every acknowledged write; a machine crash keeps
    /// exactly the writes up to the last sync.
    #[test]
    fn engine_matches_model_across_reopens_and_crashes(ops in prop::collection::vec(op(), 1..80)) {
        let vfs = MemVfs::new();
        let mut db = open(&vfs)?;
        let mut acked: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
        let mut durable = acked.clone();
        for op in ops {
            match op {
                Op::Put(k, v) => {
                    db.put(&[k], &v, NOSYNC)?;
                    acked.insert(vec![k], v);
                }
                Op::Delete(k) => {
                    db.delete(&[k], NOSYNC)?;
                    acked.remove(&vec![k]);
                }
                Op::Batch(items) => {
                    let mut batch = WriteBatch::new();
                    for (k, v) in items {
                        match v {
                            Some(v) => { batch.put(&[k], &[v]); acked.insert(vec![k], vec![v]); }
                            None => { batch.delete(&[k]); acked.remove(&vec![k]); }
                        }
                    }
                    db.write(&mut batch, SYNC)?;
                    durable = acked.clone();
                }
                Op::Sync => {
                    db.sync()?;
                    durable = acked.clone();
                }
                Op::Reopen => {
                    drop(db);
                    db = open(&vfs)?;
                    // Open restates and syncs everything it recovered.
                    durable = acked.clone();
                }
                Op::Crash => {
                    drop(db);
                    vfs.crash();
                    db = open(&vfs)?;
                    acked = durable.clone();
                }
            }
            let got: BTreeMap<_, _> = contents(&db)?.into_iter().collect();
            prop_assert_eq!(&got, &acked);
        }
    }
}
