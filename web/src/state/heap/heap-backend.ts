/**
 * The heap backend: keyed state in JavaScript Maps, values stored as given — no serialization on
 * the access path. Serializers only validate, estimate sizes and hash new keys (only when this
 * instance owns part of the key groups; else key groups are computed when a checkpoint or
 * `keysAndNamespaces(keyGroup)` needs them). Callers must not mutate a value after handing it
 * in, nor one they got back (lists and map iterators handed out are snapshots, kept by
 * copy-on-write).
 *
 * Which class stores a state (the common shapes get a Map holding the values themselves):
 *
 * | kind                         | shape                                                      | class (file)                             |
 * | ---------------------------- | ---------------------------------------------------------- | ---------------------------------------- |
 * | value, reducing, aggregating | key and stored value primitive, no namespace serializer, no TTL | direct-single-value-state.ts: key → value |
 * | list                         | key primitive, no namespace serializer, no TTL             | direct-list-state.ts: key → list record → array |
 * | map                          | key, map key and value primitive, no namespace serializer, no TTL | direct-keyed-map-state.ts: key → map record → Map of map key → value |
 * | map                          | map key and value primitive, no TTL (a namespace serializer, or a key not primitive) | direct-map-state.ts: HeapState entries and cells, each cell a Map of map key → value |
 * | any other shape              |                                                            | HeapState (heap-state.ts): key entry → cell → value |
 *
 * "Primitive" is a built-in serializer of string, f64, i32, i64 or boolean (serde/primitive.ts).
 *
 * Fast, and bounded only by `memoryBudget` (estimated): past it, writes throw
 * `StateMemoryExceededError` and change nothing; `onMemoryPressure` fires when the estimate
 * first crosses `memoryPressureThreshold` of the budget. A list stored directly, and a map of
 * fixed-size entries, is charged for its growth in steps (direct-list-state.ts,
 * direct-keyed-map-state.ts, direct-map-state.ts), so its estimate runs up to half its elements'
 * bytes (at most 64 KiB) above the exact one, as V8's own array and Map capacity does; an add or
 * put is still refused only when its exact estimate does not fit.
 *
 * Checkpoints are full snapshots in the canonical form (docs/checkpoints.md): every state and
 * timer is serialized into a fresh engine database in memory, which is then stored like an LSM
 * backend's — so either backend restores either's checkpoints. A restore reads the checkpoint's
 * states (owned key groups only) when they are registered, deserializing with the descriptors'
 * serializers; see canonical/restored-checkpoint.ts.
 */
import type { CheckpointRecord, CheckpointStore } from '../../checkpoint/store.js';
import type { EngineSource } from '../../engine/wasm-module.js';
import { DatabaseClosedError, InvalidArgumentError } from '../../errors.js';
import { checkStatistics } from '../check-statistics.js';
import { CanonicalWriter } from '../canonical/canonical-writer.js';
import { RestoredCheckpoint } from '../canonical/restored-checkpoint.js';
import { checkDescriptor, checkSameSignature } from '../descriptors.js';
import { KeyContext } from '../key-context.js';
import type { KeyGroupRange } from '../key-groups.js';
import {
  checkCheckpointMetadata,
  exportCheckpoint,
  META,
  resolveCheckpoints,
  takeCheckpoint,
  type CheckpointSettings,
  type RestoreSource,
  watermarkFacts,
} from '../lsm/lsm-checkpoints.js';
import type {
  AggregatingState,
  AggregatingStateDescriptor,
  Clock,
  KeyedStateBackend,
  ListState,
  ListStateDescriptor,
  MapState,
  MapStateDescriptor,
  ReducingState,
  ReducingStateDescriptor,
  StateBackendMetrics,
  StateKind,
  StateMetrics,
  TimerService,
  TimerServiceDescriptor,
  ValueState,
  ValueStateDescriptor,
} from '../types.js';
import type { HeapContext, HeapStats, RegisteredHeapState } from './heap-state.js';
import { HeapListState } from './list-state.js';
import { DirectKeyedHeapMapState } from './direct-keyed-map-state.js';
import { DirectHeapListState } from './direct-list-state.js';
import { DirectHeapMapState } from './direct-map-state.js';
import { DirectHeapAggregatingState, DirectHeapReducingState } from './direct-reducing-state.js';
import { DirectSingleValueState } from './direct-single-value-state.js';
import { directHeapValueState } from './direct-value-state.js';
import { HeapMapState } from './map-state.js';
import { MemoryBudget, type MemoryPressureEvent } from './memory-budget.js';
import { HeapTimers } from './heap-timers.js';
import { checkSameTimerService } from '../timers/timer-args.js';
import { HeapAggregatingState, HeapReducingState } from './reducing-state.js';
import { HeapValueState } from './value-state.js';

