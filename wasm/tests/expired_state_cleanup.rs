//! Expired state must not stay forever (state TTL relies on the compaction filter to drop it):
//! manual compaction rewrites the last level of a column family with a compaction filter
//! (RocksDB's `BottommostLevelCompaction::kIfHaveCompactionFilter`), and periodic compaction
//! rewrites a table once it is older than its family's interval, by the host's clock, when no
//! other compaction is due — so data no write brings to compaction again still meets the filter.
//! Families without a filter keep their cost.

use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;

use edgestate_lsm::compaction::{CompactionFilter, FilterDecision, StateTtlFilter, TtlLayout};
use edgestate_lsm::db::{
    ColumnFamilyOptions, Db, Maintenance, Options, ReadOptions, WriteOptions,
    DEFAULT_PERIODIC_COMPACTION_SECONDS,
};
use edgestate_lsm::merge::frame_element;
use edgestate_lsm::vfs::MemVfs;
use edgestate_lsm::Result;

const NOSYNC: WriteOptions = WriteOptions { sync: false };
const TTL_MS: i64 = 10_000;
/// A wall-clock time, in ms.
const T0: i64 = 1_700_000_000_000;

/// State TTL's value layout: `timestamp (i64 big-endian ms) ‖ value`.
fn stamped(t_ms: i64, value: &[u8]) -> Vec<u8> {
    [&t_ms.to_be_bytes()[..], value].concat()
}

/// Default options, except that the memtable is flushed only when a test asks.
fn options(inline_maintenance: bool) -> Options {
    Options {
        write_buffer_size: 64 << 20,
        inline_maintenance,
        ..Options::default()
    }
}

/// State TTL's filter for values (10 s), judging by `now`.
fn ttl_filter(now: Arc<AtomicI64>) -> Arc<StateTtlFilter> {
    Arc::new(StateTtlFilter {
        ttl_ms: TTL_MS,
        layout: TtlLayout::Value,
        now,
    })
}

/// Live keys of column family `cf`.
fn keys(db: &Db, cf: u32) -> Result<Vec<Vec<u8>>> {
    let mut it = db.iter_cf(cf, &ReadOptions::default())?;
    it.seek_to_first()?;
    let mut out = Vec::new();
    while it.valid() {
        out.push(it.key().to_vec());
        it.next()?;
    }
    Ok(out)
}

/// Puts `n` keys `{prefix}{i:03}` stamped at `t_ms`.
fn put_stamped(db: &mut Db, cf: u32, prefix: &str, n: usize, t_ms: i64) -> Result<()> {
    for i in 0..n {
        let key = format!("{prefix}{i:03}");
        db.put_cf(cf, key.as_bytes(), &stamped(t_ms, b"v"), NOSYNC)?;
    }
    Ok(())
}

/// Keeps every value, counting them.
struct Counting(AtomicUsize);

impl CompactionFilter for Counting {
    fn name(&self) -> &str {
        "test.Counting"
    }
    fn filter(&self, _level: usize, _key: &[u8], _value: &[u8]) -> FilterDecision {
        self.0.fetch_add(1, Ordering::Relaxed);
        FilterDecision::Keep
    }
}

#[test]
fn compact_drops_an_expired_value_that_already_sat_in_the_last_level() -> Result<()> {
    let now = Arc::new(AtomicI64::new(0));
    let mut db = Db::open(Box::new(MemVfs::new()), options(true))?;
    db.set_compaction_filter(0, Some(ttl_filter(now.clone())))?;
    put_stamped(&mut db, 0, "old", 100, 0)?;
    db.put(b"young", &stamped(15_000, b"y"), NOSYNC)?;
    db.flush()?;
    // Nothing has expired yet: everything ends in one level, the last one holding data.
    db.compact_all()?;
    assert_eq!(keys(&db, 0)?.len(), 101);
    let used: Vec<usize> = (0..7).filter(|&l| db.stats().levels[l].0 > 0).collect();
    assert_eq!(used.len(), 1, "{:?}", db.stats().levels);

    now.store(10_000, Ordering::Relaxed);
    db.compact_all()?;
    assert_eq!(keys(&db, 0)?, vec![b"young".to_vec()]);
    assert_eq!(db.column_family_size(0)?.0, 1);
    Ok(())
}

