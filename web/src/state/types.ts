/**
 * The keyed-state API: one {@link KeyedStateBackend} interface that the heap backend and the LSM
 * backend both implement, the state handles it hands out, and the descriptors that name a state.
 *
 * Contracts every backend keeps (the conformance suite in `conformance/` checks them):
 * - State access is synchronous; only opening, checkpointing and closing are async.
 * - Every state call takes an optional namespace as its last argument. Omitted, it means the
 *   *void namespace*, which is distinct from every value of the namespace serializer.
 * - Arguments are validated before anything is written: a call that throws changed nothing.
 * - Every key belongs to a key group, `murmur3_x86_32(serialized key, seed 0) mod maxParallelism`
 *   (see `key-groups.ts`); a backend owns a contiguous range of key groups and rejects keys
 *   outside it with `KeyGroupOutOfRangeError`.
 * - Each state maps to one column family in the LSM backend, named after `descriptor.name`;
 *   the byte layout is in docs/state-layout.md.
 */
import type { CheckpointRecord } from '../checkpoint/store.js';
import type { KeyGroupRange } from './key-groups.js';

export type { KeyGroupRange } from './key-groups.js';
export type { CheckpointRecord } from '../checkpoint/store.js';

// ---------------------------------------------------------------------------------------------
// Serializers

/**
 * Turns values of `T` into bytes and back. The same serializers define the LSM layout and the
 * canonical (backend-independent) checkpoint format, so `id` and the byte form of a serializer
 * never change once released.
 *
 * Implementations must be pure: `deserialize(serialize(v))` equals `v` (structurally), and equal
 * values serialize to equal bytes (keys are compared by their bytes).
 */
export interface Serializer<T> {
  /** Stable name of the byte format (`'string'`, `'f64'`, `'custom:point'`…); stored in checkpoints. */
  readonly id: string;
  /**
   * Whether comparing serialized bytes (unsigned, lexicographic) gives the natural order of the
   * values. When true, LSM scans (map keys, timers) come out in natural order.
   */
  readonly orderPreserving: boolean;
  /**
   * Throws `InvalidArgumentError` (or `ValueTooLargeError` past a size limit) if `value` cannot be
   * serialized; otherwise returns an estimate of its size in bytes (used for memory budgets). The
   * heap backend calls only this on values, never `serialize`, so it must check everything
   * `serialize` would reject.
   */
  check(value: unknown): number;
  /** The bytes of `value`. Throws as {@link check} does; the result may be a fresh array. */
  serialize(value: T): Uint8Array;
  /** The value of `bytes`. Throws `CorruptionError` when they are not a valid encoding. */
  deserialize(bytes: Uint8Array): T;
}

// ---------------------------------------------------------------------------------------------
// Time

/** Processing time, in milliseconds. Injected so tests (and replays) can control it. */
export interface Clock {
  /**
   * Current processing time in whole ms (an integer, as `Date.now()` gives); never decreases.
   * Stored times (TTL timestamps, on the LSM backend and in checkpoints) are whole ms, so a
   * clock with fractions would make the backends disagree on when an entry expires.
   */
  now(): number;
}

// ---------------------------------------------------------------------------------------------
// TTL

/** When an entry's time-to-live restarts. */
export type TtlUpdateType =
  /** Only on create and on every write (Flink's `OnCreateAndWrite`; the default). */
  | 'onCreateAndWrite'
  /** Also on every read that returns the entry (Flink's `OnReadAndWrite`). */
  | 'onReadAndWrite';

/** Whether an expired entry that is still stored may be returned. */
export type TtlVisibility =
  /** Expired entries are never returned (the default). */
  | 'neverReturnExpired'
  /** An expired entry is returned if cleanup has not removed it yet (cheaper on LSM). */
  | 'returnExpiredIfNotCleanedUp';

/**
 * Time-to-live of state entries, in processing time (from the backend's {@link Clock}). Applies
 * per entry: each value, each list element, each map entry has its own timestamp.
 */
export interface TtlConfig {
  /** Lifetime in ms after the last update; a positive integer. */
  readonly ttl: number;
  /** Default `'onCreateAndWrite'`. */
  readonly update?: TtlUpdateType;
  /** Default `'neverReturnExpired'`. */
  readonly visibility?: TtlVisibility;
  /**
   * Heap backend: entries examined for expiry per state access (incremental cleanup, like
   * Flink's `cleanupIncrementally`). Default 5; 0 turns incremental cleanup off (reads still
   * remove the expired entries they meet). The LSM backend cleans up in its compaction filter.
   */
  readonly incrementalCleanupSize?: number;
}

// ---------------------------------------------------------------------------------------------
// Descriptors

