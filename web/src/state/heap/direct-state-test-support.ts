/**
 * Shared by the tests of the direct heap states (direct-*-state.test.ts): the engine (checkpoint
 * round trips go through it), a heap backend over 128 key groups, and keys of a chosen group.
 */
import { readFileSync } from 'node:fs';
import { createStateBackend } from '../create.js';
import { keyGroupOf, type KeyGroupRange } from '../key-groups.js';
import type { RestoreSource } from '../lsm/lsm-checkpoints.js';
import type { KeyedStateBackend } from '../types.js';

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
