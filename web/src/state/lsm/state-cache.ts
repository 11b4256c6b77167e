/**
 * A bounded cache of deserialized values in front of the engine, for single-value states (value,
 * reducing, aggregating) without TTL whose keys and namespaces are primitives with built-in
 * serializers. A hit skips key serialization, the crossing into wasm and deserialization — the
 * difference between a Map lookup and an engine read.
 *
 * Correct because every write to such a state goes through its handle (the one per name the
 * backend hands out), which writes through: the cache holds what the engine holds, including
 * "absent". Evicts in insertion order when full. Values are returned as stored: as with the heap
 * backend, callers must not mutate them.
 */

/** Serializers whose bytes are a function of the JS value's identity under SameValueZero. */
const PRIMITIVE_SERIALIZERS = new Set(['string', 'f64', 'i32', 'i64', 'boolean']);

/** Whether a state with these key/namespace serializer ids may be cached. */
export function cacheableSerializers(keyId: string, namespaceId: string | undefined): boolean {
  return PRIMITIVE_SERIALIZERS.has(keyId) && (namespaceId === undefined || PRIMITIVE_SERIALIZERS.has(namespaceId));
}

/** Returned by {@link StateCache.get} when the cache does not know. */
export const MISS: unique symbol = Symbol('miss');

export class StateCache<S> {
  readonly #byNamespace = new Map<unknown, Map<unknown, S | undefined>>();
  #size = 0;
  readonly capacity: number;
  hits = 0;
  misses = 0;

  /** Called with each entry evicted to make room (a write-back owner writes dirty ones out). */
  readonly #onEvict: ((key: unknown, namespace: unknown, value: S | undefined) => void) | undefined;

  constructor(capacity: number, onEvict?: (key: unknown, namespace: unknown, value: S | undefined) => void) {
    this.capacity = capacity;
    this.#onEvict = onEvict;
  }

  /** The cached value (`undefined`: known absent), or {@link MISS}. */
  get(key: unknown, namespace: unknown): S | undefined | typeof MISS {
    const m = this.#byNamespace.get(namespace);
    if (m !== undefined) {
      const v = m.get(key);
      if (v !== undefined || m.has(key)) {
        this.hits++;
        return v;
      }
    }
    this.misses++;
    return MISS;
  }

  /** Records `value` (`undefined`: absent) for (key, namespace). */
  set(key: unknown, namespace: unknown, value: S | undefined): void {
    let m = this.#byNamespace.get(namespace);
    if (m === undefined) {
      m = new Map();
      this.#byNamespace.set(namespace, m);
    }
    if (!m.has(key)) {
      if (this.#size >= this.capacity) this.#evict();
      this.#size++;
    }
    m.set(key, value);
  }

  /** Forgets everything (after a clear of the whole state, or a drop). */
  clear(): void {
    this.#byNamespace.clear();
    this.#size = 0;
  }

  #evict(): void {
    for (const [ns, m] of this.#byNamespace) {
      for (const [key, value] of m) {
        m.delete(key);
        this.#size--;
        if (m.size === 0) this.#byNamespace.delete(ns);
        this.#onEvict?.(key, ns, value);
        return;
      }
      this.#byNamespace.delete(ns);
    }
  }
}