/** Settings of a heap backend, already validated (see create.ts for the public options). */
export interface HeapBackendSettings {
  readonly maxParallelism: number;
  readonly keyGroups: KeyGroupRange;
  readonly clock: Clock;
  /** Count reads and writes for `metrics()`; the states served directly do not count, so it turns them off. */
  readonly statistics?: boolean;
  readonly memoryBudget?: number;
  readonly memoryPressureThreshold?: number;
  readonly onMemoryPressure?: (event: MemoryPressureEvent) => void;
  /** Where `checkpoint()` stores checkpoints (default: in memory) and how many it keeps (default 3). */
  readonly checkpoints?: { readonly store?: CheckpointStore; readonly retain?: number };
  /** Restore this checkpoint (of either backend): its states load as they are registered. */
  readonly restoreFrom?: RestoreSource;
  /** The engine's `.wasm` (Node) for checkpoints and restores; browsers resolve it through the bundler. */
  readonly wasm?: EngineSource;
}

interface Registered {
  readonly signature: string;
  readonly state: RegisteredHeapState;
}

/** Every backend's context is made here, so that all have one shape (see the constructor). */
function heapContext(keys: KeyContext, clock: Clock, memory: MemoryBudget, stats: HeapStats, checkOpen: () => void): HeapContext {
  return { keys, clock, memory, stats, checkOpen };
}

/** A value of no class the context's fields hold, to widen their field types (see the constructor). */
const PLACEHOLDER = {} as never;

/** A checkpoint id as `takeCheckpoint` makes them: `ckpt-<counter>`. */
const CHECKPOINT_ID = /^ckpt-(\d+)$/;

export class HeapStateBackend implements KeyedStateBackend {
  readonly kind = 'heap' as const;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  readonly clock: Clock;
  #ctx: HeapContext;
  readonly #states = new Map<string, Registered>();
  readonly #timers = new Map<string, HeapTimers<unknown, unknown>>();
  readonly #stats: HeapStats = { reads: 0, writes: 0, expiredRemoved: 0 };
  /** Whether states of the shapes the direct classes serve go to them: only without `statistics` (they count nothing). */
  readonly #direct: boolean;
  readonly #statistics: boolean;
  readonly #store: CheckpointStore;
  readonly #retain: number;
  readonly #wasm: EngineSource | undefined;
  readonly #restored: RestoredCheckpoint | undefined;
  /** The counter of the last checkpoint id used; undefined until the first checkpoint looks it up. */
  #counter: number | undefined;
  /** Checkpoints run one after another (each needs the previous one's counter). */
  #checkpointing: Promise<unknown> = Promise.resolve();
  #closed = false;

  /**
   * Opens a heap backend; with `restoreFrom`, first validates and opens the checkpoint (failing
   * with a typed error, and creating nothing, when it is damaged, foreign, or of another
   * `maxParallelism`).
   */
  static async open(settings: HeapBackendSettings): Promise<HeapStateBackend> {
    const checkpoints = resolveCheckpoints(settings.checkpoints);
    checkStatistics(settings.statistics);
    const restored =
      settings.restoreFrom === undefined ? undefined : await RestoredCheckpoint.open(settings.restoreFrom, settings.maxParallelism, settings.keyGroups, settings.wasm);
    try {
      return new HeapStateBackend(settings, checkpoints, restored);
    } catch (e) {
      await restored?.close();
      throw e;
    }
  }

