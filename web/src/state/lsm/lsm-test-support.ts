/** What the LSM backend's own tests share: loading the engine, and opening a backend directly. */
import { readFileSync } from 'node:fs';
import { beforeAll } from 'vitest';
import { loadEngine } from '../../engine/wasm-module.js';
import type { StorageAdapter } from '../../storage/host-vfs.js';
import { ManualClock } from '../clock.js';
import { fullKeyGroupRange } from '../key-groups.js';
import { resolveLsmOptions } from '../lsm-options.js';
import { LsmStateBackend } from './lsm-backend.js';

/** Loads the wasm engine before the calling file's tests. */
export function loadEngineBeforeAll(): void {
  beforeAll(async () => {
    await loadEngine(readFileSync(new URL('../../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
  });
}

/**
 * An LSM backend on `storage` owning every key group of 128, with `clock` (a manual clock at 0
 * by default), the default LSM options, and the default cache size unless `cacheEntries` is given.
 */
export function openLsmBackend(storage: StorageAdapter, cacheEntries?: number, clock: ManualClock = new ManualClock(0)): Promise<LsmStateBackend> {
  return LsmStateBackend.open({
    maxParallelism: 128,
    keyGroups: fullKeyGroupRange(128),
    clock,
    storage,
    lsm: resolveLsmOptions(undefined),
    ...(cacheEntries === undefined ? {} : { cacheEntries }),
  });
}
