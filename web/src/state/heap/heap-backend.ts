/**
 * The heap backend: keyed state in JavaScript Maps (per state, one Map of keys, each entry
 * recording its key group; see heap-state.ts for why), values stored as given — no
 * serialization on the access path; serializers only validate, estimate sizes and hash new keys.
 * Callers must not mutate a value after handing it in, nor one they got back.
 *
 * Fast, and bounded only by `memoryBudget` (estimated): past it, writes throw
 * `StateMemoryExceededError` and change nothing; `onMemoryPressure` fires when the estimate
 * first crosses `memoryPressureThreshold` of the budget.
 */
import { DatabaseClosedError, InvalidArgumentError } from '../../errors.js';
import { checkDescriptor } from '../descriptors.js';
import { KeyContext } from '../key-context.js';
import type { KeyGroupRange } from '../key-groups.js';
import { HeapTimerService } from '../timers/heap-timer-service.js';
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
import type { HeapContext, HeapState, HeapStats } from './heap-state.js';
import { HeapListState } from './list-state.js';
import { HeapMapState } from './map-state.js';
import { MemoryBudget, type MemoryPressureEvent } from './memory-budget.js';
import { HeapAggregatingState, HeapReducingState } from './reducing-state.js';
import { HeapValueState } from './value-state.js';

/** Settings of a heap backend, already validated (see create.ts for the public options). */
export interface HeapBackendSettings {
  readonly maxParallelism: number;
  readonly keyGroups: KeyGroupRange;
  readonly clock: Clock;
  readonly memoryBudget?: number;
  readonly memoryPressureThreshold?: number;
  readonly onMemoryPressure?: (event: MemoryPressureEvent) => void;
}

interface Registered {
  readonly signature: string;
  readonly state: HeapState<unknown, unknown, never>;
}

export class HeapStateBackend implements KeyedStateBackend {
  readonly kind = 'heap' as const;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  readonly clock: Clock;
  readonly #ctx: HeapContext;
  readonly #states = new Map<string, Registered>();
  readonly #timers = new Map<string, HeapTimerService<unknown, unknown>>();
  readonly #stats: HeapStats = { reads: 0, writes: 0, expiredRemoved: 0 };
  #closed = false;

  constructor(settings: HeapBackendSettings) {
    this.maxParallelism = settings.maxParallelism;
    this.keyGroupRange = settings.keyGroups;
    this.clock = settings.clock;
    const memory = new MemoryBudget({
      ...(settings.memoryBudget !== undefined && { budget: settings.memoryBudget }),
      ...(settings.memoryPressureThreshold !== undefined && { pressureThreshold: settings.memoryPressureThreshold }),
      ...(settings.onMemoryPressure !== undefined && { onPressure: settings.onMemoryPressure }),
    });
    this.#ctx = {
      keys: new KeyContext(settings.maxParallelism, settings.keyGroups),
      clock: settings.clock,
      memory,
      stats: this.#stats,
      checkOpen: () => {
        if (this.#closed) throw new DatabaseClosedError('state backend is closed');
      },
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Returns the registered state of `descriptor.name`, or registers one made by `make`. */
  #state<S>(kind: StateKind, descriptor: { readonly name: string }, make: (onDrop: (name: string) => void) => S): S {
    this.#ctx.checkOpen();
    const signature = checkDescriptor(kind, descriptor);
    const existing = this.#states.get(descriptor.name);
    if (existing !== undefined) {
      if (existing.signature !== signature) {
        throw new InvalidArgumentError(`state "${descriptor.name}" exists with a different kind or serializers`, {
          state: descriptor.name,
          existing: existing.signature,
          requested: signature,
        });
      }
      return existing.state as S;
    }
    const state = make((name) => this.#states.delete(name));
    this.#states.set(descriptor.name, { signature, state: state as HeapState<unknown, unknown, never> });
    return state;
  }

  valueState<K, V, N = undefined>(descriptor: ValueStateDescriptor<K, V, N>): ValueState<K, V, N> {
    return this.#state('value', descriptor, (onDrop) => new HeapValueState(this.#ctx, descriptor, onDrop));
  }

  listState<K, V, N = undefined>(descriptor: ListStateDescriptor<K, V, N>): ListState<K, V, N> {
    return this.#state('list', descriptor, (onDrop) => new HeapListState(this.#ctx, descriptor, onDrop));
  }

  mapState<K, UK, UV, N = undefined>(descriptor: MapStateDescriptor<K, UK, UV, N>): MapState<K, UK, UV, N> {
    return this.#state('map', descriptor, (onDrop) => new HeapMapState(this.#ctx, descriptor, onDrop));
  }

  reducingState<K, V, N = undefined>(descriptor: ReducingStateDescriptor<K, V, N>): ReducingState<K, V, N> {
    return this.#state('reducing', descriptor, (onDrop) => new HeapReducingState(this.#ctx, descriptor, onDrop));
  }

  aggregatingState<K, IN, ACC, OUT, N = undefined>(
    descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, N>,
  ): AggregatingState<K, IN, OUT, N> {
    return this.#state('aggregating', descriptor, (onDrop) => new HeapAggregatingState(this.#ctx, descriptor, onDrop));
  }

  timers<K, N = undefined>(name: string, descriptor: TimerServiceDescriptor<K, N>): TimerService<K, N> {
    this.#ctx.checkOpen();
    const existing = this.#timers.get(name);
    if (existing !== undefined) {
      if (existing.descriptor.key.id !== descriptor?.key?.id || existing.descriptor.namespace?.id !== descriptor?.namespace?.id) {
        throw new InvalidArgumentError(`timer service "${name}" exists with different serializers`, { timers: name });
      }
      return existing as unknown as TimerService<K, N>;
    }
    const service = new HeapTimerService<K, N>(this.#ctx, name, descriptor);
    this.#timers.set(name, service as unknown as HeapTimerService<unknown, unknown>);
    return service;
  }

  stateNames(): string[] {
    this.#ctx.checkOpen();
    return [...this.#states.keys()];
  }

  dropState(name: string): void {
    this.#ctx.checkOpen();
    this.#states.get(name)?.state.drop();
  }

  metrics(): StateBackendMetrics {
    this.#ctx.checkOpen();
    const states: Record<string, StateMetrics> = {};
    let stateBytes = 0;
    for (const [name, { state }] of this.#states) {
      const m = state.metrics();
      states[name] = m;
      stateBytes += m.estimatedBytes;
    }
    let timers = 0;
    for (const service of this.#timers.values()) timers += service.size('event') + service.size('processing');
    return {
      kind: 'heap',
      states,
      timers,
      estimatedBytes: this.#ctx.memory.used,
      memoryBudget: this.#ctx.memory.budget,
      reads: this.#stats.reads,
      writes: this.#stats.writes,
      expiredRemoved: this.#stats.expiredRemoved,
      cacheHitRate: 1,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const { state } of this.#states.values()) state.release();
    this.#states.clear();
    this.#timers.clear();
  }
}
