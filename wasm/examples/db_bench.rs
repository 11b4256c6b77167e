//! The engine's counterpart of RocksDB's `db_bench` for the same workloads, so that
//! `scripts/bench-engine.sh` can print ratios from one run on one machine.
//!
//! `cargo run --release --example db_bench -- --db=DIR --num=1000000 --benchmarks=fillrandom,readrandom,seekrandom,overwrite`
//!
//! Keys are 16 bytes (an 8-byte big-endian random number padded with '0', as db_bench makes
//! them), values 100 bytes, half of them random (db_bench's default compression ratio 0.5). The
//! write-ahead log is on and writes are not synced (db_bench's defaults). Prints one line per
//! benchmark: `name : X micros/op Y ops/sec`.

use std::time::Instant;

use edgestate_lsm::db::{Db, Options, ReadOptions, WriteOptions};
use edgestate_lsm::vfs::StdFsVfs;

/// xorshift64*: deterministic and cheap, so the generator costs little of each operation.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn key(n: u64, out: &mut [u8; 16]) {
    out[..8].copy_from_slice(&n.to_be_bytes());
    out[8..].fill(b'0');
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut dir = String::from("/tmp/edgestate-bench");
    let mut num: u64 = 1_000_000;
    let mut benchmarks = String::from("fillrandom,readrandom,seekrandom,overwrite");
    for arg in std::env::args().skip(1) {
        if let Some(v) = arg.strip_prefix("--db=") {
            dir = v.to_owned();
        } else if let Some(v) = arg.strip_prefix("--num=") {
            num = v.parse()?;
        } else if let Some(v) = arg.strip_prefix("--benchmarks=") {
            benchmarks = v.to_owned();
        } else {
            return Err(format!("unknown argument {arg}").into());
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let options = Options {
        write_buffer_size: 64 << 20,
        ..Options::default()
    };
    let mut db = Db::open(Box::new(StdFsVfs::new(&dir)?), options)?;

    // Values: 50 random bytes then 50 copies, like db_bench's compressible generator.
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut value = [0u8; 100];
    for b in value.iter_mut().take(50) {
        *b = (rng.next() % 95 + 32) as u8;
    }
    let (head, tail) = value.split_at_mut(50);
    tail.copy_from_slice(head);

    let mut k = [0u8; 16];
    let w = WriteOptions::default();
    let r = ReadOptions::default();
    let mut out = Vec::with_capacity(128);
    for bench in benchmarks.split(',') {
        let start = Instant::now();
        let mut found = 0u64;
        match bench {
            "fillrandom" | "overwrite" => {
                for _ in 0..num {
                    key(rng.next() % num, &mut k);
                    db.put(&k, &value, w)?;
                }
            }
            "readrandom" => {
                for _ in 0..num {
                    key(rng.next() % num, &mut k);
                    if db.get_into(0, &k, &r, &mut out)? {
                        found += 1;
                    }
                }
            }
            "seekrandom" => {
                let mut it = db.iter_cf(0, &r)?;
                for _ in 0..num {
                    key(rng.next() % num, &mut k);
                    it.seek(&k)?;
                    if it.valid() {
                        found += 1;
                    }
                }
            }
            other => return Err(format!("unknown benchmark {other}").into()),
        }
        let secs = start.elapsed().as_secs_f64();
        let ops = num as f64 / secs;
        let extra = if found > 0 {
            format!(" ({found} of {num} found)")
        } else {
            String::new()
        };
        println!(
            "{bench:<12} : {:>10.3} micros/op {:>10.0} ops/sec{extra}",
            1e6 / ops,
            ops
        );
    }
    db.close()?;
    Ok(())
}
