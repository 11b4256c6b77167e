//! A merge operand its column family's operator can never use (a `uint64add` operand that is
//! not 8 bytes, a list operand longer than the largest list) is refused when it is written,
//! together with the rest of its batch, and nothing changes; one already stored (logged or in a
//! table by an older build) does not stop recovery, flush or compaction: only reads of its key
//! fail.

use std::sync::Arc;

use edgestate_lsm::batch::WriteBatch;
use edgestate_lsm::db::{ColumnFamilyOptions, Db, Options, WriteOptions};
use edgestate_lsm::log::{log_file_name, LogWriter};
use edgestate_lsm::merge::{ListAppend, MergeOperator, UInt64Add};
use edgestate_lsm::vfs::{MemVfs, OpenMode, Vfs};
use edgestate_lsm::{Error, Result};

const NOSYNC: WriteOptions = WriteOptions { sync: false };

fn n(v: u64) -> [u8; 8] {
    v.to_le_bytes()
}

fn with_merge(merge: Arc<dyn MergeOperator>) -> ColumnFamilyOptions {
    ColumnFamilyOptions {
        merge_operator: Some(merge),
        compaction_filter: None,
        periodic_compaction_seconds: None,
    }
}

/// What a refused write must leave as it was.
fn unchanged(db: &Db) -> (u64, u64, u64) {
    let s = db.stats();
    (s.last_sequence, s.log_bytes, s.memtable_entries)
}

#[test]
fn a_uint64add_operand_not_8_bytes_is_refused_with_its_whole_batch() -> Result<()> {
    let mut db = Db::open(Box::new(MemVfs::new()), Options::default())?;
    let counts = db.create_column_family("counts", with_merge(Arc::new(UInt64Add)))?;
    db.put_cf(counts, b"k", &n(1), NOSYNC)?;
    let before = unchanged(&db);

    match db.merge_cf(counts, b"k", b"abc", NOSYNC) {
        Err(Error::InvalidArgument(message)) => {
            assert!(message.contains("\"counts\""), "{message}");
            assert!(message.contains("3 bytes"), "{message}");
            assert!(message.contains("must be 8 bytes"), "{message}");
        }
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
    let mut batch = WriteBatch::new();
    batch.put(b"a", b"1");
    batch.merge_cf(counts, b"k", &n(5));
    batch.merge_cf(counts, b"k", &[0; 9]);
    assert!(matches!(
        db.write(&mut batch, NOSYNC),
        Err(Error::InvalidArgument(_))
    ));
    assert_eq!(unchanged(&db), before);
    assert_eq!(db.get(b"a")?, None);
    assert_eq!(
        db.get_cf(counts, b"k", &Default::default())?,
        Some(n(1).to_vec())
    );

    // Nothing is wedged: good operands go on being merged.
    db.merge_cf(counts, b"k", &n(5), NOSYNC)?;
    db.flush()?;
    db.compact_all()?;
    assert_eq!(
        db.get_cf(counts, b"k", &Default::default())?,
        Some(n(6).to_vec())
    );
    Ok(())
}

#[test]
fn a_list_operand_longer_than_any_list_is_refused_with_its_whole_batch() -> Result<()> {
    // The database takes values up to 100 bytes, this family's lists only up to 50: an operand
    // in between is a value the database would take but a list no merge could make.
    let options = Options {
        max_value_size: 100,
        ..Options::default()
    };
    let mut db = Db::open(Box::new(MemVfs::new()), options)?;
    let lists = db.create_column_family(
        "lists",
        with_merge(Arc::new(ListAppend { max_value_size: 50 })),
    )?;
    db.merge_cf(lists, b"k", &[1; 50], NOSYNC)?;
    let before = unchanged(&db);
    for (len, limit) in [(51, 50), (101, 100)] {
        let mut batch = WriteBatch::new();
        batch.put(b"a", b"1");
        batch.merge_cf(lists, b"other", b"x");
        batch.merge_cf(lists, b"k", &vec![2; len]);
        let r = db.write(&mut batch, NOSYNC);
        assert!(
            matches!(r, Err(Error::ValueTooLarge { len: l, limit: m }) if l == len && m == limit),
            "{r:?}"
        );
        assert_eq!(unchanged(&db), before);
    }
    assert_eq!(db.get(b"a")?, None);
    assert_eq!(db.get_cf(lists, b"other", &Default::default())?, None);
    assert_eq!(
        db.get_cf(lists, b"k", &Default::default())?,
        Some(vec![1; 50])
    );
    Ok(())
}

/// A database directory holding one log, as an older build wrote it (no check of operands):
/// `n = 1`, then a 3-byte operand to `n`, an operand to `m`, and a put of `other`.
fn log_with_a_malformed_operand() -> Result<MemVfs> {
    let vfs = MemVfs::new();
    let name = log_file_name(3);
    let mut log = LogWriter::new(vfs.open(&name, OpenMode::CreateTruncate)?, name);
    let mut batch = WriteBatch::new();
    batch.put(b"n", &n(1));
    batch.merge_cf(0, b"n", b"abc");
    batch.merge_cf(0, b"m", &n(2));
    batch.put(b"other", b"v");
    batch.set_sequence(1);
    log.add_record(batch.encoded())?;
    log.sync()?;
    Ok(vfs)
}

#[test]
fn a_malformed_operand_already_stored_fails_only_the_reads_of_its_key() -> Result<()> {
    let vfs = log_with_a_malformed_operand()?;
    let options = || Options {
        default_cf: with_merge(Arc::new(UInt64Add)),
        ..Options::default()
    };
    // Recovery replays the log and flushes it to a table, keeping the operand unmerged.
    let mut db = Db::open(Box::new(vfs.clone()), options())?;
    assert_eq!(db.recovery().ops_replayed, 4);
    assert_eq!(db.stats().flushes, 1);
    assert!(matches!(db.get(b"n"), Err(Error::Corruption { .. })));
    assert_eq!(db.get(b"m")?, Some(n(2).to_vec()));
    assert_eq!(db.get(b"other")?, Some(b"v".to_vec()));
    db.merge_cf(0, b"m", &n(3), NOSYNC)?;
    db.flush()?;
    db.compact_all()?;
    drop(db);

    // Again from the table.
    let mut db = Db::open(Box::new(vfs), options())?;
    assert!(matches!(db.get(b"n"), Err(Error::Corruption { .. })));
    assert_eq!(db.get(b"m")?, Some(n(5).to_vec()));
    // A put heals the key.
    db.put(b"n", &n(7), NOSYNC)?;
    db.merge_cf(0, b"n", &n(1), NOSYNC)?;
    db.compact_all()?;
    assert_eq!(db.get(b"n")?, Some(n(8).to_vec()));
    Ok(())
}