#[test]
fn compact_drops_an_expired_list_in_the_pass_that_merges_it() -> Result<()> {
    let now = Arc::new(AtomicI64::new(0));
    let lists = ColumnFamilyOptions::list_append(1 << 20);
    let mut db = Db::open(
        Box::new(MemVfs::new()),
        Options {
            default_cf: lists,
            ..options(true)
        },
    )?;
    let filter = StateTtlFilter {
        ttl_ms: TTL_MS,
        layout: TtlLayout::List,
        now: now.clone(),
    };
    db.set_compaction_filter(0, Some(Arc::new(filter)))?;
    // State TTL's list layout: each element framed, `timestamp ‖ bytes`.
    let element = |t_ms: i64| {
        let mut out = Vec::new();
        frame_element(&stamped(t_ms, b"e"), &mut out);
        out
    };
    for i in 0..50 {
        let key = format!("list{i:03}");
        db.merge_cf(0, key.as_bytes(), &element(0), NOSYNC)?;
        db.merge_cf(0, key.as_bytes(), &element(5_000), NOSYNC)?;
    }
    db.merge_cf(0, b"live", &element(0), NOSYNC)?;
    db.merge_cf(0, b"live", &element(20_000), NOSYNC)?;
    db.flush()?;
    now.store(15_000, Ordering::Relaxed);
    // One pass merges each list's operands and judges the merged list.
    db.compact_all()?;
    assert_eq!(keys(&db, 0)?, vec![b"live".to_vec()]);
    Ok(())
}

#[test]
fn compact_shows_the_filter_each_entry_once() -> Result<()> {
    let mut db = Db::open(Box::new(MemVfs::new()), options(true))?;
    let filter = Arc::new(Counting(AtomicUsize::new(0)));
    db.set_compaction_filter(0, Some(filter.clone()))?;
    let seen = || filter.0.swap(0, Ordering::Relaxed);
    put_stamped(&mut db, 0, "a", 100, 0)?;
    db.flush()?;
    // Level 0 into level 1, which is then the last level holding data: once, not once per
    // level down to level 6.
    db.compact_all()?;
    assert_eq!(seen(), 100);
    // New keys beside the old ones: the new table is merged down, the old one rewritten in
    // place.
    put_stamped(&mut db, 0, "b", 50, 0)?;
    db.flush()?;
    db.compact_all()?;
    assert_eq!(seen(), 150);
    db.compact_all()?;
    assert_eq!(seen(), 150);
    assert_eq!(keys(&db, 0)?.len(), 150);
    Ok(())
}

#[test]
fn compact_leaves_the_last_level_of_a_family_without_a_filter_as_it_is() -> Result<()> {
    let mut db = Db::open(Box::new(MemVfs::new()), options(true))?;
    put_stamped(&mut db, 0, "a", 100, 0)?;
    db.flush()?;
    db.compact_all()?;
    let before = db.stats();
    assert!(before.levels[6].0 > 0, "{:?}", before.levels);
    db.compact_all()?;
    let after = db.stats();
    assert_eq!(after.levels, before.levels);
    assert_eq!(after.table_bytes_written, before.table_bytes_written);
    Ok(())
}

/// A database (with `inline_maintenance`) whose default family has the TTL filter and a
/// periodic interval of 100 s, holding 100 values written at `T0` in its bottommost level.
fn expired_at_the_bottom(inline_maintenance: bool) -> Result<Db> {
    let mut db = Db::open(Box::new(MemVfs::new()), options(inline_maintenance))?;
    db.set_compaction_filter(0, Some(ttl_filter(db.clock())))?;
    db.set_periodic_compaction_seconds(0, Some(100))?;
    db.set_time(T0);
    put_stamped(&mut db, 0, "old", 100, T0)?;
    db.flush()?;
    db.compact_all()?;
    Ok(db)
}

#[test]
fn an_expired_value_at_the_bottom_goes_once_its_table_outlives_the_periodic_interval() -> Result<()>
{
    let mut db = expired_at_the_bottom(true)?;
    let compactions = db.stats().compactions;

    // Expired, but its table is younger than the interval: writes go on, nothing is compacted.
    db.set_time(T0 + 99_999);
    db.put(b"new1", &stamped(T0 + 99_999, b"n"), NOSYNC)?;
    assert_eq!(db.stats().compactions, compactions);
    assert!(db.get(b"old000")?.is_some());

    // The next write after the interval compacts it (inline maintenance).
    db.set_time(T0 + 100_000);
    db.put(b"new2", &stamped(T0 + 100_000, b"n"), NOSYNC)?;
    assert_eq!(db.stats().compactions, compactions + 1);
    assert_eq!(db.get(b"old000")?, None);
    assert_eq!(keys(&db, 0)?, vec![b"new1".to_vec(), b"new2".to_vec()]);
    assert_eq!(db.stats().levels.iter().map(|l| l.0).sum::<u64>(), 0);

    // Later tables count from when they were written.
    db.flush()?;
    db.set_time(T0 + 199_999);
    db.put(b"new3", &stamped(T0 + 199_999, b"n"), NOSYNC)?;
    assert_eq!(db.stats().compactions, compactions + 1);
    assert_eq!(db.get(b"new1")?, Some(stamped(T0 + 99_999, b"n")));
    Ok(())
}

