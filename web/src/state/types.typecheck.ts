/**
 * Type-level tests, checked by `tsc` (never run): the descriptor's serializers flow into every
 * state call, namespaces are typed, and wrong types are compile errors. Each `@ts-expect-error`
 * fails the type-check if the line below it ever compiles.
 */
import { serde } from './serde/index.js';
import type { KeyedStateBackend, ListState, MapState, ValueState } from './types.js';

export function stateTypesFlowFromDescriptors(backend: KeyedStateBackend): void {
  const count: ValueState<string, number> = backend.valueState({ name: 'count', key: serde.string, value: serde.f64 });
  const n: number | undefined = count.get('k');
  count.put('k', (n ?? 0) + 1);
  // @ts-expect-error the value serializer is f64
  count.put('k', 'one');
  // @ts-expect-error the key serializer is string
  count.get(42);
  // @ts-expect-error no namespace serializer: the namespace type is undefined
  count.get('k', 7);

  const windows = backend.listState({ name: 'w', key: serde.string, value: serde.i32, namespace: serde.i64 });
  const list: ListState<string, number, bigint> = windows;
  list.add('k', 1, 10n);
  // @ts-expect-error the namespace serializer is i64 (bigint)
  list.add('k', 1, 10);
  const elements: readonly number[] = list.get('k', 10n);
  // @ts-expect-error a returned list is a snapshot, not to be mutated
  elements.push(2);

  const prefs: MapState<string, string, boolean> = backend.mapState({
    name: 'prefs',
    key: serde.string,
    mapKey: serde.string,
    value: serde.boolean,
  });
  for (const [mapKey, on] of prefs.entries('k')) {
    const s: string = mapKey;
    const b: boolean = on;
    void [s, b];
  }

  const avg = backend.aggregatingState({
    name: 'avg',
    key: serde.string,
    accumulator: serde.custom<[number, number]>({
      id: 'pair',
      serialize: ([a, b]) => new Uint8Array(new Float64Array([a, b]).buffer),
      deserialize: (bytes) => {
        const f = new Float64Array(bytes.slice().buffer);
        return [f[0]!, f[1]!];
      },
    }),
    create: (): [number, number] => [0, 0],
    add: ([sum, count]: [number, number], v: number): [number, number] => [sum + v, count + 1],
    result: ([sum, count]: [number, number]) => sum / count,
  });
  avg.add('k', 3);
  const mean: number | undefined = avg.get('k');
  // @ts-expect-error inputs are numbers
  avg.add('k', 'x');

  const timers = backend.timers('t', { key: serde.string, namespace: serde.i64 });
  timers.advanceWatermark(10, (t) => {
    const ns: bigint | undefined = t.namespace;
    void ns;
  });
  void [elements, mean];
}
