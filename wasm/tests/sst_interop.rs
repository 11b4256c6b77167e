//! Interoperability with RocksDB 7.8.3's own tools (Debian's rocksdb-tools: `sst_dump`, `ldb`,
//! `db_bench`): tables edgestate writes pass `sst_dump` verification and scan back identically;
//! tables RocksDB writes (default XXH3 checksums, user-key delta-encoded indexes, FastLocalBloom
//! filters, snappy/lz4/zlib blocks) open, verify and read back what was put.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use edgestate_lsm::dbformat::{append_internal_key, parse_internal_key, ValueType};
use edgestate_lsm::iter::InternalIterator;
use edgestate_lsm::table::{Compression, Table, TableBuilder, TableOptions};
use edgestate_lsm::vfs::VfsFile;
use edgestate_lsm::{Error, IoErrorKind, Result};

/// A test-only `VfsFile` over `std::fs::File`.
struct StdFile(fs::File);

fn io_err(op: &'static str, e: std::io::Error) -> Error {
    Error::Io {
        op,
        file: String::new(),
        kind: IoErrorKind::Other,
        message: e.to_string(),
    }
}

impl VfsFile for StdFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.0.read_at(buf, offset).map_err(|e| io_err("read", e))
    }
    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.0
            .write_all_at(data, offset)
            .map_err(|e| io_err("write", e))
    }
    fn size(&mut self) -> Result<u64> {
        Ok(self.0.metadata().map_err(|e| io_err("size", e))?.len())
    }
    fn truncate(&mut self, len: u64) -> Result<()> {
        self.0.set_len(len).map_err(|e| io_err("truncate", e))
    }
    fn sync(&mut self) -> Result<()> {
        self.0.sync_all().map_err(|e| io_err("sync", e))
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("edgestate-sst-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .expect("run RocksDB tool (is rocksdb-tools installed?)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn ikey(k: &[u8], seq: u64, t: ValueType) -> Vec<u8> {
    let mut v = Vec::new();
    append_internal_key(&mut v, k, seq, t);
    v
}

fn open_table(path: &Path) -> Result<Table> {
    let f = fs::File::open(path).expect("open sst");
    let size = f.metadata().expect("stat").len();
    Table::open(Box::new(StdFile(f)), size, path.display().to_string(), 0)
}

fn scan_table(t: &Table) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut it = t.iter();
    let mut out = Vec::new();
    it.seek_to_first()?;
    while it.valid() {
        out.push((it.key().to_vec(), it.value().to_vec()));
        it.next()?;
    }
    Ok(out)
}

/// Parses `sst_dump --command=scan --output_hex` lines: `'KEY' seq:N, type:T => VALUE`.
fn parse_sst_dump_scan(out: &str) -> Vec<(Vec<u8>, u64, u8, Vec<u8>)> {
    out.lines()
        .filter(|l| l.starts_with('\''))
        .map(|l| {
            let (key, rest) = l[1..].split_once("' seq:").expect("key");
            let (seq, rest) = rest.split_once(", type:").expect("seq");
            let (kind, value) = rest.split_once(" => ").expect("type");
            (
                unhex(key),
                seq.parse().expect("seq number"),
                kind.parse().expect("type number"),
                unhex(value.trim()),
            )
        })
        .collect()
}

#[test]
fn tables_we_write_pass_sst_dump_verify_and_scan_identically() -> Result<()> {
    let dir = TempDir::new("ours");
    let n = 100_000usize;
    let mut data = Vec::with_capacity(n);
    for i in 0..n {
        let k = format!("user{:07}", i * 3).into_bytes();
        if i % 9 == 0 {
            data.push((ikey(&k, i as u64 + 1, ValueType::Deletion), Vec::new()));
        } else {
            let v = format!("v{i}:{}", "abcdefgh".repeat(i % 13)).into_bytes();
            data.push((ikey(&k, i as u64 + 1, ValueType::Value), v));
        }
    }
    for (i, compression) in [Compression::None, Compression::Snappy, Compression::Lz4]
        .into_iter()
        .enumerate()
    {
        let path = dir.0.join(format!("{:06}.sst", i + 1));
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .expect("create sst");
        let opts = TableOptions {
            compression,
            creation_time: 1_700_000_000,
            file_creation_time: 1_700_000_060,
            ..TableOptions::default()
        };
        let mut b = TableBuilder::new(Box::new(StdFile(f)), path.display().to_string(), opts);
        for (k, v) in &data {
            b.add(k, v)?;
        }
        let summary = b.finish()?;
        assert_eq!(summary.num_entries, n as u64);

        let file_arg = format!("--file={}", path.display());
        let verify = run(Command::new("sst_dump").args([&file_arg, "--command=verify"]));
        assert!(verify.contains("The file is ok"), "{verify}");
        let scan =
            run(Command::new("sst_dump").args([&file_arg, "--command=scan", "--output_hex"]));
        let rows = parse_sst_dump_scan(&scan);
        assert_eq!(
            rows.len(),
            n,
            "{compression:?}: sst_dump saw {} entries",
            rows.len()
        );
        for ((k, v), (uk, seq, kind, value)) in data.iter().zip(&rows) {
            let p = parse_internal_key(k).expect("our key");
            assert_eq!(
                (p.user_key, p.sequence, p.kind as u8, &v[..]),
                (&uk[..], *seq, *kind, &value[..])
            );
        }
        let props =
            run(Command::new("sst_dump").args([&file_arg, "--show_properties", "--command=none"]));
        assert!(props.contains(&format!("# entries: {n}")), "{props}");
        // The times periodic compaction relies on, as RocksDB reads them.
        assert!(props.contains("  creation time: 1700000000\n"), "{props}");
        assert!(
            props.contains("file creation time: 1700000060\n"),
            "{props}"
        );
        // Our reader agrees with itself on the file sst_dump accepted.
        let t = open_table(&path)?;
        t.verify()?;
        assert_eq!(scan_table(&t)?, data);
    }
    Ok(())
}

#[test]
fn range_tombstones_we_write_pass_sst_dump_verify() -> Result<()> {
    let dir = TempDir::new("rdel");
    let path = dir.0.join("000001.sst");
    let f = fs::File::create(&path).expect("create");
    let mut b = TableBuilder::new(
        Box::new(StdFile(f)),
        "000001.sst".into(),
        TableOptions::default(),
    );
    for i in 0..1000u64 {
        b.add(
            &ikey(format!("k{i:05}").as_bytes(), 10 + i, ValueType::Value),
            b"v",
        )?;
    }
    b.add_range_deletion(b"k00100", 5000, b"k00200")?;
    b.add_range_deletion(b"k00500", 5001, b"k00600")?;
    b.finish()?;
    let file_arg = format!("--file={}", path.display());
    let verify = run(Command::new("sst_dump").args([&file_arg, "--command=verify"]));
    assert!(verify.contains("The file is ok"), "{verify}");
    let props =
        run(Command::new("sst_dump").args([&file_arg, "--show_properties", "--command=none"]));
    assert!(props.contains("# range deletions: 2"), "{props}");
    let t = open_table(&path)?;
    assert_eq!(t.range_deletions().len(), 2);
    Ok(())
}

/// Every `.sst` in `dir`.
fn ssts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sst"))
        .collect();
    v.sort();
    v
}

