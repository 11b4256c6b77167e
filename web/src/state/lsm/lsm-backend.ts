/**
 * The LSM backend: keyed state in the wasm engine, a column family per state (named after the
 * state), keys laid out as docs/state-layout.md says. State access is synchronous engine calls;
 * memory is bounded by the engine's budget (memtables + block cache), whatever the state size.
 *
 * Every column family opens with the `listAppend` merge operator, so list states reopen with it
 * without the backend having to know, before opening, which families hold lists; other kinds
 * never write merges. Each state's signature (kind and serializer ids) is stored in the default
 * column family, so a reopen with a different kind or serializer for a name fails instead of
 * misreading bytes.
 */
import { DatabaseClosedError, InvalidArgumentError } from '../../errors.js';
import { checkStatistics } from '../check-statistics.js';
import type { ColumnFamily } from '../../engine/column-family.js';
import { openLsm, type EngineTuning, type LsmDatabase } from '../../engine/lsm-database.js';
import { WriteBatch } from '../../engine/write-batch.js';
import type { EngineSource } from '../../engine/wasm-module.js';
import type { StorageAdapter } from '../../storage/host-vfs.js';
import { memoryStorage } from '../../storage/memory.js';
import { isRetryableStorageFailure } from '../../storage/storage-failure.js';
import type { ExportHeader } from '../../checkpoint/export-format.js';
import type { CheckpointRecord, CheckpointStore } from '../../checkpoint/store.js';
import { checkDescriptor, checkSameSignature, checkStateName } from '../descriptors.js';
import { KeyContext } from '../key-context.js';
import type { KeyGroupRange } from '../key-groups.js';
import { MemoryBudget } from '../heap/memory-budget.js';
import { HeapTimers } from '../heap/heap-timers.js';
import { checkSameTimerService } from '../timers/timer-args.js';
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
import type { LsmOptions } from '../lsm-options.js';
import { LsmListState } from './lsm-list-state.js';
import { LsmMapState } from './lsm-map-state.js';
import {
  checkCheckpointMetadata,
  exportCheckpoint,
  META,
  readCheckpointFacts,
  resolveCheckpoints,
  restoreCheckpointFiles,
  takeCheckpoint,
  type CheckpointFacts,
  type CheckpointSettings,
  type RestoreCheckOptions,
  type RestoredFacts,
  type RestoreSource,
  watermarkFacts,
} from './lsm-checkpoints.js';
import { LsmTimerService, timerColumnFamily } from './lsm-timer-service.js';
import type { LsmContext, LsmState, LsmStats } from './lsm-state.js';
import { LsmAggregatingState, LsmReducingState, LsmValueState } from './lsm-value-states.js';

/** Settings of an LSM backend, already validated (see create.ts for the public options). */
export interface LsmBackendSettings {
  readonly maxParallelism: number;
  readonly keyGroups: KeyGroupRange;
  readonly clock: Clock;
  /** Report reads and writes in `metrics()` (default false). */
  readonly statistics?: boolean;
  readonly storage: StorageAdapter;
  readonly lsm: LsmOptions;
  /** The engine's `.wasm` (Node); browsers resolve it through the bundler. */
  readonly wasm?: EngineSource;
  /**
   * Where timers live: `'lsm'` (default: a column family per timer service, persistent, any
   * number of timers) or `'heap'` (in memory: faster, bounded by memory, and lost on close —
   * a reopen starts without timers; a restore brings back the checkpoint's).
   */
  readonly timers?: 'lsm' | 'heap';
  /**
   * Size of each state's write-back cache: deserialized state of its most recently entered keys,
   * kept in JavaScript, in entries — a value, a list element or a map entry counts as one, plus
   * one per key (default 10,000; 0 turns caching off). Only states without TTL whose key and
   * namespace (and map key) serializers are built-in primitive ones are cached. Writes to a cached
   * key stay in the cache until it is evicted (then every dirty entry of every state is written
   * in one batch), or until iteration over keys, `metrics()`, `checkpoint()` or `close()`.
   * Memory beyond the engine's budget: about (key + value object) per entry. See docs/state-layout.md,
   * "Write-back caches on LSM".
   */
  readonly cacheEntries?: number;
  /** Where `checkpoint()` stores checkpoints (default: in memory) and how many it keeps (default 3). */
  readonly checkpoints?: { readonly store?: CheckpointStore; readonly retain?: number };
  /**
   * Restore this checkpoint into `storage` (replacing its contents) before opening. Rescaling:
   * give every checkpoint of the old instances whose key groups overlap this instance's; the
   * first is adopted as files, the others' owned key groups are copied in, and key groups this
   * instance does not own are range-deleted. All are checked before `storage` is touched (the
   * extra ones in memory), each opened with this backend's engine options (`lsm`), so options the
   * engine refuses fail the open with `storage` as it was.
   */
  readonly restoreFrom?: RestoreSource | readonly RestoreSource[];
  /**
   * Where a restore checks the checkpoint before touching `storage` (default: memory, so a
   * restore needs memory for the checkpoint's size; give an OPFS storage for larger ones).
   */
  readonly restoreStaging?: StorageAdapter;
}

