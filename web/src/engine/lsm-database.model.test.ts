import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { memoryStorage } from '../storage/memory.js';
import { openLsm, type LsmDatabase } from './lsm-database.js';
import { loadEngine } from './wasm-module.js';

const text = new TextDecoder();

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

type Op =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'delete'; key: string }
  | { kind: 'putMany'; entries: Array<[string, string]> }
  | { kind: 'reopen' };

const key = fc.string({ maxLength: 3 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key, value: fc.string({ maxLength: 40 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('putMany' as const), entries: fc.array(fc.tuple(key, fc.string({ maxLength: 10 })), { maxLength: 20 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

function dump(db: LsmDatabase): Array<[string, string]> {
  return db.scan().map(([k, v]) => [text.decode(k), text.decode(v)]);
}

it('the wasm engine agrees with a Map model over random operations and reopens', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
      const storage = memoryStorage();
      let db = await openLsm({ storage });
      const model = new Map<string, string>();
      for (const o of ops) {
        if (o.kind === 'put') {
          db.put(o.key, o.value);
          model.set(o.key, o.value);
        } else if (o.kind === 'delete') {
          db.delete(o.key);
          model.delete(o.key);
        } else if (o.kind === 'putMany') {
          db.putMany(o.entries);
          for (const [k, v] of o.entries) model.set(k, v);
        } else {
          db = await openLsm({ storage });
        }
        for (const k of ['', 'a', 'b']) expect(db.getString(k)).toBe(model.get(k));
      }
      // Bytewise (UTF-8) order, which is the engine's order.
      const expected = [...model.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(dump(db)).toEqual(expected);
      expect(db.count()).toBe(model.size);
      await db.close();
    }),
    { numRuns: 60 },
  );
});
