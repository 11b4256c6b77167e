/**
 * An exported LSM checkpoint, unpacked into a directory, is a database real RocksDB opens:
 * Debian's `ldb` lists its column families (one per state) and scans the same keys.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, fsyncSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readExport } from '../../checkpoint/export-format.js';
import { loadEngine } from '../../engine/wasm-module.js';
import { memoryStorage } from '../../storage/memory.js';
import { ManualClock } from '../clock.js';
import { fullKeyGroupRange } from '../key-groups.js';
import { stateKey } from '../key-layout.js';
import { keyGroupOf } from '../key-groups.js';
import { resolveLsmOptions } from '../lsm-options.js';
import { serde } from '../serde/index.js';
import { LsmStateBackend } from './lsm-backend.js';

const dirs: string[] = [];

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

afterAll(() => {
  // EDGESTATE_KEEP_TMP=1 keeps the unpacked directory for a look with ldb by hand.
  if (process.env.EDGESTATE_KEEP_TMP) return;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Writes an export's files into `dir` (what `docs/checkpoints.md` calls unpacking). */
async function unpack(blob: Blob, dir: string): Promise<void> {
  let fd = -1;
  await readExport(blob, {
    begin(file) {
      fd = openSync(join(dir, file.name), 'w');
    },
    write(chunk) {
      writeSync(fd, chunk);
    },
    end() {
      fsyncSync(fd);
      closeSync(fd);
    },
  });
}

/** The native CLI, built if needed (`npm test` builds it with the Rust tests). */
function cli(): string {
  const root = new URL('../../../../wasm/', import.meta.url).pathname;
  execFileSync('cargo', ['build', '--quiet', '--bin', 'edgestate-lsm'], { cwd: root, stdio: 'inherit' });
  return join(root, 'target/debug/edgestate-lsm');
}

function ldb(...args: string[]): string {
  return execFileSync('ldb', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex').toUpperCase()}`;

it('an exported LSM checkpoint opens in ldb with one column family per state and the same keys', { timeout: 120_000 }, async () => {
  const backend = await LsmStateBackend.open({
    maxParallelism: 128,
    keyGroups: fullKeyGroupRange(128),
    clock: new ManualClock(0),
    storage: memoryStorage(),
    lsm: resolveLsmOptions({ writeBufferSize: 64 << 10 }),
  });
  const counts = backend.valueState({ name: 'counts', key: serde.string, value: serde.i32 });
  const expected = new Map<string, string>();
  for (let i = 0; i < 3000; i++) {
    const key = `user-${i}`;
    counts.put(key, i);
    const bytes = serde.string.serialize(key);
    expected.set(hex(stateKey(keyGroupOf(bytes, 128), bytes, undefined)), hex(serde.i32.serialize(i)));
  }
  for (let i = 0; i < 3000; i += 7) {
    counts.delete(`user-${i}`);
    const bytes = serde.string.serialize(`user-${i}`);
    expected.delete(hex(stateKey(keyGroupOf(bytes, 128), bytes, undefined)));
  }
  backend.mapState({ name: 'prefs', key: serde.string, mapKey: serde.string, value: serde.string }).put('u', 'theme', 'dark');
  const cp = await backend.checkpoint();
  const blob = await backend.exportCheckpoint(cp.id);
  await backend.close();

  const dir = mkdtempSync(join(tmpdir(), 'edgestate-ldb-'));
  dirs.push(dir);
  await unpack(blob, dir);
  // The Rust CLI (a second reader of the format) unpacks the same files.
  const cliDir = mkdtempSync(join(tmpdir(), 'edgestate-cli-'));
  dirs.push(cliDir);
  const exportFile = join(cliDir, 'checkpoint.esckp');
  const bytes = new Uint8Array(await blob.arrayBuffer());
  writeFileSync(exportFile, bytes);
  execFileSync(cli(), ['unpack', exportFile, join(cliDir, 'db')]);
  expect(readdirSync(join(cliDir, 'db')).sort()).toEqual(readdirSync(dir).sort());
  for (const name of readdirSync(dir)) expect(readFileSync(join(cliDir, 'db', name)).equals(readFileSync(join(dir, name)))).toBe(true);
  // A damaged export is refused and leaves no database files behind.
  const damaged = bytes.slice();
  damaged[damaged.length - 100]! ^= 0x10;
  writeFileSync(exportFile, damaged);
  expect(() => execFileSync(cli(), ['unpack', exportFile, join(cliDir, 'bad')], { stdio: 'pipe' })).toThrow(/checksum mismatch/);
  expect(readdirSync(join(cliDir, 'bad'))).toEqual([]);

  const families = ldb(`--db=${dir}`, 'list_column_families');
  for (const name of ['default', 'counts', 'prefs']) expect(families).toContain(name);
  const scanned = new Map<string, string>();
  for (const line of ldb(`--db=${dir}`, '--column_family=counts', '--hex', 'scan').trim().split('\n')) {
    const [k, v] = line.split(' : ');
    scanned.set(k!, v!);
  }
  expect(scanned).toEqual(expected);
  expect(ldb(`--db=${dir}`, '--column_family=prefs', 'scan')).toContain('dark');
});
