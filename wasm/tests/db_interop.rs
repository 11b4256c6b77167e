//! Whole-database interop with real RocksDB 7.8.3 (Debian's `rocksdb-tools`): a directory
//! edgestate writes opens in `ldb` with the same contents and every table passes `sst_dump`'s
//! verify; directories RocksDB writes (`ldb load`, `db_bench`, compressed or not) open in
//! edgestate with the same contents as `ldb scan` shows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use edgestate_lsm::db::{ColumnFamilyOptions, Db, Options, ReadOptions, WriteOptions};
use edgestate_lsm::table::Compression;
use edgestate_lsm::vfs::StdFsVfs;

type Model = BTreeMap<Vec<u8>, Vec<u8>>;
type TestResult = Result<(), Box<dyn std::error::Error>>;

fn temp_dir(name: &str) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!(
        "edgestate-db-interop-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn tool(program: &str, args: &[String]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new(program).args(args).output()?;
    if !out.status.success() {
        return Err(format!(
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let digits = text.trim().trim_start_matches("0x");
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            Ok(u8::from_str_radix(
                digits.get(i..i + 2).ok_or("odd hex")?,
                16,
            )?)
        })
        .collect()
}

/// `ldb scan --hex` of the default column family as a map.
fn ldb_scan(dir: &Path) -> Result<Model, Box<dyn std::error::Error>> {
    ldb_scan_cf(dir, "default")
}

fn edgestate_scan(db: &Db) -> Result<Model, Box<dyn std::error::Error>> {
    let mut it = db.iter_cf(0, &ReadOptions::default())?;
    it.seek_to_first()?;
    let mut model = Model::new();
    while it.valid() {
        model.insert(it.key().to_vec(), it.value().to_vec());
        it.next()?;
    }
    Ok(model)
}

fn ssts(dir: &Path) -> Result<Vec<PathBuf>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "sst") {
            out.push(path);
        }
    }
    Ok(out)
}

#[test]
fn database_written_by_edgestate_opens_in_ldb_with_the_same_contents() -> TestResult {
    for compression in [Compression::None, Compression::Snappy, Compression::Lz4] {
        let dir = temp_dir(&format!("ours-{compression:?}"))?;
        // Small buffers and levels, so that 120k keys make many flushes and several levels.
        let options = Options {
            write_buffer_size: 256 << 10,
            max_bytes_for_level_base: 1 << 20,
            target_file_size: 256 << 10,
            compression,
            ..Options::default()
        };
        let mut db = Db::open(Box::new(StdFsVfs::new(&dir)?), options)?;
        db.set_time(1_700_000_000_123);
        let mut model = Model::new();
        let mut x: u64 = 0x1234_5678;
        for i in 0..120_000u64 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let key = format!("key-{:08}", x % 150_000).into_bytes();
            if i % 10 == 9 {
                db.delete(&key, WriteOptions::default())?;
                model.remove(&key);
            } else {
                let value = format!("value-{i}-{}", "x".repeat((x % 50) as usize)).into_bytes();
                db.put(&key, &value, WriteOptions::default())?;
                model.insert(key, value);
            }
        }
        let stats = db.stats();
        let levels_used = stats.levels.iter().filter(|(files, _)| *files > 0).count();
        assert!(
            levels_used >= 2,
            "expected several levels, got {:?}",
            stats.levels
        );
        assert_eq!(edgestate_scan(&db)?, model);
        db.close()?;
        drop(db);

        for sst in ssts(&dir)? {
            let out = tool(
                "sst_dump",
                &[
                    format!("--file={}", sst.display()),
                    "--command=verify".into(),
                ],
            )?;
            assert!(
                out.contains("is ok"),
                "sst_dump verify of {}: {out}",
                sst.display()
            );
        }
        assert_eq!(ldb_scan(&dir)?, model, "ldb scan with {compression:?}");
        // Every table's creation times, in seconds, as RocksDB reads them from the MANIFEST.
        let manifest = tool(
            "ldb",
            &[
                "manifest_dump".into(),
                format!("--db={}", dir.display()),
                "--verbose".into(),
            ],
        )?;
        let added = manifest.matches("AddFile:").count();
        assert!(added > 0, "{manifest}");
        let stamped = "oldest_ancester_time:1700000000 file_creation_time:1700000000 ";
        assert_eq!(manifest.matches(stamped).count(), added, "{manifest}");
        let (k, v) = model.iter().nth(777).ok_or("model too small")?;
        let got = tool(
            "ldb",
            &[
                format!("--db={}", dir.display()),
                "--hex".into(),
                "get".into(),
                format!("0x{}", hex(k)),
            ],
        )?;
        assert_eq!(unhex(got.trim())?, *v);
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

#[test]
fn database_written_by_ldb_opens_in_edgestate_with_the_same_contents() -> TestResult {
    let dir = temp_dir("ldb")?;
    let mut input = String::new();
    let mut model = Model::new();
    for i in 0..100_000u32 {
        let key = format!("k{:06}", (i * 7919) % 100_000).into_bytes();
        let value = format!("v{i}").into_bytes();
        input.push_str(&format!("0x{} ==> 0x{}\n", hex(&key), hex(&value)));
        model.insert(key, value);
    }
    let input_path = dir.join("input.txt");
    std::fs::write(&input_path, input)?;
    let db_dir = dir.join("db");
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ldb --db={} --create_if_missing --hex --write_buffer_size=262144 load < {}",
            db_dir.display(),
            input_path.display()
        ))
        .status()?;
    assert!(status.success());
    tool(
        "ldb",
        &[
            format!("--db={}", db_dir.display()),
            "put".into(),
            "k000001".into(),
            "overwritten".into(),
        ],
    )?;
    tool(
        "ldb",
        &[
            format!("--db={}", db_dir.display()),
            "delete".into(),
            "k000002".into(),
        ],
    )?;
    model.insert(b"k000001".to_vec(), b"overwritten".to_vec());
    model.remove(b"k000002".as_slice());
    assert_eq!(ldb_scan(&db_dir)?, model);
    let db = Db::open(Box::new(StdFsVfs::new(&db_dir)?), Options::default())?;
    assert_eq!(edgestate_scan(&db)?, model);
    drop(db);
    // And back: RocksDB still reads the directory after edgestate rewrote its MANIFEST.
    assert_eq!(ldb_scan(&db_dir)?, model);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[test]