/** Key in the default column family holding a state's signature. */
const SIGNATURE_PREFIX = 'edgestate.state/';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * How often the engine rewrites the tables of a state whose entries live `ttlMs`, so that its
 * TTL compaction filter drops expired entries no write or size limit brings to compaction again:
 * every TTL, but at least hourly (each rewrite costs what writing those tables did) and at most
 * every 30 days (the engine's default with a filter).
 */
function ttlCompactionPeriodSeconds(ttlMs: number): number {
  return Math.min(Math.max(Math.ceil(ttlMs / 1000), 3600), 30 * 24 * 3600);
}

export class LsmStateBackend implements KeyedStateBackend {
  readonly kind = 'lsm' as const;
  readonly maxParallelism: number;
  readonly keyGroupRange: KeyGroupRange;
  readonly clock: Clock;
  readonly #db: LsmDatabase;
  readonly #ctx: LsmContext;
  readonly #states = new Map<string, { readonly signature: string; readonly state: LsmState<unknown, unknown> }>();
  readonly #timers = new Map<string, TimerService<unknown, unknown> & { readonly descriptor: TimerServiceDescriptor<unknown, unknown> }>();
  readonly #timerStore: 'lsm' | 'heap';
  /** Timer services kept on the heap (`timers: 'heap'`), written into the engine at checkpoints. */
  readonly #heapTimers = new Map<string, HeapTimers<unknown, unknown>>();
  readonly #timerMemory = new MemoryBudget({});
  readonly #stats: LsmStats = { reads: 0, writes: 0, expiredRemoved: 0 };
  /** Whether `metrics()` reports reads and writes (the `statistics` option). */
  readonly #statistics: boolean;
  readonly #memoryBudget: number;
  #closed = false;
  #lastTick = Number.NaN;
  readonly #store: CheckpointStore;
  readonly #retain: number;
  #restoredFacts: RestoredFacts | undefined;
  /**
   * The restored watermark of each timer service: for a rescaling restore of several
   * checkpoints, the lowest of theirs (a service absent from one had none there), so that no
   * timer fires above a watermark some source had reached. Carried into checkpoints for the
   * services not asked for since.
   */
  #restoredWatermarks: Readonly<Record<string, number>> = {};

  /** Opens (or creates) the backend's database. */
  static async open(settings: LsmBackendSettings): Promise<LsmStateBackend> {
    const o = settings.lsm;
    const checkpoints = resolveCheckpoints(settings.checkpoints);
    const cacheEntries = settings.cacheEntries ?? 10_000;
    if (!Number.isSafeInteger(cacheEntries) || cacheEntries < 0) {
      throw new InvalidArgumentError('cacheEntries must be an integer >= 0', { cacheEntries: String(settings.cacheEntries) });
    }
    const statistics = checkStatistics(settings.statistics);
    // What the constructor refuses, refused before a restore replaces the storage.
    if (settings.timers !== undefined && settings.timers !== 'lsm' && settings.timers !== 'heap') {
      throw new InvalidArgumentError("timers must be 'lsm' or 'heap'", { timers: String(settings.timers) });
    }
    const engine: EngineTuning = {
      writeBufferSize: o.writeBufferSize,
      blockSize: o.blockSize,
      bloomBitsPerKey: o.bloomBitsPerKey,
      compression: o.compression,
      level0CompactionTrigger: o.level0CompactionTrigger,
      maxBytesForLevelBase: o.maxBytesForLevelBase,
      levelMultiplier: o.levelMultiplier,
      targetFileSize: o.targetFileSize,
      memoryBudget: o.memoryBudget,
      cacheShare: o.cacheShare,
      walBufferSize: o.walBufferSize,
    };
    let restored: ExportHeader | undefined;
    const sources: readonly RestoreSource[] =
      settings.restoreFrom === undefined ? [] : Array.isArray(settings.restoreFrom) ? settings.restoreFrom : [settings.restoreFrom as RestoreSource];
    const staging = settings.restoreStaging ?? memoryStorage('restore-staging');
    // Every source must be this backend's kind of checkpoint before the storage is replaced, and
    // the engine must accept `engine` (the staged copy is opened with it).
    const check: RestoreCheckOptions = {
      staging,
      wasm: settings.wasm,
      accept: (db: LsmDatabase): void => void readCheckpointFacts(db, settings.maxParallelism),
      engine,
    };
    // Extra checkpoints (rescaling) are checked and held in memory first: nothing is touched
    // until every source passed.
    const extras: StorageAdapter[] = [];
    for (const source of sources.slice(1)) {
      const held = memoryStorage('restore-extra');
      await restoreCheckpointFiles(source, held, check);
      extras.push(held);
    }
    if (sources[0] !== undefined) {
      restored = await restoreCheckpointFiles(sources[0], settings.storage, check);
    }
    const db = await openLsm({
      ...engine,
      storage: settings.storage,
      columnFamilyDefaults: { merge: 'listAppend' },
      ...(settings.wasm === undefined ? {} : { wasm: settings.wasm }),
    });
    try {
      const backend = new LsmStateBackend(db, settings, checkpoints, cacheEntries, statistics);
      if (restored !== undefined) backend.#adoptRestored();
      for (const extra of extras) await backend.#ingest(extra, settings.wasm);
      return backend;
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  private constructor(db: LsmDatabase, settings: LsmBackendSettings, checkpoints: CheckpointSettings, cacheEntries: number, statistics: boolean) {
    this.#db = db;
    this.#store = checkpoints.store;
    this.#retain = checkpoints.retain;
    this.maxParallelism = settings.maxParallelism;
    this.keyGroupRange = settings.keyGroups;
    this.clock = settings.clock;
    this.#statistics = statistics;
    this.#memoryBudget = settings.lsm.memoryBudget;
    this.#timerStore = settings.timers ?? 'lsm';
    if (this.#timerStore !== 'lsm' && this.#timerStore !== 'heap') {
      throw new InvalidArgumentError("timers must be 'lsm' or 'heap'", { timers: String(settings.timers) });
    }
    this.#ctx = {
      db,
      keys: new KeyContext(settings.maxParallelism, settings.keyGroups),
      clock: settings.clock,
      stats: this.#stats,
      cacheEntries,
      tick: (now) => {
        if (now !== this.#lastTick) {
          this.#lastTick = now;
          db.setTime(now);
        }
      },
      checkOpen: () => {
        if (this.#closed) throw new DatabaseClosedError('state backend is closed');
      },
      flushAll: () => this.#flushAll(),
    };
  }

  /**
   * Writes what every state's write-back cache holds back as one atomic batch (see
   * cell-cache.ts), so the engine moves from one consistent cut of the cached states to the next.
   */
  #flushAll(): void {
    // The engine's clock drives TTL filtering and periodic compaction of every state's tables,
    // so it moves with every write, not only with writes of states that have a TTL.
    this.#ctx.tick(this.clock.now());
    const batch = new WriteBatch();
    for (const { state } of this.#states.values()) state.collectPending(batch);
    if (batch.count > 0) this.#db.write(batch);
    for (const { state } of this.#states.values()) state.pendingWritten();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The engine underneath (for checkpoints, stats and tests). */
  get database(): LsmDatabase {
    return this.#db;
  }

  /**
   * The column family of state `name`, created (with the signature recorded) if new; `created`
   * says which of the two this call made, for `#state` to undo.
   */
  #columnFamily(name: string, signature: string): { readonly cf: ColumnFamily; readonly created: { readonly family: boolean; readonly signature: boolean } } {
    const meta = this.#db.defaultColumnFamily;
    const key = SIGNATURE_PREFIX + name;
    const stored = meta.get(key);
    if (stored !== undefined && decoder.decode(stored) !== signature) {
      throw new InvalidArgumentError(`state "${name}" is stored with a different kind or serializers`, {
        state: name,
        existing: decoder.decode(stored),
        requested: signature,
      });
    }
    const exists = this.#db.columnFamilyNames().includes(name);
    const cf = exists ? this.#db.columnFamily(name) : this.#db.createColumnFamily(name, { merge: 'listAppend' });
    if (stored === undefined) meta.put(key, encoder.encode(signature));
    return { cf, created: { family: !exists, signature: stored === undefined } };
  }

  #state<S extends LsmState<unknown, unknown>>(kind: StateKind, descriptor: { readonly name: string }, make: (cf: ColumnFamily, onDrop: (name: string) => void) => S): S {
    this.#ctx.checkOpen();
    const signature = checkDescriptor(kind, descriptor);
    const existing = this.#states.get(descriptor.name);
    if (existing !== undefined) {
      checkSameSignature(descriptor.name, existing.signature, signature);
      return existing.state as S;
    }
    const { cf, created } = this.#columnFamily(descriptor.name, signature);
    let state: S;
    try {
      // The state validates the rest of its descriptor (TTL, functions) as it is made.
      state = make(cf, (name) => this.#drop(name));
      const ttl = (descriptor as { readonly ttl?: { readonly ttl: number } }).ttl;
      // Always on when TTL is: expired state that is never read again still goes away, also
      // from tables that nothing compacts any more (periodic compaction).
      if (ttl !== undefined) {
        this.#db.setTtlFilter(cf, { layout: kind === 'list' ? 'list' : 'value', ttlMs: ttl.ttl });
        this.#db.setPeriodicCompaction(cf, ttlCompactionPeriodSeconds(ttl.ttl));
      }
    } catch (e) {
      // A refused descriptor leaves nothing behind: the name stays free for a correct one.
      if (created.family) this.#db.dropColumnFamily(descriptor.name);
      if (created.signature) this.#db.defaultColumnFamily.delete(SIGNATURE_PREFIX + descriptor.name);
      throw e;
    }
    this.#states.set(descriptor.name, { signature, state });
    return state;
  }

  #drop(name: string): void {
    this.#states.delete(name);
    if (this.#db.columnFamilyNames().includes(name)) this.#db.dropColumnFamily(name);
    this.#db.defaultColumnFamily.delete(SIGNATURE_PREFIX + name);
  }

  valueState<K, V, N = undefined>(descriptor: ValueStateDescriptor<K, V, N>): ValueState<K, V, N> {
    return this.#state('value', descriptor, (cf, onDrop) => new LsmValueState(this.#ctx, cf, descriptor, onDrop) as LsmState<unknown, unknown>) as unknown as ValueState<K, V, N>;
  }

  listState<K, V, N = undefined>(descriptor: ListStateDescriptor<K, V, N>): ListState<K, V, N> {
    return this.#state('list', descriptor, (cf, onDrop) => new LsmListState(this.#ctx, cf, descriptor, onDrop) as LsmState<unknown, unknown>) as unknown as ListState<K, V, N>;
  }

  mapState<K, UK, UV, N = undefined>(descriptor: MapStateDescriptor<K, UK, UV, N>): MapState<K, UK, UV, N> {
    return this.#state('map', descriptor, (cf, onDrop) => new LsmMapState(this.#ctx, cf, descriptor, onDrop) as LsmState<unknown, unknown>) as unknown as MapState<K, UK, UV, N>;
  }

  reducingState<K, V, N = undefined>(descriptor: ReducingStateDescriptor<K, V, N>): ReducingState<K, V, N> {
    return this.#state('reducing', descriptor, (cf, onDrop) => new LsmReducingState(this.#ctx, cf, descriptor, onDrop) as LsmState<unknown, unknown>) as unknown as ReducingState<K, V, N>;
  }

  aggregatingState<K, IN, ACC, OUT, N = undefined>(descriptor: AggregatingStateDescriptor<K, IN, ACC, OUT, N>): AggregatingState<K, IN, OUT, N> {
    return this.#state('aggregating', descriptor, (cf, onDrop) => new LsmAggregatingState(this.#ctx, cf, descriptor, onDrop) as LsmState<unknown, unknown>) as unknown as AggregatingState<K, IN, OUT, N>;
  }

  timers<K, N = undefined>(name: string, descriptor: TimerServiceDescriptor<K, N>): TimerService<K, N> {
    this.#ctx.checkOpen();
    const existing = this.#timers.get(name);
    if (existing !== undefined) {
      checkSameTimerService(name, existing.descriptor, descriptor);
      return existing as unknown as TimerService<K, N>;
    }
    let service: TimerService<K, N> & { readonly descriptor: TimerServiceDescriptor<K, N> };
    if (this.#timerStore === 'heap') {
      const heap = new HeapTimers<K, N>({ keys: this.#ctx.keys, clock: this.clock, memory: this.#timerMemory, checkOpen: this.#ctx.checkOpen }, name, descriptor);
      // A restored checkpoint's timers come back. Without a restore the column family holds the
      // last checkpoint's timers, older than the state (some may have fired since): heap timers
      // are lost on close, so a reopen starts without them.
      const cfName = timerColumnFamily(name);
      if (this.#restoredFacts !== undefined && this.#db.columnFamilyNames().includes(cfName)) {
        for (const k of this.#db.columnFamily(cfName).keys()) heap.restoreCanonical(k);
      }
      const watermark = this.#restoredWatermarks[name];
      if (watermark !== undefined) heap.restoreWatermark(watermark);
      this.#heapTimers.set(name, heap as unknown as HeapTimers<unknown, unknown>);
      service = heap;
    } else {
      checkStateName(name, 'timer service');
      const cfName = timerColumnFamily(name);
      const cf = this.#db.columnFamilyNames().includes(cfName) ? this.#db.columnFamily(cfName) : this.#db.createColumnFamily(cfName);
      service = new LsmTimerService<K, N>(this.#ctx, cf, name, descriptor, this.#restoredWatermarks[name] ?? -Infinity);
    }
    this.#timers.set(name, service as unknown as TimerService<unknown, unknown> & { readonly descriptor: TimerServiceDescriptor<unknown, unknown> });
    return service;
  }

  stateNames(): string[] {
    this.#ctx.checkOpen();
    return [...this.#states.keys()];
  }

  dropState(name: string): void {
    this.#ctx.checkOpen();
    const registered = this.#states.get(name);
    if (registered !== undefined) registered.state.drop();
  }

  metrics(): StateBackendMetrics {
    this.#ctx.checkOpen();
    // The engine estimates sizes, so what caches hold back goes in first.
    this.#flushAll();
    const states: Record<string, StateMetrics> = {};
    let bytes = 0;
    for (const [name, { state }] of this.#states) {
      const m = state.metrics();
      states[name] = m;
      bytes += m.estimatedBytes;
    }
    let timers = 0;
    for (const service of this.#timers.values()) timers += service.size('event') + service.size('processing');
    const cache = this.#db.stats().blockCache;
    const lookups = cache.hits + cache.misses;
    return {
      kind: 'lsm',
      states,
      timers,
      estimatedBytes: bytes + this.#timerMemory.used,
      memoryBudget: this.#memoryBudget,
      // Counted always (an increment is small beside an LSM state's work), reported as the heap
      // backend reports them: with `statistics` only, so metrics have one shape per option.
      ...(this.#statistics && { reads: this.#stats.reads, writes: this.#stats.writes }),
      expiredRemoved: this.#stats.expiredRemoved,
      cacheHitRate: lookups === 0 ? 1 : cache.hits / lookups,
    };
  }

  /**
   * After a restore: checks the checkpoint fits this instance, drops the key groups it does not
   * own (one range deletion per state; timers by scan, as their keys lead with time), and gives
   * the database a fresh id (its tables are a new lineage in checkpoint stores).
   */
  #adoptRestored(): void {
    const meta = this.#db.defaultColumnFamily;
    // Checked before the storage was replaced (`open`); read again from the restored database.
    const facts = readCheckpointFacts(this.#db, this.maxParallelism);
    this.#restoredFacts = facts;
    this.#restoredWatermarks = facts.watermarks;
    const { from, to } = this.keyGroupRange;
    const outside: Array<[Uint8Array, Uint8Array]> = [];
    if (from > 0) outside.push([Uint8Array.of(0, 0), Uint8Array.of(from >>> 8, from & 0xff)]);
    if (to + 1 < 0x10000) outside.push([Uint8Array.of((to + 1) >>> 8, (to + 1) & 0xff), Uint8Array.of(0xff, 0xff, 0xff)]);
    for (const name of this.#db.columnFamilyNames()) {
      if (name === 'default') continue;
      const cf = this.#db.columnFamily(name);
      if (name.startsWith('_timers/')) {
        for (const k of cf.keys()) {
          const kg = (k[9]! << 8) | k[10]!;
          if (kg < from || kg > to) cf.delete(k);
        }
      } else {
        for (const [begin, end] of outside) cf.deleteRange(begin, end);
      }
    }
    meta.put(META.databaseId, crypto.randomUUID(), { sync: true });
  }

  /**
   * Copies this instance's key groups of every state and timer service from the restored
   * checkpoint database in `source` (rescaling: a new instance overlapping several old ones).
   */
  async #ingest(source: StorageAdapter, wasm: EngineSource | undefined): Promise<void> {
    const other = await openLsm({ storage: source, columnFamilyDefaults: { merge: 'listAppend' }, ...(wasm === undefined ? {} : { wasm }) });
    try {
      const facts = readCheckpointFacts(other, this.maxParallelism);
      this.#restoredWatermarks = lowestWatermarks(this.#restoredWatermarks, facts.watermarks);
      const { from, to } = this.keyGroupRange;
      const owned = { gte: Uint8Array.of(from >>> 8, from & 0xff), lt: Uint8Array.of((to + 1) >>> 8, (to + 1) & 0xff) };
      const meta = this.#db.defaultColumnFamily;
      for (const name of other.columnFamilyNames()) {
        if (name === 'default') continue;
        const timers = name.startsWith('_timers/');
        if (!timers) {
          const signature = other.defaultColumnFamily.getString(SIGNATURE_PREFIX + name);
          const mine = meta.getString(SIGNATURE_PREFIX + name);
          if (signature !== undefined && mine !== undefined && signature !== mine) {
            throw new InvalidArgumentError(`state "${name}" differs between the checkpoints being merged`, { state: name });
          }
          if (signature !== undefined && mine === undefined) meta.put(SIGNATURE_PREFIX + name, signature);
        }
        const cf = this.#db.columnFamilyNames().includes(name) ? this.#db.columnFamily(name) : this.#db.createColumnFamily(name, { merge: 'listAppend' });
        let batch = new WriteBatch();
        for (const [k, v] of other.columnFamily(name).entries(timers ? {} : owned)) {
          if (timers) {
            const kg = (k[9]! << 8) | k[10]!;
            if (kg < from || kg > to) continue;
          }
          batch.put(k, v, cf);
          if (batch.byteLength > 1 << 20) {
            this.#db.write(batch);
            batch = new WriteBatch();
          }
        }
        if (batch.count > 0) this.#db.write(batch);
      }
    } finally {
      await other.close();
    }
  }

  /** The app metadata of the checkpoint this backend was restored from (else undefined). */
  get restoredMetadata(): unknown {
    return this.#restoredFacts?.metadata;
  }

  /**
   * Takes a checkpoint: a consistent point of every state and timer, with `metadata` (JSON, e.g.
   * a source offset) attached. Incremental: tables a retained checkpoint already stored are only
   * referenced. Keeps the newest `checkpoints.retain` checkpoints.
   */
  async checkpoint(options: { readonly metadata?: unknown } = {}): Promise<CheckpointRecord> {
    this.#ctx.checkOpen();
    checkCheckpointMetadata(options.metadata);
    // The heap timers' column families exist before `takeCheckpoint` reserves a file per
    // family for the pin: made in the cut, they would not be counted.
    for (const name of this.#heapTimers.keys()) this.#heapTimerFamily(name);
    return takeCheckpoint(this.#db, this.#store, () => this.#cut(options.metadata), this.#retain, () => this.clock.now());
  }

  /** The column family heap timer service `name` is written to at checkpoints (made if new). */
  #heapTimerFamily(name: string): ColumnFamily {
    const cfName = timerColumnFamily(name);
    return this.#db.columnFamilyNames().includes(cfName) ? this.#db.columnFamily(cfName) : this.#db.createColumnFamily(cfName);
  }

  /**
   * Brings the database to the checkpoint's instant and returns the facts to record (see
   * `takeCheckpoint`: nothing awaits between this and the pin). Everything the backend holds
   * outside the engine goes in here, not when `checkpoint()` was called: a timer fired (deleted
   * from the engine at once) after the call must not be in a checkpoint that lacks the cached
   * write its callback made.
   */
  #cut(metadata: unknown): CheckpointFacts {
    this.#ctx.checkOpen();
    // What states hold back (write-back caches) goes in first.
    this.#flushAll();
    // Heap timers join the checkpoint in the timer column family's layout (replacing what an
    // earlier checkpoint left there).
    for (const [name, heap] of this.#heapTimers) {
      const cf = this.#heapTimerFamily(name);
      const batch = new WriteBatch().deleteRange(Uint8Array.of(0), Uint8Array.of(2), cf);
      heap.writeCanonical((k, v) => batch.put(k, v, cf));
      this.#db.write(batch);
    }
    // Services not asked for since the restore keep the restored watermark.
    const watermarks: Record<string, number> = { ...this.#restoredWatermarks };
    for (const [name, service] of this.#timers) watermarks[name] = service.currentWatermark();
    return {
      maxParallelism: this.maxParallelism,
      keyGroups: { from: this.keyGroupRange.from, to: this.keyGroupRange.to },
      ...watermarkFacts(watermarks),
      ...(metadata === undefined ? {} : { metadata }),
    };
  }

  /** The retained checkpoints, oldest first. */
  checkpoints(): Promise<CheckpointRecord[]> {
    return this.#store.listRecords();
  }

  /** A retained checkpoint as one self-contained blob (to download, keep, and import). */
  exportCheckpoint(id: string): Promise<Blob> {
    return exportCheckpoint(this.#store, id);
  }

  async close(): Promise<void> {
    if (this.#closed) {
      // A close the storage refused (full: QuotaExceededError) left the database, or its
      // storage, open with what it holds: closing again retries (it resolves at once when
      // nothing is left to do).
      await this.#db.close();
      return;
    }
    let unwritten: unknown;
    try {
      this.#flushAll();
    } catch (e) {
      // Full: the batch wrote nothing and the caches still hold every value, so the backend
      // stays open for a close after the app frees space. Any other failure closes it anyway.
      if (isRetryableStorageFailure(e)) throw e;
      unwritten = e;
    }
    this.#closed = true;
    for (const { state } of this.#states.values()) state.release();
    this.#states.clear();
    this.#timers.clear();
    await this.#db.close();
    // Closed either way; the caller learns that held-back values could not be written.
    if (unwritten !== undefined) throw unwritten;
  }
}

/** Per timer service, the lower of two checkpoints' watermarks; a service one lacks has none. */
function lowestWatermarks(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const lowest: Record<string, number> = {};
  for (const [name, w] of Object.entries(a)) {
    const other = b[name];
    if (other !== undefined) lowest[name] = Math.min(w, other);
  }
  return lowest;
}