#[test]
fn tables_ldb_writes_open_verify_and_hold_what_was_put() -> Result<()> {
    let dir = TempDir::new("ldb");
    let db = dir.0.join("db");
    // Keys of many lengths exercise every XXPH3 path of the filter (<=16, 17-128, 129-240, long).
    let mut expect = BTreeMap::new();
    for i in 0..3000usize {
        let len = [4, 12, 16, 20, 70, 130, 200, 300, 1000][i % 9];
        let mut k = format!("k{i:06}").into_bytes();
        k.resize(len.max(k.len()), b'a' + (i % 26) as u8);
        let v = format!("value{i}").repeat(1 + i % 5).into_bytes();
        expect.insert(k, v);
    }
    let mut input = String::new();
    for (k, v) in &expect {
        input.push_str(&format!("0x{} ==> 0x{}\n", hex(k), hex(v)));
    }
    for compression in ["snappy", "lz4", "zlib", "no"] {
        let _ = fs::remove_dir_all(&db);
        let db_arg = format!("--db={}", db.display());
        let comp_arg = format!("--compression_type={compression}");
        let mut child = Command::new("ldb")
            .args([
                &db_arg,
                "--create_if_missing",
                "--hex",
                "--bloom_bits=10",
                &comp_arg,
                "load",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn ldb");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("feed ldb");
        assert!(child.wait().expect("ldb").success());
        run(Command::new("ldb").args([&db_arg, "--bloom_bits=10", &comp_arg, "compact"]));

        let files = ssts(&db);
        assert!(!files.is_empty(), "ldb wrote no sst");
        let mut got = BTreeMap::new();
        for path in &files {
            let t = open_table(path)?;
            t.verify()?;
            let rows = scan_table(&t)?;
            assert_eq!(t.properties().num_entries, rows.len() as u64);
            assert!(!t.properties().compression_name.is_empty());
            for (k, v) in rows {
                let p = parse_internal_key(&k).expect("rocksdb key");
                assert_eq!(p.kind, ValueType::Value);
                assert!(t.may_contain(p.user_key), "filter false negative");
                let mut lookup = Vec::new();
                edgestate_lsm::dbformat::append_lookup_key(&mut lookup, p.user_key, 1 << 50);
                assert_eq!(t.get(&lookup)?, Some((k.clone(), v.clone())));
                got.insert(p.user_key.to_vec(), v);
            }
        }
        assert_eq!(got, expect, "{compression}: contents differ");
    }
    Ok(())
}

#[test]
fn tables_db_bench_writes_open_and_verify() -> Result<()> {
    let mut total_files = 0;
    for compression in ["none", "snappy", "lz4", "zlib"] {
        let dir = TempDir::new("dbbench");
        let db = dir.0.join("db");
        run(Command::new("db_bench").args([
            "--benchmarks=fillrandom",
            "--num=20000",
            &format!("--db={}", db.display()),
            &format!("--compression_type={compression}"),
            "--disable_wal=1",
            "--bloom_bits=10",
            "--write_buffer_size=1000000",
        ]));
        let files = ssts(&db);
        assert!(!files.is_empty(), "db_bench wrote no sst");
        for path in &files {
            let t = open_table(path)?;
            t.verify()?;
            let rows = scan_table(&t)?;
            assert_eq!(
                t.properties().num_entries,
                rows.len() as u64 + t.range_deletions().len() as u64,
                "{}",
                path.display()
            );
            assert!(rows.windows(2).all(|w| {
                edgestate_lsm::dbformat::compare_internal_keys(&w[0].0, &w[1].0).is_lt()
            }));
            for (k, _) in rows.iter().step_by(11) {
                let p = parse_internal_key(k).expect("rocksdb key");
                assert!(t.may_contain(p.user_key), "filter false negative");
            }
            // Backward iteration sees the same entries.
            let mut it = t.iter();
            it.seek_to_last()?;
            let mut back = 0;
            while it.valid() {
                back += 1;
                it.prev()?;
            }
            assert_eq!(back, rows.len());
        }
        total_files += files.len();
    }
    assert!(total_files >= 4);
    Ok(())
}
