/**
 * Native RocksDB's numbers for the same run: Debian's `db_bench` with the invocation of
 * scripts/bench-engine.sh (16-byte keys, 100-byte values, WAL on, no sync, no compression, one
 * thread), at each key count of the browser run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The Debian package version of `db_bench`, e.g. `7.8.3-2`, or undefined if it is not installed. */
export async function rocksDbVersion() {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Version}', 'rocksdb-tools']);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses db_bench's report lines (`fillrandom   :  4.331 micros/op 230883 ops/sec ...`) into
 * `{ [benchmark]: opsPerSecond }`. Progress output interleaves with `\r`, hence the separators.
 */
export function parseDbBench(output) {
  const result = {};
  for (const match of output.matchAll(/(?:^|[\r\n])(\w+)\s+:\s+[\d.]+ micros\/op (\d+) ops\/sec/g)) {
    result[match[1]] = Number(match[2]);
  }
  return result;
}

/**
 * Runs `db_bench --benchmarks=<benchmarks> --num=<num>` in a fresh directory and returns
 * `{ [benchmark]: opsPerSecond }`. Rejects if db_bench fails or reports a benchmark missing.
 */
export async function dbBench(num, benchmarks = ['fillrandom', 'readrandom']) {
  const dir = await mkdtemp(join(tmpdir(), 'edgestate-db-bench-'));
  try {
    const args = [
      `--benchmarks=${benchmarks.join(',')}`,
      `--num=${num}`,
      '--key_size=16',
      '--value_size=100',
      '--compression_type=none',
      `--db=${join(dir, 'rocksdb')}`,
      '--threads=1',
      '--histogram=false',
    ];
    const { stdout, stderr } = await run('db_bench', args, { maxBuffer: 64 << 20 });
    const parsed = parseDbBench(`${stdout}\n${stderr}`);
    for (const b of benchmarks) {
      if (!(b in parsed)) throw new Error(`db_bench reported no ${b} line:\n${stdout}\n${stderr}`);
    }
    return parsed;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
