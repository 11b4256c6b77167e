//! What a failing storage does to writes and to `close`: a failure that was undone refuses only
//! the write that met it; an uncertain one makes the database read-only; acknowledged writes
//! are never dropped silently (docs/storage.md, "When storage is full").

use super::*;
use crate::vfs::fault::FaultVfs;

const NOSYNC: WriteOptions = WriteOptions { sync: false };
const SYNC: WriteOptions = WriteOptions { sync: true };

fn open(vfs: &FaultVfs, wal_buffer_size: usize) -> Result<Db> {
    let options = Options {
        wal_buffer_size,
        ..Options::default()
    };
    Db::open(Box::new(vfs.clone()), options)
}

/// Reopens after a power loss (everything not synced is gone) and reads `keys`.
fn durable(vfs: &FaultVfs, keys: &[&[u8]]) -> Result<Vec<Option<Vec<u8>>>> {
    vfs.faults.clear();
    vfs.inner.crash();
    let db = open(vfs, 0)?;
    keys.iter().map(|k| db.get(k)).collect()
}

fn is_read_only(e: &Error) -> bool {
    e.code() == "IO" && e.to_string().contains("read-only")
}

#[test]
fn a_synced_write_refused_by_a_full_storage_fails_alone_and_the_database_stays_writable(
) -> Result<()> {
    for wal_buffer_size in [0, 1 << 16] {
        let vfs = FaultVfs::default();
        let mut db = open(&vfs, wal_buffer_size)?;
        db.put(b"x", b"acknowledged", NOSYNC)?;
        vfs.faults.full.set(true);
        let refused = db.put(b"y", b"1", SYNC).err();
        assert_eq!(refused.map(|e| e.code()), Some("QUOTA_EXCEEDED"));
        assert_eq!(db.get(b"y")?, None, "the refused write is not applied");
        vfs.faults.full.set(false);
        db.put(b"z", b"1", NOSYNC)?;
        db.close()?;
        assert_eq!(
            durable(&vfs, &[b"x", b"y", b"z"])?,
            vec![Some(b"acknowledged".to_vec()), None, Some(b"1".to_vec())],
            "wal_buffer_size {wal_buffer_size}: acknowledged writes kept, the refused one never replayed"
        );
    }
    Ok(())
}

#[test]
fn a_refused_synced_write_is_retried_by_the_next_sync() -> Result<()> {
    let vfs = FaultVfs::default();
    let mut db = open(&vfs, 1 << 16)?;
    db.put(b"x", b"1", NOSYNC)?;
    vfs.faults.full.set(true);
    assert!(db.put(b"y", b"1", SYNC).is_err());
    vfs.faults.full.set(false);
    db.put(b"y", b"2", SYNC)?;
    assert_eq!(
        durable(&vfs, &[b"x", b"y"])?,
        vec![Some(b"1".to_vec()), Some(b"2".to_vec())]
    );
    Ok(())
}

#[test]
fn close_on_a_full_storage_fails_and_leaves_the_database_open_until_there_is_room() -> Result<()> {
    let vfs = FaultVfs::default();
    let mut db = open(&vfs, 1 << 16)?;
    db.put(b"x", b"acknowledged", NOSYNC)?;
    vfs.faults.full.set(true);
    for _ in 0..2 {
        let failure = db.close().err();
        assert_eq!(failure.map(|e| e.code()), Some("QUOTA_EXCEEDED"));
        assert!(!db.is_closed());
        assert!(db.wal_buffered() > 0, "the records are still buffered");
    }
    assert_eq!(db.get(b"x")?, Some(b"acknowledged".to_vec()));
    db.put(b"w", b"1", NOSYNC)?;
    vfs.faults.full.set(false);
    db.close()?;
    assert!(db.is_closed());
    assert_eq!(
        durable(&vfs, &[b"x", b"w"])?,
        vec![Some(b"acknowledged".to_vec()), Some(b"1".to_vec())]
    );
    Ok(())
}

#[test]
fn a_failed_write_that_cannot_be_cut_back_makes_the_database_read_only_and_close_reports_the_lost_records(
) -> Result<()> {
    let vfs = FaultVfs::default();
    let mut db = open(&vfs, 1 << 16)?;
    db.put(b"x", b"acknowledged", NOSYNC)?;
    vfs.faults.torn_writes.set(true);
    vfs.faults.failing_truncates.set(true);
    assert!(db.put(b"y", b"1", SYNC).is_err());
    // Room and a working storage again: the log's end stays unknown.
    vfs.faults.clear();
    let refused = db.put(b"z", b"1", NOSYNC).err();
    assert!(refused.as_ref().is_some_and(is_read_only), "{refused:?}");
    assert_eq!(db.get(b"x")?, Some(b"acknowledged".to_vec()), "reads go on");
    let Err(Error::Io {
        op, kind, message, ..
    }) = db.close()
    else {
        panic!("close must report the acknowledged records it could not persist");
    };
    assert_eq!((op, kind), ("close", crate::IoErrorKind::Other));
    assert!(message.contains("could not be persisted"), "{message}");
    assert!(db.is_closed(), "retrying could not help: closed");
    assert_eq!(
        durable(&vfs, &[b"x", b"y"])?,
        vec![None, None],
        "as reported"
    );
    Ok(())
}

#[test]
fn a_failed_sync_makes_the_database_read_only_and_close_still_persists_what_was_acknowledged(
) -> Result<()> {
    let vfs = FaultVfs::default();
    let mut db = open(&vfs, 1 << 16)?;
    db.put(b"x", b"acknowledged", NOSYNC)?;
    vfs.faults.failing_syncs.set(true);
    assert!(db.put(b"y", b"1", SYNC).is_err());
    let refused = db.put(b"z", b"1", NOSYNC).err();
    assert!(refused.as_ref().is_some_and(is_read_only), "{refused:?}");
    vfs.faults.failing_syncs.set(false);
    db.close()?;
    // `y` failed but reached the log: a write that failed uncertainly may come back.
    assert_eq!(
        durable(&vfs, &[b"x", b"z"])?,
        vec![Some(b"acknowledged".to_vec()), None]
    );
    Ok(())
}

#[test]
fn close_whose_sync_fails_closes_and_says_so() -> Result<()> {
    let vfs = FaultVfs::default();
    let mut db = open(&vfs, 1 << 16)?;
    db.put(b"x", b"acknowledged", NOSYNC)?;
    vfs.faults.failing_syncs.set(true);
    let failure = db.close().err();
    assert!(
        matches!(&failure, Some(Error::Io { op: "sync", .. })),
        "{failure:?}"
    );
    assert!(
        db.is_closed(),
        "a failed sync is not a full storage: retrying is no use"
    );
    // Handed over but not synced: there after a lost process, not after a power loss.
    vfs.faults.failing_syncs.set(false);
    assert_eq!(open(&vfs, 0)?.get(b"x")?, Some(b"acknowledged".to_vec()));
    Ok(())
}
