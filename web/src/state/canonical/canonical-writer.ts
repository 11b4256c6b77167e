/**
 * Builds the canonical form of a checkpoint (docs/checkpoints.md) from state that is not already
 * in an engine database — the heap backend's: a fresh engine database in memory holding
 *
 *   default            edgestate.state/<name> → the state's signature (descriptors.ts)
 *   <state name>       one entry per state entry, laid out as docs/state-layout.md says
 *   _timers/<service>  one entry per pending timer
 *
 * which `takeCheckpoint` (lsm/lsm-checkpoints.ts) then stores like any LSM database, adding the
 * backend facts. Entries are written in WriteBatches of about {@link BATCH_BYTES}, so building a
 * large checkpoint crosses into the engine once per batch, with bounded JavaScript memory.
 */
import { openLsm, type LsmDatabase } from '../../engine/lsm-database.js';
import type { EngineSource } from '../../engine/wasm-module.js';
import { WriteBatch } from '../../engine/write-batch.js';
import { memoryStorage } from '../../storage/memory.js';
import type { ColumnFamily } from '../../engine/column-family.js';

/** Default-column-family key prefix of state signatures (as the LSM backend stores them). */
export const SIGNATURE_PREFIX = 'edgestate.state/';
/** Column family name prefix of timer services (as lsm/lsm-timer-service.ts names them). */
export const TIMERS_PREFIX = '_timers/';
/** Bytes of encoded operations per WriteBatch. */
const BATCH_BYTES = 1 << 20;

/** Writes a canonical database; `finish()` applies what is still batched. */
export class CanonicalWriter {
  readonly database: LsmDatabase;
  readonly #batch = new WriteBatch();

  private constructor(database: LsmDatabase) {
    this.database = database;
  }

  /**
   * A fresh, empty canonical database in memory. Every column family has the `listAppend` merge
   * operator, as in the LSM backend, so list values read back alike.
   */
  static async create(wasm?: EngineSource): Promise<CanonicalWriter> {
    const database = await openLsm({
      storage: memoryStorage('canonical-checkpoint'),
      columnFamilyDefaults: { merge: 'listAppend' },
      ...(wasm === undefined ? {} : { wasm }),
    });
    return new CanonicalWriter(database);
  }

  #sink(cf: ColumnFamily): (key: Uint8Array, value: Uint8Array) => void {
    return (key, value) => {
      this.#batch.put(key, value, cf);
      if (this.#batch.byteLength >= BATCH_BYTES) this.#flush();
    };
  }

  #flush(): void {
    if (this.#batch.count === 0) return;
    this.database.write(this.#batch);
    this.#batch.clear();
  }

  /** Registers state `name` with its `signature`; returns where its entries go. */
  state(name: string, signature: string): (key: Uint8Array, value: Uint8Array) => void {
    this.database.defaultColumnFamily.put(SIGNATURE_PREFIX + name, signature);
    return this.#sink(this.database.createColumnFamily(name, { merge: 'listAppend' }));
  }

  /** Registers timer service `name`; returns where its timer entries go. */
  timers(name: string): (key: Uint8Array, value: Uint8Array) => void {
    return this.#sink(this.database.createColumnFamily(TIMERS_PREFIX + name));
  }

  /** Applies every batched entry. */
  finish(): void {
    this.#flush();
  }
}