/** The kinds of keyed state. Never renamed: stored in checkpoints. */
export type StateKind = 'value' | 'list' | 'map' | 'reducing' | 'aggregating';

/**
 * What every state descriptor has. `K` is the key type, `N` the namespace type (`undefined`
 * when the state has no namespaces).
 */
export interface StateDescriptorBase<K, N> {
  /**
   * Name of the state, unique per backend; the LSM backend's column family. 1–200 characters,
   * not starting with `_` (reserved for the backend's own column families, e.g. timers).
   */
  readonly name: string;
  /** Serializer of keys; key groups are computed from its bytes. */
  readonly key: Serializer<K>;
  /** Serializer of namespaces; without it only the void namespace (no argument) is allowed. */
  readonly namespace?: Serializer<N>;
  /** Entries expire this long after their last update. */
  readonly ttl?: TtlConfig;
}

/** Descriptor of a {@link ValueState}. */
export interface ValueStateDescriptor<K, V, N = undefined> extends StateDescriptorBase<K, N> {
  readonly value: Serializer<V>;
}

/** Descriptor of a {@link ListState}; `value` serializes one element. */
export interface ListStateDescriptor<K, V, N = undefined> extends StateDescriptorBase<K, N> {
  readonly value: Serializer<V>;
}

/** Descriptor of a {@link MapState}. */
export interface MapStateDescriptor<K, UK, UV, N = undefined> extends StateDescriptorBase<K, N> {
  /** Serializer of the map's keys; on LSM, iteration follows their byte order. */
  readonly mapKey: Serializer<UK>;
  readonly value: Serializer<UV>;
}

/** Descriptor of a {@link ReducingState}. */
export interface ReducingStateDescriptor<K, V, N = undefined> extends StateDescriptorBase<K, N> {
  readonly value: Serializer<V>;
  /** Combines the stored value with an added one. Must not mutate its arguments. */
  readonly reduce: (accumulated: V, added: V) => V;
}

/** Descriptor of an {@link AggregatingState}: `IN` values fold into an `ACC`, read as `OUT`. */
export interface AggregatingStateDescriptor<K, IN, ACC, OUT, N = undefined> extends StateDescriptorBase<K, N> {
  /** Serializer of the accumulator (what is stored). */
  readonly accumulator: Serializer<ACC>;
  /** A fresh, empty accumulator. */
  readonly create: () => ACC;
  /**
   * The accumulator with `value` added, as a new object: `add` must not change `accumulator`
   * (the stored one stays intact when the result is rejected by the serializer).
   */
  readonly add: (accumulator: ACC, value: IN) => ACC;
  /** What `get` returns for an accumulator. */
  readonly result: (accumulator: ACC) => OUT;
}

// ---------------------------------------------------------------------------------------------
// State handles

/**
 * What every state handle has. Handles are cheap; asking the backend twice for the same name
 * returns handles on the same data.
 *
 * Values handed in are stored as given by the heap backend (no copy): do not mutate a value, a
 * list element or a map value after handing it to a state, nor one a state returned.
 */
export interface State<K, N> {
  /** `descriptor.name`. */
  readonly name: string;
  readonly kind: StateKind;
  /** Removes the state of `key` in `namespace`. */
  clear(key: K, namespace?: N): void;
  /**
   * The keys that have state in `namespace` (void namespace when omitted), in unspecified order.
   * Entries removed during iteration are not visited if not reached yet; entries added may or
   * may not be visited. So after `clearAll` an iteration under way visits none of the entries it
   * had not reached; after `drop`, or the backend's `close`, it ends. `keysAndNamespaces`
   * iterates the same way.
   */
  keys(namespace?: N): IterableIterator<K>;
  /**
   * Every `[key, namespace]` pair with state; `namespace` is `undefined` for the void namespace.
   * With `keyGroup`, only the pairs of that key group (the unit of checkpoints and rescaling).
   */
  keysAndNamespaces(keyGroup?: number): IterableIterator<readonly [K, N | undefined]>;
  /** Removes the state of every key and namespace; the state stays registered. */
  clearAll(): void;
  /** Removes the state and its registration; this handle then throws `StateDroppedError`. */
  drop(): void;
}

/** One value per key and namespace. */
export interface ValueState<K, V, N = undefined> extends State<K, N> {
  readonly kind: 'value';
  /** The value, or `undefined` when there is none (or it expired). */
  get(key: K, namespace?: N): V | undefined;
  put(key: K, value: V, namespace?: N): void;
  /** Same as `clear`. */
  delete(key: K, namespace?: N): void;
}

