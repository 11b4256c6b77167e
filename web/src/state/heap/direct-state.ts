/**
 * What the heap states kept as one Map per key share — DirectSingleValueState (value, reducing,
 * aggregating), DirectHeapListState and DirectKeyedHeapMapState: the Map from key to what the
 * kind keeps per key, the bytes charged for it, the flag of a dropped or closed state, and the
 * State methods that only list or empty the Map. Each kind holds a primitive key and no
 * namespace serializer (see direct-single-value-state.ts for why that needs no key entries).
 *
 * The fields are protected, not `#private`: the kinds' hot paths load them directly (a base
 * class's private field is out of a subclass's reach, and an accessor would spend V8's inlining
 * budget; see direct-list-state.ts on `#append`). Each hot method runs on one kind's instances,
 * so its loads stay monomorphic.
 *
 * Invariants (each kind adds its own):
 * - Every key of `byKey` was validated by the key serializer and is in the backend's key-group
 *   range (both checked on insert, `admit`): a hit needs no check.
 * - `bytes` is what the kind charged for its keys and entries, and has been charged to the
 *   backend's MemoryBudget before the change (`charge`).
 * - `gone` is set once the state is dropped or its backend closed, and `byKey` is then
 *   {@link GONE}: a lookup finds nothing, so a kind's miss path — which checks `gone` — is the
 *   only place its common path needs a check. Every write to `byKey` follows such a check,
 *   but the fixed-size ValueState put's, which undoes it (see GONE).
 */
import { noNamespaceSerializer, stateDropped } from '../state-errors.js';
import type { Serializer, State, StateDescriptorBase, StateKind, StateMetrics } from '../types.js';
import type { HeapContext, RegisteredHeapState } from './heap-state.js';
import { directKeysAndNamespaces, GONE } from './direct-state-parts.js';
import { KEY_AND_CELL_OVERHEAD as ENTRY_OVERHEAD } from './memory-budget.js';

export abstract class DirectState<K, R> implements State<K, undefined>, RegisteredHeapState {
  abstract readonly kind: StateKind;
  readonly name: string;
  protected readonly ctx: HeapContext;
  protected readonly keySerializer: Serializer<K>;
  /** Whether the backend owns every key group (then no key is foreign). */
  protected readonly ownsAll: boolean;
  readonly #onDrop: (name: string) => void;
  /** Key → what the kind keeps for it. */
  protected byKey: Map<K, R> = new Map();
  protected bytes = 0;
  /**
   * Dropped, or the backend closed: every call ends in `checkUsable`, which throws. Tested as
   * `gone === true`, never by truthiness — as every flag of the direct states (`ownsAll`,
   * `#fixedSize`, a record's `shared`): TurboFan may know the loaded field only as some value,
   * and then tests its truthiness with a dozen instructions (Smi, number, BigInt, ...) where a
   * comparison with `true` is two; on the hot paths that was ~3% of a ValueState update at 200k
   * keys in Chromium (measured on the optimized code with perf).
   */
  protected gone = false;

  /** Not counted: these classes serve only backends without `statistics` (see RegisteredHeapState.reads). */
  get reads(): number {
    return 0;
  }
  get writes(): number {
    return 0;
  }

  constructor(ctx: HeapContext, descriptor: StateDescriptorBase<K, unknown>, onDrop: (name: string) => void) {
    this.ctx = ctx;
    this.name = descriptor.name;
    this.keySerializer = descriptor.key;
    this.ownsAll = ctx.keys.ownsAll;
    this.#onDrop = onDrop;
    // Written a second time so that V8 compiles nothing on them as constants (see HeapState's
    // constructor): drop and close replace the Map and set the flag.
    this.byKey = new Map();
    this.gone = true;
    this.gone = false;
  }

  abstract clear(key: K, namespace?: undefined): void;
  abstract writeCanonical(put: (key: Uint8Array, value: Uint8Array) => void): void;
  abstract restoreCanonical(key: Uint8Array, value: Uint8Array): void;

  /** The Map's own key iterator: it skips keys removed before it reaches them, as State promises. */
  keys(namespace?: undefined): IterableIterator<K> {
    this.checkUsable();
    if (namespace !== undefined) this.refuseNamespace();
    return this.byKey.keys();
  }

  keysAndNamespaces(keyGroup?: number): IterableIterator<readonly [K, undefined]> {
    this.checkUsable();
    return directKeysAndNamespaces(() => this.byKey.keys(), this.keySerializer, this.ctx.keys, keyGroup);
  }

  clearAll(): void {
    this.checkUsable();
    this.charge(-this.bytes);
    // Emptied, not replaced: an iteration of keys already under way ends (see State.keys).
    this.byKey.clear();
  }

  drop(): void {
    if (this.gone === true) return;
    this.clearAll();
    this.byKey = GONE;
    this.gone = true;
    this.#onDrop(this.name);
  }

  metrics(): StateMetrics {
    return { kind: this.kind, entries: this.byKey.size, estimatedBytes: this.bytes };
  }

  release(): void {
    // Emptied first: an iteration under way ends (as at clearAll and drop).
    this.byKey.clear();
    this.byKey = GONE;
    this.gone = true;
  }

  /**
   * Validates `key` and checks it is owned (the key group memoized by KeyContext); returns its
   * estimated size.
   */
  protected admit(key: K): number {
    if (this.ownsAll === false) this.ctx.keys.keyGroupOf(this.keySerializer, key);
    return this.keySerializer.check(key);
  }

  /**
   * Removes `key`, whose entries were charged `charged` bytes, releasing them with the key's own
   * (`ENTRY_OVERHEAD` plus its size).
   */
  protected removeKey(key: K, charged: number): void {
    this.charge(-(ENTRY_OVERHEAD + this.keySerializer.check(key) + charged));
    this.byKey.delete(key);
  }

  /** Charges `delta` bytes to the budget (throws past it, changing nothing). */
  protected charge(delta: number): void {
    this.ctx.memory.charge(delta, this.name);
    this.bytes += delta;
  }

  protected checkUsable(): void {
    this.ctx.checkOpen();
    // Gone with the backend open: dropped.
    if (this.gone === true) throw stateDropped(this.name);
  }

  protected refuseNamespace(): never {
    throw noNamespaceSerializer(this.name);
  }
}
