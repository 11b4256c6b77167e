/**
 * A reference model of keyed state: the simplest code that has the documented semantics
 * (types.ts, ttl.ts), for property tests to compare backends against. Keys are strings,
 * namespaces i32 numbers or `undefined` (void); TTL visibility is `neverReturnExpired`, where
 * cleanup timing is unobservable, so every backend must agree with it exactly.
 */
import type { Clock, TtlUpdateType } from '../types.js';

/** TTL settings of a modelled state; `undefined` for none. */
export interface ModelTtl {
  readonly ttl: number;
  readonly update: TtlUpdateType;
}

const id = (key: string, ns: number | undefined): string => `${ns === undefined ? 'v' : `n${ns}`}|${key}`;

interface Stamped<T> {
  value: T;
  ts: number;
}

abstract class Model<E extends { key: string; ns: number | undefined }> {
  protected readonly cells = new Map<string, E>();
  constructor(
    protected readonly clock: Clock,
    protected readonly ttl: ModelTtl | undefined,
  ) {}

  protected expired(ts: number): boolean {
    return this.ttl !== undefined && ts + this.ttl.ttl <= this.clock.now();
  }

  protected get refreshOnRead(): boolean {
    return this.ttl?.update === 'onReadAndWrite';
  }

  /** Whether the cell has unexpired content. */
  protected abstract live(cell: E): boolean;

  clear(key: string, ns: number | undefined): void {
    this.cells.delete(id(key, ns));
  }

  /** Keys with live state in `ns`, sorted. */
  keys(ns: number | undefined): string[] {
    return [...this.cells.values()].filter((c) => c.ns === ns && this.live(c)).map((c) => c.key).sort();
  }

  /** `[key, ns]` pairs with live state, sorted. */
  pairs(): [string, number | undefined][] {
    return [...this.cells.values()]
      .filter((c) => this.live(c))
      .map((c): [string, number | undefined] => [c.key, c.ns])
      .sort((a, b) => (id(a[0], a[1]) < id(b[0], b[1]) ? -1 : 1));
  }

  clearAll(): void {
    this.cells.clear();
  }
}

/** ValueState (and, with `reduce`, ReducingState). */
export class ValueModel extends Model<{ key: string; ns: number | undefined; v: Stamped<number> }> {
  constructor(clock: Clock, ttl: ModelTtl | undefined, private readonly reduce?: (a: number, b: number) => number) {
    super(clock, ttl);
  }

  protected live(cell: { v: Stamped<number> }): boolean {
    return !this.expired(cell.v.ts);
  }

  get(key: string, ns: number | undefined, forUpdate = false): number | undefined {
    const cell = this.cells.get(id(key, ns));
    if (cell === undefined) return undefined;
    if (this.expired(cell.v.ts)) {
      this.cells.delete(id(key, ns));
      return undefined;
    }
    if (!forUpdate && this.refreshOnRead) cell.v.ts = this.clock.now();
    return cell.v.value;
  }

  put(key: string, value: number, ns: number | undefined): void {
    this.cells.set(id(key, ns), { key, ns, v: { value, ts: this.clock.now() } });
  }

  add(key: string, value: number, ns: number | undefined): void {
    const current = this.get(key, ns, true);
    this.put(key, current === undefined ? value : this.reduce!(current, value), ns);
  }
}

/** ListState. */
export class ListModel extends Model<{ key: string; ns: number | undefined; items: Stamped<number>[] }> {
  protected live(cell: { items: Stamped<number>[] }): boolean {
    return cell.items.some((i) => !this.expired(i.ts));
  }

  get(key: string, ns: number | undefined): number[] {
    const cell = this.cells.get(id(key, ns));
    if (cell === undefined) return [];
    cell.items = cell.items.filter((i) => !this.expired(i.ts));
    if (cell.items.length === 0) this.cells.delete(id(key, ns));
    if (this.refreshOnRead) for (const i of cell.items) i.ts = this.clock.now();
    return cell.items.map((i) => i.value);
  }

  addAll(key: string, values: readonly number[], ns: number | undefined): void {
    if (values.length === 0) return;
    const now = this.clock.now();
    const cell = this.cells.get(id(key, ns)) ?? { key, ns, items: [] };
    cell.items.push(...values.map((value) => ({ value, ts: now })));
    this.cells.set(id(key, ns), cell);
  }

  update(key: string, values: readonly number[], ns: number | undefined): void {
    this.cells.delete(id(key, ns));
    this.addAll(key, values, ns);
  }
}

/** MapState with string map keys and number values. */
export class MapModel extends Model<{ key: string; ns: number | undefined; entries: Map<string, Stamped<number>> }> {
  protected live(cell: { entries: Map<string, Stamped<number>> }): boolean {
    return [...cell.entries.values()].some((e) => !this.expired(e.ts));
  }

  #cell(key: string, ns: number | undefined): Map<string, Stamped<number>> | undefined {
    return this.cells.get(id(key, ns))?.entries;
  }

  #dropIfEmpty(key: string, ns: number | undefined): void {
    if (this.#cell(key, ns)?.size === 0) this.cells.delete(id(key, ns));
  }

  get(key: string, mapKey: string, ns: number | undefined): number | undefined {
    const entries = this.#cell(key, ns);
    const e = entries?.get(mapKey);
    if (entries === undefined || e === undefined) return undefined;
    if (this.expired(e.ts)) {
      entries.delete(mapKey);
      this.#dropIfEmpty(key, ns);
      return undefined;
    }
    if (this.refreshOnRead) e.ts = this.clock.now();
    return e.value;
  }

  putAll(key: string, entries: readonly (readonly [string, number])[], ns: number | undefined): void {
    if (entries.length === 0) return;
    const cell = this.cells.get(id(key, ns)) ?? { key, ns, entries: new Map<string, Stamped<number>>() };
    for (const [k, value] of entries) cell.entries.set(k, { value, ts: this.clock.now() });
    this.cells.set(id(key, ns), cell);
  }

  remove(key: string, mapKey: string, ns: number | undefined): void {
    this.#cell(key, ns)?.delete(mapKey);
    this.#dropIfEmpty(key, ns);
  }

  /** Live entries sorted by map key; expired ones are removed, live ones refreshed on read. */
  entries(key: string, ns: number | undefined): [string, number][] {
    const entries = this.#cell(key, ns);
    if (entries === undefined) return [];
    const out: [string, number][] = [];
    for (const [k, e] of [...entries]) {
      if (this.expired(e.ts)) {
        entries.delete(k);
      } else {
        if (this.refreshOnRead) e.ts = this.clock.now();
        out.push([k, e.value]);
      }
    }
    this.#dropIfEmpty(key, ns);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  isEmpty(key: string, ns: number | undefined): boolean {
    const entries = this.#cell(key, ns);
    return entries === undefined || ![...entries.values()].some((e) => !this.expired(e.ts));
  }
}
