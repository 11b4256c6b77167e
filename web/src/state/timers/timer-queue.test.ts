import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '../key-layout.js';
import { TimerQueue } from './timer-queue.js';

describe('TimerQueue', () => {
  it('pops in (timestamp, sort key) order after random adds and deletes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.uint8Array({ maxLength: 2 }), fc.boolean()), { maxLength: 80 }),
        (ops) => {
          const q = new TimerQueue<null>();
          const model = new Map<string, [number, Uint8Array]>();
          for (const [ts, key, del] of ops) {
            const id = `${ts}/${[...key].join(',')}`;
            if (del) {
              q.delete(id);
              model.delete(id);
            } else {
              expect(q.add({ id, timestamp: ts, sortKey: key, payload: null, index: -1 })).toBe(!model.has(id));
              model.set(id, [ts, key]);
            }
          }
          const expected = [...model.values()].sort((a, b) => a[0] - b[0] || compareBytes(a[1], b[1]));
          const popped: [number, Uint8Array][] = [];
          for (let t = q.pop(); t !== undefined; t = q.pop()) popped.push([t.timestamp, t.sortKey]);
          expect(popped).toEqual(expected);
        },
      ),
    );
  });
});