#[test]
fn maintain_runs_periodic_compaction_when_nothing_else_is_due_and_once_per_interval() -> Result<()>
{
    let mut db = expired_at_the_bottom(false)?;
    db.set_time(T0 + 99_999);
    assert_eq!(db.maintain()?, Maintenance::Idle);

    // Level 0 at its trigger (4 tables of keys below the old ones) goes first.
    db.set_time(T0 + 100_000);
    for t in 0..4 {
        put_stamped(&mut db, 0, &format!("new{t}-"), 10, T0 + 100_000)?;
        db.flush()?;
    }
    assert_eq!(db.maintain()?, Maintenance::Compacted);
    assert_eq!(db.stats().levels[0].0, 0);
    assert!(db.get(b"old000")?.is_some());
    assert_eq!(db.maintain()?, Maintenance::Compacted);
    assert_eq!(db.get(b"old000")?, None);
    assert_eq!(db.maintain()?, Maintenance::Idle);
    assert_eq!(keys(&db, 0)?.len(), 40);
    Ok(())
}

#[test]
fn the_default_interval_is_30_days_with_a_filter_and_never_without() -> Result<()> {
    let mut db = Db::open(Box::new(MemVfs::new()), options(false))?;
    let with_filter = db.create_column_family("ttl", ColumnFamilyOptions::default())?;
    let turned_off = db.create_column_family("off", ColumnFamilyOptions::default())?;
    for cf in [with_filter, turned_off] {
        db.set_compaction_filter(cf, Some(ttl_filter(db.clock())))?;
    }
    db.set_periodic_compaction_seconds(turned_off, Some(0))?;
    db.set_time(T0);
    for cf in [0, with_filter, turned_off] {
        put_stamped(&mut db, cf, "k", 10, T0)?;
    }
    db.flush()?;
    db.compact_all()?;
    let compacted = |db: &mut Db| -> Result<usize> {
        let mut n = 0;
        loop {
            match db.maintain()? {
                Maintenance::Idle => return Ok(n),
                Maintenance::Compacted => n += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
    };
    let days_30 = DEFAULT_PERIODIC_COMPACTION_SECONDS as i64 * 1000;
    assert_eq!(days_30, 30 * 24 * 3600 * 1000);
    db.set_time(T0 + days_30 - 1000);
    assert_eq!(compacted(&mut db)?, 0);
    db.set_time(T0 + days_30);
    assert_eq!(compacted(&mut db)?, 1);
    assert!(keys(&db, with_filter)?.is_empty());
    // Ten years on: the filtered family's (empty) history is not compacted again, and the
    // others never are.
    db.set_time(T0 + 10 * 365 * 24 * 3600 * 1000);
    assert_eq!(compacted(&mut db)?, 0);
    assert_eq!(keys(&db, 0)?.len(), 10);
    assert_eq!(keys(&db, turned_off)?.len(), 10);
    Ok(())
}

#[test]
fn table_ages_survive_reopening_and_tables_flushed_at_open_count_from_the_newest_known(
) -> Result<()> {
    let vfs = MemVfs::new();
    let mut db = Db::open(Box::new(vfs.clone()), options(true))?;
    db.set_time(T0);
    db.put(b"a", &stamped(T0, b"a"), NOSYNC)?;
    db.flush()?;
    db.set_time(T0 + 50_000);
    db.put(b"b", &stamped(T0 + 50_000, b"b"), NOSYNC)?;
    db.close()?;
    drop(db);

    // Open flushes "b" from the log before the host tells the time: that table takes the
    // newest creation time the MANIFEST knows (T0), not "unknown" (which counts as the epoch).
    let mut db = Db::open(Box::new(vfs.clone()), options(false))?;
    assert_eq!(db.stats().levels[0].0, 2);
    db.set_compaction_filter(0, Some(ttl_filter(db.clock())))?;
    db.set_periodic_compaction_seconds(0, Some(100))?;
    db.set_time(T0 + 99_999);
    assert_eq!(db.maintain()?, Maintenance::Idle);
    db.set_time(T0 + 100_000);
    assert_eq!(db.maintain()?, Maintenance::Compacted);
    assert_eq!(db.maintain()?, Maintenance::Idle);
    assert!(keys(&db, 0)?.is_empty());
    Ok(())
}
