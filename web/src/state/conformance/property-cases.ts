/**
 * Property cases: random operation sequences (fast-check) run against a backend and the
 * reference model (model.ts) side by side; every read must agree. TTL runs with a hand-moved
 * clock, with no TTL, `onCreateAndWrite` and `onReadAndWrite`.
 */
import fc from 'fast-check';
import { ManualClock } from '../clock.js';
import { serde } from '../serde/index.js';
import type { KeyedStateBackend, TtlConfig } from '../types.js';
import { assertEqual, sorted } from './assert.js';
import { withBackend, type ConformanceCase } from './case.js';
import { ListModel, MapModel, ValueModel, type ModelTtl } from './model.js';

const key = fc.constantFrom('a', 'b', 'c', 'd');
const ns = fc.constantFrom(undefined, 1, 2);
const int = fc.integer({ min: -1000, max: 1000 });
// Steps that often land exactly on the TTL (100 ms) boundary, where off-by-one bugs live.
const tick = fc.record({ t: fc.constant('tick' as const), ms: fc.constantFrom(0, 1, 25, 50, 99, 100) });
const keysOp = fc.record({ t: fc.constant('keys' as const), ns });
const ttlChoice = fc.constantFrom<ModelTtl | undefined>(
  undefined,
  { ttl: 100, update: 'onCreateAndWrite' },
  { ttl: 100, update: 'onReadAndWrite' },
);

let counter = 0;
const uniqueName = (kind: string): string => `${kind}-${++counter}`;
const ttlOf = (t: ModelTtl | undefined): { ttl?: TtlConfig } => (t === undefined ? {} : { ttl: { ttl: t.ttl, update: t.update } });

function checkPairs(actual: Iterable<readonly [string, number | undefined]>, expected: [string, number | undefined][]): void {
  const order = (p: readonly [string, number | undefined]): string => `${p[1] === undefined ? 'v' : `n${p[1]}`}|${p[0]}`;
  assertEqual([...actual].map(order).sort(), expected.map(order).sort(), 'keysAndNamespaces');
}

const valueOps = fc.array(
  fc.oneof(
    fc.record({ t: fc.constant('put' as const), k: key, ns, v: int }),
    fc.record({ t: fc.constant('get' as const), k: key, ns }),
    fc.record({ t: fc.constant('clear' as const), k: key, ns }),
    tick,
    keysOp,
  ),
  { maxLength: 60 },
);

function valueProperty(backend: KeyedStateBackend, clock: ManualClock, reducing: boolean) {
  return fc.property(ttlChoice, valueOps, (ttl, ops) => {
    const name = uniqueName(reducing ? 'reducing' : 'value');
    const model = new ValueModel(clock, ttl, (a, b) => a + b);
    const state = reducing
      ? backend.reducingState({ name, key: serde.string, value: serde.f64, namespace: serde.i32, reduce: (a, b) => a + b, ...ttlOf(ttl) })
      : backend.valueState({ name, key: serde.string, value: serde.f64, namespace: serde.i32, ...ttlOf(ttl) });
    for (const op of ops) {
      switch (op.t) {
        case 'put':
          if (reducing) {
            (state as { add(k: string, v: number, n?: number): void }).add(op.k, op.v, op.ns);
            model.add(op.k, op.v, op.ns);
          } else {
            (state as { put(k: string, v: number, n?: number): void }).put(op.k, op.v, op.ns);
            model.put(op.k, op.v, op.ns);
          }
          break;
        case 'get':
          assertEqual(state.get(op.k, op.ns), model.get(op.k, op.ns), `get ${op.k}/${op.ns}`);
          break;
        case 'clear':
          state.clear(op.k, op.ns);
          model.clear(op.k, op.ns);
          break;
        case 'tick':
          clock.advance(op.ms);
          break;
        case 'keys':
          assertEqual(sorted(state.keys(op.ns)), model.keys(op.ns), `keys ${op.ns}`);
          break;
      }
    }
    checkPairs(state.keysAndNamespaces(), model.pairs());
    state.drop();
  });
}

const listOps = fc.array(
  fc.oneof(
    fc.record({ t: fc.constant('add' as const), k: key, ns, v: int }),
    fc.record({ t: fc.constant('addAll' as const), k: key, ns, vs: fc.array(int, { maxLength: 3 }) }),
    fc.record({ t: fc.constant('update' as const), k: key, ns, vs: fc.array(int, { maxLength: 3 }) }),
    fc.record({ t: fc.constant('get' as const), k: key, ns }),
    fc.record({ t: fc.constant('clear' as const), k: key, ns }),
    tick,
    keysOp,
  ),
  { maxLength: 60 },
);

const mapOps = fc.array(
  fc.oneof(
    fc.record({ t: fc.constant('put' as const), k: key, ns, uk: fc.constantFrom('x', 'y', 'z'), v: int }),
    fc.record({
      t: fc.constant('putAll' as const),
      k: key,
      ns,
      entries: fc.array(fc.tuple(fc.constantFrom('x', 'y', 'z'), int), { maxLength: 3 }),
    }),
    fc.record({ t: fc.constant('remove' as const), k: key, ns, uk: fc.constantFrom('x', 'y', 'z') }),
    fc.record({ t: fc.constant('get' as const), k: key, ns, uk: fc.constantFrom('x', 'y', 'z') }),
    fc.record({ t: fc.constant('contains' as const), k: key, ns, uk: fc.constantFrom('x', 'y', 'z') }),
    fc.record({ t: fc.constant('entries' as const), k: key, ns }),
    fc.record({ t: fc.constant('isEmpty' as const), k: key, ns }),
    fc.record({ t: fc.constant('clear' as const), k: key, ns }),
    tick,
    keysOp,
  ),
  { maxLength: 60 },
);