fn db_bench_databases_open_in_edgestate_for_every_compression() -> TestResult {
    for compression in ["none", "snappy", "lz4"] {
        let dir = temp_dir(&format!("db-bench-{compression}"))?;
        tool(
            "db_bench",
            &[
                "--benchmarks=fillrandom".into(),
                "--num=50000".into(),
                format!("--db={}", dir.display()),
                format!("--compression_type={compression}"),
                "--write_buffer_size=262144".into(),
                "--target_file_size_base=262144".into(),
                "--max_bytes_for_level_base=1048576".into(),
            ],
        )?;
        let expected = ldb_scan(&dir)?;
        assert!(expected.len() > 20_000);
        assert!(!ssts(&dir)?.is_empty());
        let db = Db::open(Box::new(StdFsVfs::new(&dir)?), Options::default())?;
        assert_eq!(
            edgestate_scan(&db)?,
            expected,
            "db_bench --compression_type={compression}"
        );
        for (k, v) in expected.iter().step_by(1013) {
            assert_eq!(db.get(k)?.as_ref(), Some(v));
        }
        drop(db);
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

#[test]
fn pinned_checkpoint_copied_to_a_directory_opens_in_ldb() -> TestResult {
    let dir = temp_dir("checkpoint-src")?;
    let out = temp_dir("checkpoint-out")?;
    let options = Options {
        write_buffer_size: 256 << 10,
        ..Options::default()
    };
    let mut db = Db::open(Box::new(StdFsVfs::new(&dir)?), options)?;
    let mut model = Model::new();
    for i in 0..20_000u32 {
        let key = format!("cp{i:06}").into_bytes();
        db.put(&key, format!("{i}").as_bytes(), WriteOptions::default())?;
        model.insert(key, format!("{i}").into_bytes());
    }
    let cp = db.pin_checkpoint()?;
    db.put(b"after-checkpoint", b"x", WriteOptions::default())?;
    for (name, _) in &cp.tables {
        std::fs::copy(dir.join(name), out.join(name))?;
    }
    std::fs::write(out.join(&cp.manifest_name), &cp.manifest)?;
    std::fs::write(out.join("CURRENT"), format!("{}\n", cp.manifest_name))?;
    db.release_checkpoint(cp.id);
    assert_eq!(ldb_scan(&out)?, model);
    std::fs::remove_dir_all(&dir)?;
    std::fs::remove_dir_all(&out)?;
    Ok(())
}

/// `ldb --column_family=<cf> scan --hex` as a map.
fn ldb_scan_cf(dir: &Path, cf: &str) -> Result<Model, Box<dyn std::error::Error>> {
    let out = tool(
        "ldb",
        &[
            format!("--db={}", dir.display()),
            format!("--column_family={cf}"),
            "--hex".into(),
            "scan".into(),
        ],
    )?;
    let mut model = Model::new();
    for line in out.lines() {
        let (k, v) = line
            .split_once(" : ")
            .ok_or_else(|| format!("unexpected ldb line {line:?}"))?;
        model.insert(unhex(k)?, unhex(v)?);
    }
    Ok(model)
}

#[test]
fn column_families_open_in_ldb_after_a_reopen_rewrote_the_manifest() -> TestResult {
    let dir = temp_dir("cfs")?;
    let options = Options {
        write_buffer_size: 256 << 10,
        ..Options::default()
    };
    let mut expected: Vec<Model> = vec![Model::new(), Model::new()];
    {
        let mut db = Db::open(Box::new(StdFsVfs::new(&dir)?), options.clone())?;
        let ids = [
            db.create_column_family("alpha", Default::default())?,
            db.create_column_family("beta", Default::default())?,
        ];
        for i in 0..5_000u32 {
            for (n, id) in ids.iter().enumerate() {
                let key = format!("{n}-{i:05}").into_bytes();
                db.put_cf(*id, &key, b"v", WriteOptions::default())?;
                expected[n].insert(key, b"v".to_vec());
            }
        }
        db.flush()?;
        db.close()?;
    }
    // Reopening writes a new MANIFEST from the in-memory state (snapshot edits).
    Db::open(Box::new(StdFsVfs::new(&dir)?), options)?.close()?;
    assert_eq!(ldb_scan_cf(&dir, "alpha")?, expected[0]);
    assert_eq!(ldb_scan_cf(&dir, "beta")?, expected[1]);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

/// The `'key' seq:N, type:T => value` lines of `sst_dump --command=scan --output_hex` or
/// `ldb idump --hex`.
fn internal_entries(dump: &str) -> Vec<&str> {
    dump.lines().filter(|l| l.contains(" => ")).collect()
}

#[test]
fn list_operands_kept_unmerged_past_the_value_limit_are_plain_merge_entries_to_rocksdb(
) -> TestResult {
    let dir = temp_dir("kept-operands")?;
    let limit = 100;
    let options = Options {
        max_value_size: limit,
        default_cf: ColumnFamilyOptions::list_append(limit),
        ..Options::default()
    };
    let mut db = Db::open(Box::new(StdFsVfs::new(&dir)?), options)?;
    db.put(b"big", b"base", WriteOptions::default())?;
    for i in 0..3u8 {
        db.merge_cf(0, b"big", &[b'a' + i; 40], WriteOptions::default())?;
    }
    db.put(b"other", b"v", WriteOptions::default())?;
    db.flush()?;
    db.compact_all()?;
    db.close()?;
    drop(db);
    // One table, holding the base and the three operands of "big" (kTypeMerge = 2), newest
    // first, as RocksDB writes operands its merge operator could not combine.
    let op = |c: u8| hex(&[c; 40]);
    let expected = [
        format!("'626967' seq:4, type:2 => {}", op(b'c')),
        format!("'626967' seq:3, type:2 => {}", op(b'b')),
        format!("'626967' seq:2, type:2 => {}", op(b'a')),
        "'626967' seq:1, type:1 => 62617365".to_owned(),
        "'6F74686572' seq:5, type:1 => 76".to_owned(),
    ];
    let tables = ssts(&dir)?;
    assert_eq!(tables.len(), 1);
    for sst in &tables {
        let file = format!("--file={}", sst.display());
        let verify = tool("sst_dump", &[file.clone(), "--command=verify".into()])?;
        assert!(verify.contains("is ok"), "sst_dump verify: {verify}");
        let scan = tool(
            "sst_dump",
            &[file, "--command=scan".into(), "--output_hex".into()],
        )?;
        assert_eq!(internal_entries(&scan), expected, "sst_dump scan: {scan}");
    }
    let idump = tool(
        "ldb",
        &[
            format!("--db={}", dir.display()),
            "idump".into(),
            "--hex".into(),
        ],
    )?;
    assert_eq!(internal_entries(&idump), expected, "ldb idump: {idump}");
    let got = tool(
        "ldb",
        &[
            format!("--db={}", dir.display()),
            "get".into(),
            "other".into(),
        ],
    )?;
    assert_eq!(got.trim(), "v");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
