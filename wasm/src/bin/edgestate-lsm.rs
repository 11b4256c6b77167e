//! `edgestate-lsm`: a command-line tool for edgestate databases, like RocksDB's `ldb`.
//!
//! ```text
//! edgestate-lsm --db=DIR [--hex] COMMAND
//!   put K V | get K | delete K | scan [--from=K] [--to=K] | load | dump-sst FILE | verify | stats
//! edgestate-lsm unpack EXPORT DIR
//! ```
//! `unpack` checks a checkpoint export (`.esckp`, docs/checkpoints.md) and writes its files into
//! DIR: a database `ldb --db=DIR` (and edgestate) opens.
//! `load` reads `key<TAB>value` lines from stdin; `scan` and `dump-sst` print them. With `--hex`,
//! keys and values are hex on input and output.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use edgestate_lsm::db::{Db, Options, WriteOptions};
use edgestate_lsm::iter::InternalIterator;
use edgestate_lsm::table::Table;
use edgestate_lsm::vfs::{OpenMode, StdFsVfs, Vfs};
use edgestate_lsm::{Error, Result};

const USAGE: &str = "usage: edgestate-lsm --db=DIR [--hex] put K V | get K | delete K | scan [--from=K] [--to=K] | load | dump-sst FILE | verify | stats\n       edgestate-lsm unpack EXPORT DIR";

struct Args {
    db: Option<String>,
    hex: bool,
    from: Option<String>,
    to: Option<String>,
    words: Vec<String>,
}

fn parse_args() -> std::result::Result<Args, String> {
    let mut args = Args {
        db: None,
        hex: false,
        from: None,
        to: None,
        words: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut flag = |name: &str| -> std::result::Result<Option<String>, String> {
            if let Some(v) = a.strip_prefix(&format!("--{name}=")) {
                return Ok(Some(v.to_owned()));
            }
            if a == format!("--{name}") {
                return it
                    .next()
                    .map(Some)
                    .ok_or_else(|| format!("--{name} needs a value"));
            }
            Ok(None)
        };
        if let Some(v) = flag("db")? {
            args.db = Some(v);
        } else if let Some(v) = flag("from")? {
            args.from = Some(v);
        } else if let Some(v) = flag("to")? {
            args.to = Some(v);
        } else if a == "--hex" {
            args.hex = true;
        } else if a.starts_with("--") {
            return Err(format!("unknown option {a}"));
        } else {
            args.words.push(a);
        }
    }
    Ok(args)
}

fn decode(text: &str, hex: bool) -> std::result::Result<Vec<u8>, String> {
    if !hex {
        return Ok(text.as_bytes().to_vec());
    }
    let digits = text.strip_prefix("0x").unwrap_or(text);
    if digits.len() % 2 != 0 {
        return Err(format!("odd number of hex digits in {text:?}"));
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| {
            digits
                .get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("bad hex {text:?}"))
        })
        .collect()
}

fn encode(bytes: &[u8], hex: bool) -> String {
    if hex {
        bytes.iter().map(|b| format!("{b:02X}")).collect::<String>()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn open(dir: &str) -> Result<Db> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        op: "mkdir",
        file: dir.to_owned(),
        kind: edgestate_lsm::IoErrorKind::Other,
        message: e.to_string(),
    })?;
    Db::open(Box::new(StdFsVfs::new(dir)?), Options::default())
}

fn run(args: Args) -> std::result::Result<(), String> {
    let words: Vec<&str> = args.words.iter().map(String::as_str).collect();
    let err = |e: Error| e.to_string();
    let hex = args.hex;
    let out = std::io::stdout();
    let mut out = std::io::BufWriter::new(out.lock());
    if let ["unpack", export, dir] = words.as_slice() {
        let mut input = std::io::BufReader::new(
            std::fs::File::open(export).map_err(|e| format!("{export}: {e}"))?,
        );
        let files = edgestate_lsm::export::unpack_to_dir(&mut input, std::path::Path::new(dir))
            .map_err(err)?;
        for f in files {
            writeln!(out, "{}\t{}", f.name, f.size).map_err(|e| e.to_string())?;
        }
        return Ok(());
    }
    if let ["dump-sst", file] = words.as_slice() {
        let path = std::path::Path::new(file);
        let dir = path
            .parent()
            .map_or(".".into(), |p| p.to_string_lossy().into_owned());
        let dir = if dir.is_empty() { ".".to_owned() } else { dir };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let vfs = StdFsVfs::new(&dir).map_err(err)?;
        let mut f = vfs.open(&name, OpenMode::Existing).map_err(err)?;
        let size = f.size().map_err(err)?;
        let table = Table::open(f, size, name, 0).map_err(err)?;
        let mut it = table.iter();
        it.seek_to_first().map_err(err)?;
        while it.valid() {
            let p = edgestate_lsm::dbformat::parse_internal_key(it.key())
                .ok_or("malformed internal key")?;
            writeln!(
                out,
                "{}\t{}\t@{} {:?}",
                encode(p.user_key, hex),
                encode(it.value(), hex),
                p.sequence,
                p.kind
            )
            .map_err(|e| e.to_string())?;
            it.next().map_err(err)?;
        }
        return Ok(());
    }
    let dir = args.db.ok_or("--db=DIR is required")?;
    let mut db = open(&dir).map_err(err)?;
    let w = WriteOptions { sync: true };
    match words.as_slice() {
        ["put", k, v] => db.put(&decode(k, hex)?, &decode(v, hex)?, w).map_err(err)?,
        ["get", k] => match db.get(&decode(k, hex)?).map_err(err)? {
            Some(v) => writeln!(out, "{}", encode(&v, hex)).map_err(|e| e.to_string())?,
            None => return Err("NotFound".into()),
        },
        ["delete", k] => db.delete(&decode(k, hex)?, w).map_err(err)?,
        ["scan"] => {
            let from = args.from.as_deref().map(|k| decode(k, hex)).transpose()?;
            let to = args.to.as_deref().map(|k| decode(k, hex)).transpose()?;
            let opts = edgestate_lsm::db::ReadOptions {
                lower_bound: from,
                upper_bound: to,
                ..Default::default()
            };
            let mut it = db.iter_cf(0, &opts).map_err(err)?;
            it.seek_to_first().map_err(err)?;
            while it.valid() {
                writeln!(
                    out,
                    "{}\t{}",
                    encode(it.key(), hex),
                    encode(it.value(), hex)
                )
                .map_err(|e| e.to_string())?;
                it.next().map_err(err)?;
            }
        }
        ["load"] => {
            let stdin = std::io::stdin();
            let mut n = 0u64;
            for line in stdin.lock().lines() {
                let line = line.map_err(|e| e.to_string())?;
                if line.is_empty() {
                    continue;
                }
                let (k, v) = line
                    .split_once('\t')
                    .ok_or_else(|| format!("line {} has no TAB: {line:?}", n + 1))?;
                db.put(&decode(k, hex)?, &decode(v, hex)?, WriteOptions::default())
                    .map_err(err)?;
                n += 1;
            }
            db.flush().map_err(err)?;
            writeln!(out, "loaded {n} entries").map_err(|e| e.to_string())?;
        }
        ["verify"] => {
            let n = db.verify().map_err(err)?;
            writeln!(out, "OK: {n} tables verified").map_err(|e| e.to_string())?;
        }
        ["stats"] => writeln!(out, "{:#?}", db.stats()).map_err(|e| e.to_string())?,
        _ => return Err(USAGE.into()),
    }
    db.close().map_err(err)?;
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(run) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("edgestate-lsm: {e}");
            ExitCode::FAILURE
        }
    }
}
