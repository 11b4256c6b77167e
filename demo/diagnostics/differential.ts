/**
 * Differential test of the engine in a browser: one seeded random sequence of operations runs
 * against the wasm engine in a worker (through `connect()`, so the wire is tested too) and
 * against {@link SortedModel}; every answer is compared.
 *
 * Operations: put (some with `sync`), delete, putMany (with repeated keys), get, scan with
 * bounds and limit, sync, flush, count, reopen (close + open) and crash (terminate the worker,
 * open in a new one). After a crash the model is rolled back to what the storage promises to
 * keep: OPFS keeps every acknowledged write; IndexedDB (written behind, with automatic flushes
 * turned off here) keeps the state at the last `flush()`/close/open; memory keeps nothing.
 */
import type { EngineClient, WorkerOpenOptions, WorkerStorageKind } from '../../worker/index.js';
import { SeededRandom } from './random.js';
import { SortedModel } from './sorted-model.js';

/** Options of {@link runDifferential}. */
export interface DifferentialOptions {
  readonly seed: number;
  /** How many operations to run (each batch of `putMany` counts as one). */
  readonly operations: number;
  readonly storage: WorkerStorageKind;
  /** Database name; use a fresh one per run. */
  readonly name: string;
  /** Starts a fresh engine worker and returns its client (called at start and after each crash). */
  readonly startWorker: () => EngineClient;
  /** Stop after this many mismatches (default 5: later ones are usually consequences). */
  readonly maxMismatches?: number;
}

/** One disagreement between the engine and the model. */
export interface Mismatch {
  /** Index of the operation in the sequence. */
  readonly index: number;
  readonly operation: string;
  readonly expected: string;
  readonly actual: string;
}

/** What a run did and found. */
export interface DifferentialReport {
  readonly seed: number;
  readonly storage: WorkerStorageKind;
  /** Operations run (fewer than asked only if the run stopped on mismatches). */
  readonly operations: number;
  /** Operations run, by kind. */
  readonly byKind: Readonly<Record<OpKind, number>>;
  /** Time spent in each kind of operation (comparisons included), in ms. */
  readonly millisByKind: Readonly<Record<OpKind, number>>;
  /** Entries written by puts and batches. */
  readonly entriesWritten: number;
  readonly mismatches: readonly Mismatch[];
  /** Engine flushes (memtable → table) and compactions, summed over every session. */
  readonly flushes: number;
  readonly compactions: number;
  /** Live keys at the end. */
  readonly finalKeys: number;
  readonly millis: number;
}

type OpKind = 'put' | 'delete' | 'putMany' | 'get' | 'scan' | 'sync' | 'flush' | 'count' | 'reopen' | 'crash';

/**
 * Relative frequency of each operation, per 10 000. Durable operations (sync, flush, `sync`
 * puts) are rare because each costs a real fsync on OPFS.
 */
const WEIGHTS: ReadonlyArray<readonly [OpKind, number]> = [
  ['put', 3800],
  ['delete', 1100],
  ['putMany', 700],
  ['get', 3332],
  ['scan', 900],
  ['sync', 50],
  ['flush', 100],
  ['count', 50],
  ['reopen', 10],
  ['crash', 8],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);

/** Distinct keys: small enough that keys are overwritten and deleted often. */
const KEY_SPACE = 3000;
/** IndexedDB's automatic write-behind is turned off, so only flush/close/open persist. */
const NO_AUTOMATIC_FLUSH_MS = 1_000_000_000;
/** A replaced worker's lock is released asynchronously: wait for it. */
const LOCK_WAIT_MS = 10_000;

const ascii = new TextEncoder();

/** Key number `i`: mostly ASCII; one in seven starts with a byte ≥ 0x80 (not UTF-8), to check bytewise order. */
function keyOf(i: number): Uint8Array {
  const text = ascii.encode(`k${i.toString(36).padStart(3, '0')}`);
  if (i % 7 !== 0) return text;
  const key = new Uint8Array(text.length + 1);
  key[0] = 0xfd + (i % 3);
  key.set(text, 1);
  return key;
}

