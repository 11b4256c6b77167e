/**
 * The keyed-state benchmark's work behind one seam, {@link StateTarget}: the same loops over a
 * `KeyedStateBackend` (heap or LSM, through `createStateBackend`) and over raw `Map`s doing the
 * equivalent work by hand. Shared by the browser bench (state-subjects.ts) and its Node proxy
 * (bench/node/heap-vs-map.ts), so both time the same code. Imports nothing browser-only.
 *
 * Every method runs a whole slice `[from, to)` of a phase (the loop is inside, so the harness adds
 * nothing per call); methods are closures and never use `this`.
 *
 * Equivalent work, the raw `Map` baseline: ValueState is `Map<string, number>`; ListState is
 * `Map<string, number[]>` with `push` (its `get` returns the stored array, which later pushes
 * change — ListState's get returns a snapshot that never changes); MapState is
 * `Map<string, Map<number, number>>`. No serialization, key groups or validation: what a user
 * would write without a state backend.
 */
import { serde } from '../../../web/src/state/serde/index.js';
import type { KeyedStateBackend } from '../../../web/src/state/types.js';
import { initialValue, listElement, mapValue } from './state-workload.js';

/** One group of states (a fresh backend, or fresh Maps) that the phases of one workload use. */
export interface StateTarget {
  /** ValueState `put(keys[i], initialValue(i))` for `i` in `[from, to)`. */
  valuePut(keys: readonly string[], from: number, to: number): void;
  /** ValueState `get(keys[order[j]])`; returns how many were found. */
  valueGet(keys: readonly string[], order: Uint32Array, from: number, to: number): number;
  /** ValueState `get` then `put(value + 1)` of `keys[order[j]]`; returns how many were found. */
  valueUpdate(keys: readonly string[], order: Uint32Array, from: number, to: number): number;
  /** ListState `add` number `j`: element `listElement(i, round)` to key `i = j mod keys`, `round = ⌊j / keys⌋`. */
  listAdd(keys: readonly string[], from: number, to: number): void;
  /** ListState `get(keys[order[j]])`; returns the elements returned in all. */
  listGet(keys: readonly string[], order: Uint32Array, from: number, to: number): number;
  /** MapState `put` number `j`: entry `e = ⌊j / keys⌋` of key `i = j mod keys`, value `mapValue(i, e)`. */
  mapPut(keys: readonly string[], from: number, to: number): void;
  /** MapState `get(keys[keyOrder[j]], entryOrder[j])`; returns how many were found. */
  mapGet(keys: readonly string[], keyOrder: Uint32Array, entryOrder: Uint32Array, from: number, to: number): number;
  /** MapState `entries(keys[order[j]])` iterated to the end; returns the entries seen in all. */
  mapIterate(keys: readonly string[], order: Uint32Array, from: number, to: number): number;
  close(): Promise<void>;
}

/**
 * The subject's states on `backend`. `beforeClose` runs first in `close()` (untimed by the
 * phases; the LSM subject times its write-back there).
 */
export function backendTarget(backend: KeyedStateBackend, beforeClose?: () => void): StateTarget {
  const value = backend.valueState({ name: 'value', key: serde.string, value: serde.f64 });
  const list = backend.listState({ name: 'list', key: serde.string, value: serde.f64 });
  const map = backend.mapState({ name: 'map', key: serde.string, mapKey: serde.i32, value: serde.f64 });
  return {
    valuePut(keys, from, to) {
      for (let i = from; i < to; i++) value.put(keys[i] as string, initialValue(i));
    },
    valueGet(keys, order, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) if (value.get(keys[order[j] as number] as string) !== undefined) found++;
      return found;
    },
    valueUpdate(keys, order, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) {
        const key = keys[order[j] as number] as string;
        const v = value.get(key);
        if (v !== undefined) found++;
        value.put(key, (v ?? 0) + 1);
      }
      return found;
    },
    listAdd(keys, from, to) {
      const n = keys.length;
      for (let j = from; j < to; j++) {
        const i = j % n;
        list.add(keys[i] as string, listElement(i, Math.floor(j / n)));
      }
    },
    listGet(keys, order, from, to) {
      let elements = 0;
      for (let j = from; j < to; j++) elements += list.get(keys[order[j] as number] as string).length;
      return elements;
    },
    mapPut(keys, from, to) {
      const n = keys.length;
      for (let j = from; j < to; j++) {
        const i = j % n;
        const e = Math.floor(j / n);
        map.put(keys[i] as string, e, mapValue(i, e));
      }
    },
    mapGet(keys, keyOrder, entryOrder, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) if (map.get(keys[keyOrder[j] as number] as string, entryOrder[j] as number) !== undefined) found++;
      return found;
    },
    mapIterate(keys, order, from, to) {
      let entries = 0;
      for (let j = from; j < to; j++) for (const _entry of map.entries(keys[order[j] as number] as string)) entries++;
      return entries;
    },
    close: () => {
      beforeClose?.();
      return backend.close();
    },
  };
}

export function mapTarget(): StateTarget {
  const value = new Map<string, number>();
  const list = new Map<string, number[]>();
  const map = new Map<string, Map<number, number>>();
  return {
    valuePut(keys, from, to) {
      for (let i = from; i < to; i++) value.set(keys[i] as string, initialValue(i));
    },
    valueGet(keys, order, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) if (value.get(keys[order[j] as number] as string) !== undefined) found++;
      return found;
    },
    valueUpdate(keys, order, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) {
        const key = keys[order[j] as number] as string;
        const v = value.get(key);
        if (v !== undefined) found++;
        value.set(key, (v ?? 0) + 1);
      }
      return found;
    },
    listAdd(keys, from, to) {
      const n = keys.length;
      for (let j = from; j < to; j++) {
        const i = j % n;
        const key = keys[i] as string;
        let elements = list.get(key);
        if (elements === undefined) list.set(key, (elements = []));
        elements.push(listElement(i, Math.floor(j / n)));
      }
    },
    listGet(keys, order, from, to) {
      let elements = 0;
      for (let j = from; j < to; j++) elements += list.get(keys[order[j] as number] as string)?.length ?? 0;
      return elements;
    },
    mapPut(keys, from, to) {
      const n = keys.length;
      for (let j = from; j < to; j++) {
        const i = j % n;
        const e = Math.floor(j / n);
        const key = keys[i] as string;
        let entries = map.get(key);
        if (entries === undefined) map.set(key, (entries = new Map()));
        entries.set(e, mapValue(i, e));
      }
    },
    mapGet(keys, keyOrder, entryOrder, from, to) {
      let found = 0;
      for (let j = from; j < to; j++) if (map.get(keys[keyOrder[j] as number] as string)?.get(entryOrder[j] as number) !== undefined) found++;
      return found;
    },
    mapIterate(keys, order, from, to) {
      let entries = 0;
      for (let j = from; j < to; j++) {
        const m = map.get(keys[order[j] as number] as string);
        if (m !== undefined) for (const _entry of m.entries()) entries++;
      }
      return entries;
    },
    close: () => Promise.resolve(),
  };
}