/** The property cases; `numRuns` per property (fast-check's default is 100). */
export function propertyCases(numRuns = 100): readonly ConformanceCase[] {
  const run = async (open: Parameters<ConformanceCase['run']>[0], body: (b: KeyedStateBackend, c: ManualClock) => void): Promise<void> => {
    const clock = new ManualClock(10_000);
    await withBackend(open, { clock }, (b) => body(b, clock));
  };
  return [
    {
      group: 'model',
      name: 'ValueState agrees with the model on random operations (TTL off, onCreateAndWrite, onReadAndWrite)',
      run: (open) => run(open, (b, clock) => fc.assert(valueProperty(b, clock, false), { numRuns })),
    },
    {
      group: 'model',
      name: 'ReducingState agrees with the model on random operations',
      run: (open) => run(open, (b, clock) => fc.assert(valueProperty(b, clock, true), { numRuns })),
    },
    {
      group: 'model',
      name: 'ListState agrees with the model on random operations',
      run: (open) =>
        run(open, (b, clock) =>
          fc.assert(
            fc.property(ttlChoice, listOps, (ttl, ops) => {
              const model = new ListModel(clock, ttl);
              const state = b.listState({ name: uniqueName('list'), key: serde.string, value: serde.i32, namespace: serde.i32, ...ttlOf(ttl) });
              for (const op of ops) {
                switch (op.t) {
                  case 'add':
                    state.add(op.k, op.v, op.ns);
                    model.addAll(op.k, [op.v], op.ns);
                    break;
                  case 'addAll':
                    state.addAll(op.k, op.vs, op.ns);
                    model.addAll(op.k, op.vs, op.ns);
                    break;
                  case 'update':
                    state.update(op.k, op.vs, op.ns);
                    model.update(op.k, op.vs, op.ns);
                    break;
                  case 'get':
                    assertEqual(state.get(op.k, op.ns), model.get(op.k, op.ns), `get ${op.k}/${op.ns}`);
                    break;
                  case 'clear':
                    state.clear(op.k, op.ns);
                    model.clear(op.k, op.ns);
                    break;
                  case 'tick':
                    clock.advance(op.ms);
                    break;
                  case 'keys':
                    assertEqual(sorted(state.keys(op.ns)), model.keys(op.ns), `keys ${op.ns}`);
                    break;
                }
              }
              checkPairs(state.keysAndNamespaces(), model.pairs());
              state.drop();
            }),
            { numRuns },
          ),
        ),
    },
    {
      group: 'model',
      name: 'MapState agrees with the model on random operations',
      run: (open) =>
        run(open, (b, clock) =>
          fc.assert(
            fc.property(ttlChoice, mapOps, (ttl, ops) => {
              const model = new MapModel(clock, ttl);
              const state = b.mapState({
                name: uniqueName('map'),
                key: serde.string,
                mapKey: serde.string,
                value: serde.i32,
                namespace: serde.i32,
                ...ttlOf(ttl),
              });
              for (const op of ops) {
                switch (op.t) {
                  case 'put':
                    state.put(op.k, op.uk, op.v, op.ns);
                    model.putAll(op.k, [[op.uk, op.v]], op.ns);
                    break;
                  case 'putAll':
                    state.putAll(op.k, op.entries, op.ns);
                    model.putAll(op.k, op.entries, op.ns);
                    break;
                  case 'remove':
                    state.remove(op.k, op.uk, op.ns);
                    model.remove(op.k, op.uk, op.ns);
                    break;
                  case 'get':
                    assertEqual(state.get(op.k, op.uk, op.ns), model.get(op.k, op.uk, op.ns), `get ${op.k}/${op.uk}/${op.ns}`);
                    break;
                  case 'contains':
                    assertEqual(state.contains(op.k, op.uk, op.ns), model.get(op.k, op.uk, op.ns) !== undefined, `contains ${op.k}/${op.uk}`);
                    break;
                  case 'entries':
                    assertEqual(sorted(state.entries(op.k, op.ns)), model.entries(op.k, op.ns), `entries ${op.k}/${op.ns}`);
                    break;
                  case 'isEmpty':
                    assertEqual(state.isEmpty(op.k, op.ns), model.isEmpty(op.k, op.ns), `isEmpty ${op.k}/${op.ns}`);
                    break;
                  case 'clear':
                    state.clear(op.k, op.ns);
                    model.clear(op.k, op.ns);
                    break;
                  case 'tick':
                    clock.advance(op.ms);
                    break;
                  case 'keys':
                    assertEqual(sorted(state.keys(op.ns)), model.keys(op.ns), `keys ${op.ns}`);
                    break;
                }
              }
              checkPairs(state.keysAndNamespaces(), model.pairs());
              state.drop();
            }),
            { numRuns },
          ),
        ),
    },
  ];
}