  private constructor(settings: HeapBackendSettings, checkpoints: CheckpointSettings, restored: RestoredCheckpoint | undefined) {
    this.#store = checkpoints.store;
    this.#retain = checkpoints.retain;
    this.#wasm = settings.wasm;
    this.#restored = restored;
    this.maxParallelism = settings.maxParallelism;
    this.keyGroupRange = settings.keyGroups;
    this.clock = settings.clock;
    this.#statistics = settings.statistics === true;
    this.#direct = !this.#statistics;
    const memory = new MemoryBudget({
      ...(settings.memoryBudget !== undefined && { budget: settings.memoryBudget }),
      ...(settings.memoryPressureThreshold !== undefined && { pressureThreshold: settings.memoryPressureThreshold }),
      ...(settings.onMemoryPressure !== undefined && { onPressure: settings.onMemoryPressure }),
    });
    // V8 records, per field of an object shape, the hidden class of the values stored in it so
    // far (its "field type") and compiles the states' hot paths on it. The second backend's
    // KeyContext, MemoryBudget, clock and counters no longer have the first one's hidden classes
    // (their own fields changed in the meantime), so the context's field types widened then and
    // V8 threw away every compiled value-state path once more (Chromium, --trace-deopt
    // --trace-generalization: "keys/clock/memory/stats: Class → Any", then "dependent field type
    // changed" for put, get, set and #charge, in the state bench's second round). A context of
    // placeholders made first (a store, so no bundler drops it) widens them before anything is
    // compiled.
    this.#ctx = heapContext(PLACEHOLDER, PLACEHOLDER, PLACEHOLDER, PLACEHOLDER, () => undefined);
    this.#ctx = heapContext(new KeyContext(settings.maxParallelism, settings.keyGroups), settings.clock, memory, this.#stats, () => {
      if (this.#closed) throw new DatabaseClosedError('state backend is closed');
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Returns the registered state of `descriptor.name`, or registers one made by `make` — loaded
   * with the restored checkpoint's entries of that name, if it has any. A load that fails
   * (memory budget, undecodable bytes) registers nothing and leaves the entries pending.
   */
  #state<S>(kind: StateKind, descriptor: { readonly name: string }, make: (onDrop: (name: string) => void) => S): S {
    this.#ctx.checkOpen();
    const signature = checkDescriptor(kind, descriptor);
    const name = descriptor.name;
    const existing = this.#states.get(name);
    if (existing !== undefined) {
      checkSameSignature(name, existing.signature, signature);
      return existing.state as S;
    }
    const stored = this.#restored?.signature(name);
    if (stored !== undefined && stored !== signature) {
      throw new InvalidArgumentError(`state "${name}" is stored in the restored checkpoint with a different kind or serializers`, {
        state: name,
        existing: stored,
        requested: signature,
      });
    }
    const state = make((n) => this.#forget(n));
    const heapState = state as unknown as RegisteredHeapState;
    if (stored !== undefined) {
      try {
        this.#restored!.takeState(name, (key, value) => heapState.restoreCanonical(key, value));
      } catch (e) {
        heapState.clearAll();
        throw e;
      }
    }
    this.#states.set(name, { signature, state: heapState });
    return state;
  }

  valueState<K, V, N = undefined>(descriptor: ValueStateDescriptor<K, V, N>): ValueState<K, V, N> {
    return this.#state('value', descriptor, (onDrop) =>
      this.#direct && DirectSingleValueState.fits(descriptor, descriptor.value)
        ? (directHeapValueState(this.#ctx, descriptor, onDrop) as unknown as ValueState<K, V, N>)
        : new HeapValueState(this.#ctx, descriptor, onDrop),
    );
  }

  listState<K, V, N = undefined>(descriptor: ListStateDescriptor<K, V, N>): ListState<K, V, N> {
    return this.#state('list', descriptor, (onDrop) =>
      this.#direct && DirectHeapListState.fits(descriptor as ListStateDescriptor<unknown, unknown, unknown>)
        ? (new DirectHeapListState(this.#ctx, descriptor, onDrop) as unknown as ListState<K, V, N>)
        : new HeapListState(this.#ctx, descriptor, onDrop),
    );
  }

  mapState<K, UK, UV, N = undefined>(descriptor: MapStateDescriptor<K, UK, UV, N>): MapState<K, UK, UV, N> {
    const shape = descriptor as MapStateDescriptor<unknown, unknown, unknown, unknown>;
    return this.#state('map', descriptor, (onDrop) =>
      this.#direct && DirectKeyedHeapMapState.fits(shape)
        ? (new DirectKeyedHeapMapState(this.#ctx, descriptor, onDrop) as unknown as MapState<K, UK, UV, N>)
        : this.#direct && DirectHeapMapState.fits(shape)
          ? new DirectHeapMapState(this.#ctx, descriptor, onDrop)
          : new HeapMapState(this.#ctx, descriptor, onDrop),
    );
  }

  reducingState<K, V, N = undefined>(descriptor: ReducingStateDescriptor<K, V, N>): ReducingState<K, V, N> {
    return this.#state('reducing', descriptor, (onDrop) =>
      this.#direct && DirectSingleValueState.fits(descriptor, descriptor.value)
        ? (new DirectHeapReducingState(this.#ctx, descriptor, onDrop) as unknown as ReducingState<K, V, N>)
        : new HeapReducingState(this.#ctx, descriptor, onDrop),
    );
  }

  aggregatingState<K, IN, ACC, OUT, N = undefined>(
    descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, N>,
  ): AggregatingState<K, IN, OUT, N> {
    return this.#state('aggregating', descriptor, (onDrop) =>
      this.#direct && DirectSingleValueState.fits(descriptor, descriptor.accumulator)
        ? (new DirectHeapAggregatingState(this.#ctx, descriptor, onDrop) as unknown as AggregatingState<K, IN, OUT, N>)
        : new HeapAggregatingState(this.#ctx, descriptor, onDrop),
    );
  }

  timers<K, N = undefined>(name: string, descriptor: TimerServiceDescriptor<K, N>): TimerService<K, N> {
    this.#ctx.checkOpen();
    const existing = this.#timers.get(name);
    if (existing !== undefined) {
      checkSameTimerService(name, existing.descriptor, descriptor);
      return existing as unknown as TimerService<K, N>;
    }
    const service = new HeapTimers<K, N>(this.#ctx, name, descriptor);
    const restored = this.#restored;
    if (restored !== undefined) {
      service.restoreWatermark(restored.watermark(name));
      try {
        restored.takeTimers(name, (key) => service.restoreCanonical(key));
      } catch (e) {
        // As for a state whose entries fail to load: nothing stays charged, and the timers stay
        // pending in the checkpoint for a later call (e.g. with a larger budget).
        service.discard();
        throw e;
      }
    }
    this.#timers.set(name, service as unknown as HeapTimers<unknown, unknown>);
    return service;
  }

  /** Unregisters dropped state `name`, keeping its access counts for `metrics()`. */
  #forget(name: string): void {
    const registered = this.#states.get(name);
    if (registered === undefined) return;
    this.#stats.reads += registered.state.reads;
    this.#stats.writes += registered.state.writes;
    this.#states.delete(name);
  }

  stateNames(): string[] {
    this.#ctx.checkOpen();
    return [...this.#states.keys()];
  }

  dropState(name: string): void {
    this.#ctx.checkOpen();
    this.#states.get(name)?.state.drop();
    // A restored state not registered yet is dropped too: the next checkpoint leaves it out.
    this.#restored?.forget(name);
  }

  metrics(): StateBackendMetrics {
    this.#ctx.checkOpen();
    const states: Record<string, StateMetrics> = {};
    let reads = this.#stats.reads;
    let writes = this.#stats.writes;
    for (const [name, { state }] of this.#states) {
      const m = state.metrics();
      states[name] = m;
      reads += state.reads;
      writes += state.writes;
    }
    let timers = 0;
    for (const service of this.#timers.values()) timers += service.size('event') + service.size('processing');
    return {
      kind: 'heap',
      states,
      timers,
      estimatedBytes: this.#ctx.memory.used,
      memoryBudget: this.#ctx.memory.budget,
      ...(this.#statistics && { reads, writes }),
      expiredRemoved: this.#stats.expiredRemoved,
      cacheHitRate: 1,
    };
  }

  /** The app metadata of the checkpoint this backend was restored from (else undefined). */
  get restoredMetadata(): unknown {
    return this.#restored?.facts.metadata;
  }

  /**
   * Takes a full checkpoint: every state (and every restored state not registered yet) and
   * every timer service, serialized synchronously — so it is a consistent point even while the
   * job keeps writing during the asynchronous part — into a canonical database that is then
   * stored (see `KeyedStateBackend.checkpoint`).
   */
  checkpoint(options: { readonly metadata?: unknown } = {}): Promise<CheckpointRecord> {
    this.#ctx.checkOpen();
    try {
      checkCheckpointMetadata(options.metadata);
    } catch (e) {
      return Promise.reject(e);
    }
    const run = this.#checkpointing.then(() => this.#checkpoint(options));
    this.#checkpointing = run.catch(() => undefined);
    return run;
  }

  async #checkpoint(options: { readonly metadata?: unknown }): Promise<CheckpointRecord> {
    const started = performance.now();
    const counter = this.#counter ?? (await this.#lastCounter());
    const writer = await CanonicalWriter.create(this.#wasm);
    try {
      this.#ctx.checkOpen();
      // From here to takeCheckpoint nothing awaits: the snapshot is of one instant.
      const watermarks: Record<string, number> = { ...this.#restored?.pendingWatermarks() };
      for (const [name, { signature, state }] of this.#states) state.writeCanonical(writer.state(name, signature));
      for (const [name, service] of this.#timers) {
        service.writeCanonical(writer.timers(name));
        watermarks[name] = service.currentWatermark();
      }
      this.#restored?.copyPending(writer);
      writer.finish();
      // takeCheckpoint names the checkpoint after the database's counter plus one.
      writer.database.defaultColumnFamily.put(META.checkpointCounter, String(counter));
      const facts = {
        maxParallelism: this.maxParallelism,
        keyGroups: { from: this.keyGroupRange.from, to: this.keyGroupRange.to },
        ...watermarkFacts(watermarks),
        ...(options.metadata === undefined ? {} : { metadata: options.metadata }),
      };
      // The writer's database is this checkpoint's alone: its cut is what was written above.
      const record = await takeCheckpoint(
        writer.database,
        this.#store,
        () => facts,
        this.#retain,
        () => this.clock.now(),
        // Its cost includes serializing the state.
        { backend: 'heap', started },
      );
      this.#counter = counter + 1;
      return record;
    } finally {
      await writer.database.close();
    }
  }

  /** The highest checkpoint counter in use: the store's ids, and the restored checkpoint's. */
  async #lastCounter(): Promise<number> {
    let last = this.#restored?.checkpointCounter ?? 0;
    for (const r of await this.#store.listRecords()) {
      const m = CHECKPOINT_ID.exec(r.id);
      if (m !== null) last = Math.max(last, Number(m[1]));
    }
    return last;
  }

  /** The retained checkpoints, oldest first. */
  checkpoints(): Promise<CheckpointRecord[]> {
    return this.#store.listRecords();
  }

  /** A retained checkpoint as one self-contained blob (to download, keep, and restore from). */
  exportCheckpoint(id: string): Promise<Blob> {
    return exportCheckpoint(this.#store, id);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { state } of this.#states.values()) state.release();
    this.#states.clear();
    this.#timers.clear();
    await this.#restored?.close();
  }
}