/** A list per key and namespace. On LSM, `add`/`addAll` are merges, never read-modify-writes. */
export interface ListState<K, V, N = undefined> extends State<K, N> {
  readonly kind: 'list';
  /**
   * The elements in insertion order; empty when there are none. The array is a snapshot: later
   * writes to the list never change it (the heap backend may hand out its stored array, copying
   * it on the next write). Callers must not mutate it; copy it (`[...list]`) to get one to change.
   */
  get(key: K, namespace?: N): readonly V[];
  add(key: K, value: V, namespace?: N): void;
  addAll(key: K, values: Iterable<V>, namespace?: N): void;
  /** Replaces the list; an empty iterable clears it. */
  update(key: K, values: Iterable<V>, namespace?: N): void;
}

/**
 * A map per key and namespace. Iteration order: the heap backend gives insertion order (a
 * re-put key keeps its place); the LSM backend gives the byte order of the serialized map keys
 * (natural order for serializers with `orderPreserving`).
 */
export interface MapState<K, UK, UV, N = undefined> extends State<K, N> {
  readonly kind: 'map';
  get(key: K, mapKey: UK, namespace?: N): UV | undefined;
  put(key: K, mapKey: UK, value: UV, namespace?: N): void;
  putAll(key: K, entries: Iterable<readonly [UK, UV]>, namespace?: N): void;
  remove(key: K, mapKey: UK, namespace?: N): void;
  contains(key: K, mapKey: UK, namespace?: N): boolean;
  entries(key: K, namespace?: N): IterableIterator<[UK, UV]>;
  mapKeys(key: K, namespace?: N): IterableIterator<UK>;
  values(key: K, namespace?: N): IterableIterator<UV>;
  isEmpty(key: K, namespace?: N): boolean;
}

/** A value per key and namespace folded with `reduce` on every `add`. */
export interface ReducingState<K, V, N = undefined> extends State<K, N> {
  readonly kind: 'reducing';
  get(key: K, namespace?: N): V | undefined;
  add(key: K, value: V, namespace?: N): void;
}

/** An accumulator per key and namespace; `get` returns `result(accumulator)`. */
export interface AggregatingState<K, IN, OUT, N = undefined> extends State<K, N> {
  readonly kind: 'aggregating';
  get(key: K, namespace?: N): OUT | undefined;
  add(key: K, value: IN, namespace?: N): void;
}

// ---------------------------------------------------------------------------------------------
// Timers

/** Event time (advanced by watermarks) or processing time (from the {@link Clock}). */
export type TimeDomain = 'event' | 'processing';

/** A timer that fired. */
export interface Timer<K, N> {
  readonly key: K;
  /** `undefined` for the void namespace. */
  readonly namespace: N | undefined;
  /** Integer ms (any safe integer, negative allowed). */
  readonly timestamp: number;
  readonly domain: TimeDomain;
}

/** Descriptor of a timer service: how its keys and namespaces serialize. */
export interface TimerServiceDescriptor<K, N = undefined> {
  readonly key: Serializer<K>;
  readonly namespace?: Serializer<N>;
}

/**
 * Per-key timers in two time domains. A timer is identified by (key, namespace, timestamp) in
 * its domain: registering it twice keeps one. Timers fire in timestamp order; ties are broken by
 * key group, then serialized key bytes, then serialized namespace bytes (the void namespace
 * first), which is the LSM layout's order, so both backends fire in the same order.
 *
 * Callbacks may register and delete timers; a timer registered during a firing with a
 * timestamp at or before the current bound fires in the same call.
 */
