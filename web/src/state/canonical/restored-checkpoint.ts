/**
 * A checkpoint opened for a backend that keeps its state outside the engine (the heap backend):
 * the checkpoint's database restored into memory (validated first by `restoreCheckpointFiles`),
 * read state by state as the backend registers them, and only in this instance's key groups —
 * so restoring into a different parallelism (rescaling) takes exactly the owned groups.
 *
 * States and timer services the backend has not registered yet stay *pending*: their entries are
 * still in the database, and a checkpoint taken meanwhile copies them as they are (a state the
 * job has not touched since the restore is not lost by the next checkpoint). The database is
 * closed once nothing is pending.
 */
import type { LsmDatabase } from '../../engine/lsm-database.js';
import { openLsm } from '../../engine/lsm-database.js';
import type { EngineSource } from '../../engine/wasm-module.js';
import { memoryStorage } from '../../storage/memory.js';
import type { KeyGroupRange } from '../key-groups.js';
import { keyGroupBounds } from '../key-layout.js';
import { META, readCheckpointFacts, restoreCheckpointFiles, type RestoredFacts, type RestoreSource } from '../lsm/lsm-checkpoints.js';
import { SIGNATURE_PREFIX, TIMERS_PREFIX, type CanonicalWriter } from './canonical-writer.js';

const decoder = new TextDecoder();
/** Offset of the key group in a canonical timer key: after the domain byte and the timestamp. */
const TIMER_KEY_GROUP_AT = 9;

export class RestoredCheckpoint {
  readonly facts: RestoredFacts;
  /** The checkpoint counter of the backend that took it (ids continue after it). */
  readonly checkpointCounter: number;
  readonly #db: LsmDatabase;
  readonly #range: KeyGroupRange;
  /** Pending states: name → stored signature. */
  readonly #states = new Map<string, string>();
  /** Pending timer services. */
  readonly #timers = new Set<string>();
  #closing: Promise<void> | undefined;

  private constructor(db: LsmDatabase, range: KeyGroupRange, facts: RestoredFacts) {
    this.#db = db;
    this.#range = range;
    this.facts = facts;
    this.checkpointCounter = Number(db.defaultColumnFamily.getString(META.checkpointCounter) ?? '0') || 0;
    for (const [k, v] of db.defaultColumnFamily.entries({ prefix: SIGNATURE_PREFIX })) {
      this.#states.set(decoder.decode(k).slice(SIGNATURE_PREFIX.length), decoder.decode(v));
    }
    for (const name of db.columnFamilyNames()) if (name.startsWith(TIMERS_PREFIX)) this.#timers.add(name.slice(TIMERS_PREFIX.length));
  }

  /**
   * Restores `source` into memory and opens it for an instance owning `range` of
   * `maxParallelism` key groups. Throws what `restoreCheckpointFiles` throws for a damaged or
   * foreign export (`CheckpointFormatError`, `CheckpointVersionError`, `CorruptionError`),
   * `CheckpointFormatError` when it holds no keyed state, and `InvalidArgumentError` when its
   * `maxParallelism` differs (its key groups would not be this backend's).
   */
  static async open(source: RestoreSource, maxParallelism: number, range: KeyGroupRange, wasm?: EngineSource): Promise<RestoredCheckpoint> {
    const storage = memoryStorage('restored-checkpoint');
    await restoreCheckpointFiles(source, storage, {
      staging: memoryStorage('restore-staging'),
      wasm,
      accept: (staged) => readCheckpointFacts(staged, maxParallelism),
    });
    const db = await openLsm({ storage, columnFamilyDefaults: { merge: 'listAppend' }, ...(wasm === undefined ? {} : { wasm }) });
    try {
      const restored = new RestoredCheckpoint(db, range, readCheckpointFacts(db, maxParallelism));
      await restored.#closeIfDone();
      return restored;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  /** The stored signature of pending state `name`, or undefined when it is not pending. */
  signature(name: string): string | undefined {
    return this.#states.get(name);
  }

  /** Whether timer service `name` is pending. */
  hasTimers(name: string): boolean {
    return this.#timers.has(name);
  }

  /** The watermark the checkpoint recorded for timer service `name` (-Infinity if none). */
  watermark(name: string): number {
    return this.facts.watermarks[name] ?? -Infinity;
  }

  /** Calls `load` with every owned entry of pending state `name`, then stops tracking it. */
  takeState(name: string, load: (key: Uint8Array, value: Uint8Array) => void): void {
    if (!this.#states.has(name)) return;
    this.#ownedStateEntries(name, load);
    this.forget(name);
  }

  /** Calls `load` with every owned timer of pending service `name`, then stops tracking it. */
  takeTimers(name: string, load: (key: Uint8Array) => void): void {
    if (!this.#timers.has(name)) return;
    this.#ownedTimers(name, load);
    this.#timers.delete(name);
    this.#closeInBackground();
  }

  /** Stops tracking pending state `name` (registered, or dropped before it was). */
  forget(name: string): void {
    this.#states.delete(name);
    this.#closeInBackground();
  }

  /** Watermarks of the pending timer services (for the facts of a new checkpoint). */
  pendingWatermarks(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const name of this.#timers) {
      const w = this.facts.watermarks[name];
      if (w !== undefined) out[name] = w;
    }
    return out;
  }

  /** Copies every pending state and timer service (owned key groups only) into `writer`. */
  copyPending(writer: CanonicalWriter): void {
    for (const [name, signature] of this.#states) this.#ownedStateEntries(name, writer.state(name, signature));
    for (const name of this.#timers) {
      const put = writer.timers(name);
      this.#ownedTimers(name, (key) => put(key, new Uint8Array(0)));
    }
  }

  #ownedStateEntries(name: string, load: (key: Uint8Array, value: Uint8Array) => void): void {
    // Key group first in every state key: the owned groups are one contiguous key range.
    const bounds = keyGroupBounds(this.#range.from, this.#range.to);
    if (!this.#db.columnFamilyNames().includes(name)) return;
    for (const [k, v] of this.#db.columnFamily(name).entries({ from: bounds.from, to: bounds.to })) load(k, v);
  }

  #ownedTimers(name: string, load: (key: Uint8Array) => void): void {
    // Timer keys lead with the time, so the key group is filtered entry by entry.
    const { from, to } = this.#range;
    for (const k of this.#db.columnFamily(TIMERS_PREFIX + name).keys()) {
      const group = (k[TIMER_KEY_GROUP_AT]! << 8) | k[TIMER_KEY_GROUP_AT + 1]!;
      if (group >= from && group <= to) load(k);
    }
  }

  /** Starts closing once nothing is pending; a failure surfaces from {@link close}. */
  #closeInBackground(): void {
    this.#closeIfDone().catch(() => undefined);
  }

  #closeIfDone(): Promise<void> {
    if (this.#states.size === 0 && this.#timers.size === 0) this.#closing ??= this.#db.close();
    return this.#closing ?? Promise.resolve();
  }

  /** Closes the database (pending states are then gone). Idempotent. */
  close(): Promise<void> {
    this.#states.clear();
    this.#timers.clear();
    return this.#closeIfDone();
  }
}
