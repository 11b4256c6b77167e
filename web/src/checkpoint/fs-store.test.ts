import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngine } from '../engine/wasm-module.js';
import { InvalidArgumentError } from '../errors.js';
import { ManualClock } from '../state/clock.js';
import { fullKeyGroupRange } from '../state/key-groups.js';
import { resolveLsmOptions } from '../state/lsm-options.js';
import { LsmStateBackend } from '../state/lsm/lsm-backend.js';
import { serde } from '../state/serde/index.js';
import { memoryStorage } from '../storage/memory.js';
import { nodeFsCheckpointStore } from './fs-store.js';
import { applicableChecks, runCheckpointStoreCheck } from './store-conformance.js';

let root: string;
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'edgestate-fs-store-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh directory per check, removed after it. */
async function subject() {
  const dir = join(root, `store-${n++}`, 'nested');
  return {
    store: nodeFsCheckpointStore(dir),
    reopen: () => nodeFsCheckpointStore(dir),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

describe('the Node fs checkpoint store passes the checkpoint store conformance checks', () => {
  for (const check of applicableChecks(true)) {
    it(check.name, () => runCheckpointStoreCheck(check, subject));
  }
});

describe('the Node fs checkpoint store', () => {
  it('keeps a file per key and a JSON file per record, and leaves no temporary files behind', async () => {
    const dir = join(root, 'layout');
    const store = nodeFsCheckpointStore(dir);
    await store.putFile('db/000001.sst', new Uint8Array([1, 2, 3]));
    await store.putRecord({ id: 'ckpt-1', createdAt: 1, backend: 'lsm', incremental: false, totalBytes: 3, deltaBytes: 3, durationMs: 0, lastSequence: 1, files: [] });
    expect(await readdir(join(dir, 'files'))).toEqual(['db%2F000001.sst']);
    expect(await readdir(join(dir, 'records'))).toEqual(['ckpt-1.json']);
  });

  it('does not list a file or record whose write was cut before its rename', async () => {
    const dir = join(root, 'torn');
    const store = nodeFsCheckpointStore(dir);
    await store.putFile('db/000001.sst', new Uint8Array([1]));
    await writeFile(join(dir, 'files', 'db%2F000002.sst#tmp-1234'), new Uint8Array([9, 9]));
    await writeFile(join(dir, 'records', 'ckpt-2.json#tmp-1234'), '{"id":"ckpt-2"');
    expect(await store.listFiles()).toEqual([{ key: 'db/000001.sst', size: 1 }]);
    expect(await store.listRecords()).toEqual([]);
  });

  it('rejects an empty directory name with InvalidArgumentError', () => {
    expect(() => nodeFsCheckpointStore('')).toThrow(InvalidArgumentError);
  });
});

describe('an LSM state backend checkpointing into the Node fs store', () => {
  it('restores exactly the checkpointed state from a store opened again over the directory', async () => {
    await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
    const dir = join(root, 'lsm');
    const settings = (store: ReturnType<typeof nodeFsCheckpointStore>) => ({
      maxParallelism: 128,
      keyGroups: fullKeyGroupRange(128),
      clock: new ManualClock(1000),
      lsm: resolveLsmOptions(undefined),
      checkpoints: { store, retain: 2 },
    });
    const COUNT = { name: 'count', key: serde.string, value: serde.i32 } as const;
    const backend = await LsmStateBackend.open({ ...settings(nodeFsCheckpointStore(dir)), storage: memoryStorage() });
    for (let i = 0; i < 500; i++) backend.valueState(COUNT).put(`k${i}`, i);
    await backend.checkpoint();
    backend.valueState(COUNT).put('k1', -1);
    const second = await backend.checkpoint({ metadata: { offset: 9 } });
    backend.valueState(COUNT).put('k2', -2);
    await backend.close();

    const store = nodeFsCheckpointStore(dir);
    expect((await store.listRecords()).map((r) => r.id)).toEqual([expect.any(String), second.id]);
    const restored = await LsmStateBackend.open({ ...settings(store), storage: memoryStorage(), restoreFrom: { store, id: second.id } });
    const count = restored.valueState(COUNT);
    expect([count.get('k0'), count.get('k1'), count.get('k2'), count.get('k499')]).toEqual([0, -1, 2, 499]);
    expect(restored.restoredMetadata).toEqual({ offset: 9 });
    await restored.close();
  }, 30_000);
});
