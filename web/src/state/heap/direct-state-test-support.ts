/**
 * Shared by the tests of the direct heap states (direct-*-state.test.ts): the engine (checkpoint
 * round trips go through it), a heap backend over 128 key groups, keys of a chosen group, and the
 * checkpoint round trips every direct state must pass.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { memoryStorage } from '../../storage/memory.js';
import { createStateBackend } from '../create.js';
import { keyGroupOf, type KeyGroupRange } from '../key-groups.js';
import type { RestoreSource } from '../lsm/lsm-checkpoints.js';
import { InvalidArgumentError } from '../../errors.js';
import type { KeyedStateBackend, State } from '../types.js';

/** The engine's wasm, for `loadEngine` and for backends that checkpoint or restore. */
export const wasm = readFileSync(new URL('../../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url));

/** A string key of key group `group` out of 128 (the `n`-th such key). */
export function keyIn(group: number, n = 0): string {
  for (let i = 0, found = 0; ; i++) {
    if (keyGroupOf(new TextEncoder().encode(`k${i}`), 128) === group && found++ === n) return `k${i}`;
  }
}

/** A heap backend with maxParallelism 128. */
export function heap(
  options: { keyGroups?: KeyGroupRange; memoryBudget?: number; onMemoryPressure?: () => void; restoreFrom?: RestoreSource } = {},
): Promise<KeyedStateBackend> {
  return createStateBackend({ kind: 'heap', maxParallelism: 128, wasm, ...options });
}

/**
 * Checkpoints `source` and restores it heap → heap and heap → LSM → heap: every restore must
 * `dump` as `source` does, and each heap restore must be charged `bytes` (restores charge
 * exactly). `inspect` sees the first heap restore (e.g. which class serves a state). Closes
 * what it opened, not `source`.
 */
export async function expectRoundTrips(
  source: KeyedStateBackend,
  dump: (b: KeyedStateBackend) => unknown,
  bytes: number,
  inspect?: (restored: KeyedStateBackend) => void,
): Promise<void> {
  const expected = dump(source);
  const blob = await source.exportCheckpoint((await source.checkpoint()).id);
  const restored = await heap({ restoreFrom: blob });
  expect(dump(restored)).toEqual(expected);
  expect(restored.metrics().estimatedBytes).toBe(bytes);
  inspect?.(restored);
  const lsm = await createStateBackend({ kind: 'lsm', storage: memoryStorage(), maxParallelism: 128, wasm, restoreFrom: blob });
  expect(dump(lsm)).toEqual(expected);
  const back = await heap({ restoreFrom: await lsm.exportCheckpoint((await lsm.checkpoint()).id) });
  expect(dump(back)).toEqual(expected);
  expect(back.metrics().estimatedBytes).toBe(bytes);
  await Promise.all([restored.close(), lsm.close(), back.close()]);
}

/**
 * Restores `source`'s checkpoint into two instances owning key groups 0–63 and 64–127: `keys`
 * lists a state's keys on each, which must together be `total`, and `same` compares one key
 * there with `source`; each instance must hold only keys of its groups. Closes both.
 */
export async function expectHalvesRestore(
  source: KeyedStateBackend,
  keys: (b: KeyedStateBackend) => Iterable<readonly [string, unknown]>,
  total: number,
  same: (b: KeyedStateBackend, key: string) => void,
): Promise<void> {
  const blob = await source.exportCheckpoint((await source.checkpoint()).id);
  const halves = [
    await heap({ keyGroups: { from: 0, to: 63 }, restoreFrom: blob }),
    await heap({ keyGroups: { from: 64, to: 127 }, restoreFrom: blob }),
  ];
  const owned = halves.map((b) => [...keys(b)].map(([k]) => k));
  expect(owned[0]!.length + owned[1]!.length).toBe(total);
  for (const [i, b] of halves.entries()) {
    for (const k of owned[i]!) {
      same(b, k);
      expect(keyGroupOf(new TextEncoder().encode(k), 128) <= 63).toBe(i === 0);
    }
  }
  await Promise.all(halves.map((b) => b.close()));
}

/**
 * A state's `keysAndNamespaces` on a backend owning every key group and on one owning 0–63 (the
 * direct states compute a key's group only when asked): `open` gives the state and a way to
 * write a key to it. Each group lists exactly its keys, a group outside the range or not an
 * integer is `InvalidArgumentError`, and all groups together list every key.
 */
export async function expectKeyGroupsOnDemand(
  open: (b: KeyedStateBackend) => { state: State<string, undefined>; write: (key: string) => void },
): Promise<void> {
  const keys = Array.from({ length: 300 }, (_, i) => `user-${i}`);
  const group = (k: string): number => keyGroupOf(new TextEncoder().encode(k), 128);
  for (const b of [await heap(), await heap({ keyGroups: { from: 0, to: 63 } })]) {
    const { state, write } = open(b);
    const owned = keys.filter((k) => group(k) <= b.keyGroupRange.to);
    for (const k of owned) write(k);
    for (let g = 0; g <= b.keyGroupRange.to; g++) {
      expect([...state.keysAndNamespaces(g)]).toEqual(owned.filter((k) => group(k) === g).map((k) => [k, undefined]));
    }
    expect(() => state.keysAndNamespaces(b.keyGroupRange.to + 1)).toThrow(InvalidArgumentError);
    expect(() => state.keysAndNamespaces(1.5)).toThrow(InvalidArgumentError);
    expect([...state.keysAndNamespaces()]).toHaveLength(owned.length);
    await b.close();
  }
}