export interface TimerService<K, N = undefined> {
  readonly name: string;
  registerEventTime(key: K, timestamp: number, namespace?: N): void;
  deleteEventTime(key: K, timestamp: number, namespace?: N): void;
  registerProcessingTime(key: K, timestamp: number, namespace?: N): void;
  deleteProcessingTime(key: K, timestamp: number, namespace?: N): void;
  /**
   * Records the watermark (it never goes back: the current one is the highest seen) and fires,
   * in order, every event-time timer with `timestamp <=` the current watermark, including timers
   * registered earlier at or below it. A timer is removed before its callback runs; if the
   * callback throws, the error propagates and later timers stay queued. Returns the number fired.
   */
  advanceWatermark(watermark: number, onTimer: (timer: Timer<K, N>) => void): number;
  /** Fires every processing-time timer with `timestamp <= clock.now()`; returns the number fired. */
  advanceProcessingTime(onTimer: (timer: Timer<K, N>) => void): number;
  /** The highest watermark seen; `-Infinity` before the first. */
  currentWatermark(): number;
  /** Earliest pending timestamp of `domain`, or `undefined` when none is pending. */
  nextTimestamp(domain: TimeDomain): number | undefined;
  /** Pending timers of `domain`. */
  size(domain: TimeDomain): number;
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Size of one state. */
export interface StateMetrics {
  readonly kind: StateKind;
  /** (key, namespace) pairs with state; an estimate on LSM. */
  readonly entries: number;
  /** Estimated bytes held (heap: estimated memory; LSM: estimated live data). */
  readonly estimatedBytes: number;
  /**
   * LSM, states with a write-back cache: the share of accesses the cache answered, in [0, 1]
   * (1 before any access). Absent on the heap and for uncached states.
   */
  readonly cacheHitRate?: number;
}

/** What `metrics()` reports. */
export interface StateBackendMetrics {
  readonly kind: StateBackendKind;
  readonly states: Readonly<Record<string, StateMetrics>>;
  /** Pending timers over all timer services. */
  readonly timers: number;
  /** Estimated bytes over all states and timers. */
  readonly estimatedBytes: number;
  /** The memory budget in bytes; `Infinity` when none. */
  readonly memoryBudget: number;
  /** State reads since opening; only with the backend option `statistics: true`. */
  readonly reads?: number;
  /** State writes since opening; only with the backend option `statistics: true`. */
  readonly writes?: number;
  /** Entries removed because their TTL expired. */
  readonly expiredRemoved: number;
  /** LSM: block cache hit rate in [0, 1]; heap: 1 (everything is in memory). */
  readonly cacheHitRate: number;
}

// ---------------------------------------------------------------------------------------------
// The backend

/** Which backend holds the state. */
export type StateBackendKind = 'heap' | 'lsm';

/**
 * Keyed state for one instance of a job: the key groups `keyGroupRange` out of
 * `maxParallelism`. Get states by descriptor, use them synchronously, close when done.
 *
 * Asking for an existing name with a different kind or different serializer ids throws
 * `InvalidArgumentError`. After `close()`, every call throws `DatabaseClosedError`.
 */
export interface KeyedStateBackend {
  readonly kind: StateBackendKind;
  /** Number of key groups keys are hashed into; fixed for the life of the state. */
  readonly maxParallelism: number;
  /** The key groups this instance owns. */
  readonly keyGroupRange: KeyGroupRange;
  /** Processing time source for TTL and processing-time timers. */
  readonly clock: Clock;
  readonly closed: boolean;

  valueState<K, V, N = undefined>(descriptor: ValueStateDescriptor<K, V, N>): ValueState<K, V, N>;
  listState<K, V, N = undefined>(descriptor: ListStateDescriptor<K, V, N>): ListState<K, V, N>;
  mapState<K, UK, UV, N = undefined>(descriptor: MapStateDescriptor<K, UK, UV, N>): MapState<K, UK, UV, N>;
  reducingState<K, V, N = undefined>(descriptor: ReducingStateDescriptor<K, V, N>): ReducingState<K, V, N>;
  aggregatingState<K, IN, ACC, OUT, N = undefined>(
    descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, N>,
  ): AggregatingState<K, IN, OUT, N>;
  /** The timer service `name` (created on first use). */
  timers<K, N = undefined>(name: string, descriptor: TimerServiceDescriptor<K, N>): TimerService<K, N>;

  /** Names of the registered states. */
  stateNames(): string[];
  /** Removes a state and its data (no-op when absent). Its handles then throw. */
  dropState(name: string): void;
  metrics(): StateBackendMetrics;

  /**
   * Takes a checkpoint: a consistent point of every state and timer service (and each service's
   * watermark), with `metadata` (JSON, e.g. a source offset) attached. The point is one instant
   * early in the call, once the storage is ready for it: calls the job makes after
   * `checkpoint()` returns its promise may fall before or after that instant, but always
   * wholly — a timer fired there is in it together with what its callback wrote, or neither is.
   * Metadata that is not JSON is refused (`InvalidArgumentError`) before anything changes. Whatever the backend, the
   * checkpoint is a RocksDB database in the layout of docs/state-layout.md, so it restores into
   * either backend (docs/checkpoints.md). The LSM backend's are incremental; the heap backend's
   * are full snapshots. Keeps the newest `checkpoints.retain` checkpoints and deletes every
   * stored file none of them references.
   */
  checkpoint(options?: { readonly metadata?: unknown }): Promise<CheckpointRecord>;
  /** The retained checkpoints, oldest first. */
  checkpoints(): Promise<CheckpointRecord[]>;
  /**
   * A retained checkpoint as one self-contained blob (`.esckp`) to download, keep and restore
   * from (`restoreFrom`). Throws `CheckpointNotFoundError` when `id` is not retained.
   */
  exportCheckpoint(id: string): Promise<Blob>;
  /** The `metadata` of the checkpoint this backend was restored from; `undefined` otherwise. */
  readonly restoredMetadata: unknown;

  /** Releases memory and storage handles. Idempotent. */
  close(): Promise<void>;
}
