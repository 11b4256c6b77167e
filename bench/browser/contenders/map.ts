/**
 * A plain `Map` in the worker: the ceiling of what keeping state on the JS heap costs, with no
 * durability and no order. Keys become 16-character strings (a Map compares `Uint8Array` keys by
 * identity); that conversion happens before the clock starts, as the other stores get their
 * keys ready-made too. Values are kept as given (views, no copy), as the heap backend does.
 */
import type { Workload } from '../workload.js';
import type { Contender, Store } from './contender.js';

function keyStrings(w: Workload): string[] {
  const out = new Array<string>(w.count);
  for (let i = 0; i < w.count; i++) out[i] = String.fromCharCode(...w.key(i));
  return out;
}

/** The `Map` contender. */
export function mapContender(): Contender {
  return {
    detail: 'Map<string, Uint8Array> in the worker',
    notes: ['Map: no durability, no order (no commit, no scan); keys converted to strings before timing'],
    perOpCapped: false,
    open(_name: string, workload: Workload): Promise<Store> {
      const map = new Map<string, Uint8Array>();
      const keys = keyStrings(workload);
      return Promise.resolve({
        putOne(w: Workload, count: number): void {
          for (let i = 0; i < count; i++) map.set(keys[i] as string, w.value(i));
        },
        get(w: Workload, order: Uint32Array): number {
          let found = 0;
          for (const i of order) if (map.get(keys[i] as string)?.length === w.value(i).length) found++;
          return found;
        },
        close(): Promise<void> {
          map.clear();
          return Promise.resolve();
        },
      });
    },
    dispose: () => Promise.resolve(),
  };
}