function hex(bytes: Uint8Array | undefined, max = 16): string {
  if (bytes === undefined) return 'undefined';
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return bytes.length > max ? `${shown}…(${bytes.length} bytes)` : shown;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The first difference between two lists of entries, or `undefined`. */
function entriesDiffer(expected: Array<[Uint8Array, Uint8Array]>, actual: Array<[Uint8Array, Uint8Array]>): { expected: string; actual: string } | undefined {
  for (let i = 0; i < Math.max(expected.length, actual.length); i++) {
    const e = expected[i];
    const a = actual[i];
    if (e === undefined || a === undefined || !sameBytes(e[0], a[0]) || !sameBytes(e[1], a[1])) {
      const show = (x: [Uint8Array, Uint8Array] | undefined) => (x === undefined ? 'nothing' : `${hex(x[0])}=${hex(x[1], 8)}`);
      return { expected: `${expected.length} entries, #${i}: ${show(e)}`, actual: `${actual.length} entries, #${i}: ${show(a)}` };
    }
  }
  return undefined;
}

/** Runs the sequence that `options.seed` defines; resolves to the report (never rejects on a mismatch). */
export async function runDifferential(options: DifferentialOptions): Promise<DifferentialReport> {
  const started = performance.now();
  const rng = new SeededRandom(options.seed);
  const maxMismatches = options.maxMismatches ?? 5;
  const openOptions: WorkerOpenOptions = {
    name: options.name,
    storage: options.storage,
    lockTimeoutMs: LOCK_WAIT_MS,
    ...(options.storage === 'indexeddb' ? { flushDelayMs: NO_AUTOMATIC_FLUSH_MS } : {}),
  };
  const byKind = Object.fromEntries(WEIGHTS.map(([k]) => [k, 0])) as Record<OpKind, number>;
  const millisByKind = Object.fromEntries(WEIGHTS.map(([k]) => [k, 0])) as Record<OpKind, number>;
  const mismatches: Mismatch[] = [];
  let model = new SortedModel();
  /** What survives a crash (see the module comment). */
  let durable = new SortedModel();
  let flushes = 0;
  let compactions = 0;
  let entriesWritten = 0;

  let client = options.startWorker();
  await client.open(openOptions);

  const value = (): Uint8Array => {
    const r = rng.below(100);
    return rng.bytes(r < 70 ? rng.below(200) : r < 95 ? rng.between(200, 2000) : rng.between(2000, 8000));
  };
  const anyKey = () => keyOf(rng.below(KEY_SPACE));
  const pick = (): OpKind => {
    let r = rng.below(TOTAL_WEIGHT);
    for (const [kind, w] of WEIGHTS) if ((r -= w) < 0) return kind;
    return 'get';
  };
  const addStats = async () => {
    const s = await client.stats();
    flushes += s.flushes;
    compactions += s.compactions;
  };
  const afterWrite = () => {
    if (options.storage === 'opfs') durable = model;
  };
  /** Compares everything: count and a full scan. */
  const compareAll = async (index: number, operation: string) => {
    const actual = (await client.entries()) as Array<[Uint8Array, Uint8Array]>;
    const diff = entriesDiffer(model.scan(undefined, undefined), actual);
    if (diff) mismatches.push({ index, operation: `${operation}: full scan`, ...diff });
    const count = await client.count();
    if (count !== model.size) mismatches.push({ index, operation: `${operation}: count`, expected: String(model.size), actual: String(count) });
  };

  let index = 0;
  for (; index < options.operations && mismatches.length < maxMismatches; index++) {
    const kind = pick();
    byKind[kind]++;
    let described: string = kind;
    const opStarted = performance.now();
    try {
      switch (kind) {
        case 'put': {
          const k = anyKey();
          const v = value();
          const sync = rng.chance(0.005);
          described = `put ${hex(k)} (${v.length} bytes${sync ? ', sync' : ''})`;
          await client.put(k, v, sync ? { sync } : undefined);
          // OPFS keeps the model object current; a copy is needed only where crashes roll back.
          model.put(k, v);
          entriesWritten++;
          afterWrite();
          break;
        }
        case 'delete': {
          const k = anyKey();
          described = `delete ${hex(k)}`;
          await client.delete(k);
          model.delete(k);
          afterWrite();
          break;
        }
        case 'putMany': {
          const n = rng.between(1, 60);
          // Repeated keys within a batch are allowed: the later one wins, as in the engine.
          const entries = Array.from({ length: n }, (): [Uint8Array, Uint8Array] => [anyKey(), value()]);
          described = `putMany of ${n}, first ${hex(entries[0]?.[0])}`;
          await client.putMany(entries);
          for (const [k, v] of entries) model.put(k, v);
          entriesWritten += n;
          afterWrite();
          break;
        }
        case 'get': {
          const k = rng.chance(0.03) ? ascii.encode(`absent-${rng.below(1000)}`) : anyKey();
          described = `get ${hex(k)}`;
          const actual = (await client.get(k)) as Uint8Array | undefined;
          const expected = model.get(k);
          if (!sameBytes(actual, expected)) mismatches.push({ index, operation: described, expected: hex(expected), actual: hex(actual) });
          break;
        }
        case 'scan': {
          const from = rng.chance(0.2) ? undefined : anyKey();
          const to = rng.chance(0.2) ? undefined : anyKey();
          const limit = rng.between(1, 64);
          described = `scan [${hex(from)}, ${hex(to)}) limit ${limit}`;
          const actual = (await client.entries({ ...(from ? { from } : {}), ...(to ? { to } : {}), limit })) as Array<[Uint8Array, Uint8Array]>;
          const diff = entriesDiffer(model.scan(from, to, limit), actual);
          if (diff) mismatches.push({ index, operation: described, ...diff });
          break;
        }
        case 'sync':
          await client.sync();
          break;
        case 'flush':
          await client.flush();
          if (options.storage === 'indexeddb') durable = model.clone();
          break;
        case 'count': {
          const count = await client.count();
          if (count !== model.size) mismatches.push({ index, operation: 'count', expected: String(model.size), actual: String(count) });
          break;
        }
        case 'reopen':
          await addStats();
          await client.close();
          await client.open(openOptions);
          if (options.storage !== 'memory') durable = model.clone();
          await compareAll(index, 'reopen');
          break;
        case 'crash':
          await addStats();
          client.terminate();
          client = options.startWorker();
          await client.open(openOptions);
          model = options.storage === 'memory' ? new SortedModel() : durable.clone();
          durable = options.storage === 'memory' ? new SortedModel() : model.clone();
          await compareAll(index, 'crash');
          break;
      }
    } catch (e) {
      mismatches.push({ index, operation: described, expected: 'success', actual: `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
    }
    millisByKind[kind] += performance.now() - opStarted;
  }
  if (mismatches.length < maxMismatches) await compareAll(index, 'end');
  await addStats();
  await client.close();
  client.terminate();
  return {
    seed: options.seed,
    storage: options.storage,
    operations: index,
    byKind,
    millisByKind: Object.fromEntries(Object.entries(millisByKind).map(([k, ms]) => [k, Math.round(ms)])) as Record<OpKind, number>,
    entriesWritten,
    mismatches,
    flushes,
    compactions,
    finalKeys: model.size,
    millis: Math.round(performance.now() - started),
  };
}
