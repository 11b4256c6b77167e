/**
 * Snapshots: a consistent, unchanging view of a database at one point in its write history.
 */
import { InvalidArgumentError } from '../errors.js';
import type { EngineCore } from './engine-core.js';

/**
 * Reads given `{ snapshot }` see the database exactly as it was when the snapshot was taken,
 * whatever was written since. Release it when done: an open
 * snapshot keeps compaction from dropping the versions it sees.
 */
export class Snapshot {
  readonly #core: EngineCore;
  #id: number;
  /** The sequence number of the last write it sees. */
  readonly sequence: number;

  /** @internal Use `LsmDatabase.snapshot()`. */
  constructor(core: EngineCore, id: number, sequence: number) {
    this.#core = core;
    this.#id = id;
    this.sequence = sequence;
  }

  /** Whether {@link Snapshot.release} has been called. */
  get released(): boolean {
    return this.#id === 0;
  }

  /** Lets compaction drop what only this snapshot needed. Idempotent. */
  release(): void {
    if (this.#id === 0) return;
    this.#core.releaseSnapshot(this.#id);
    this.#id = 0;
  }

  /** @internal The engine's id of this snapshot, checked to belong to `core`. */
  idFor(core: EngineCore): number {
    if (core !== this.#core) throw new InvalidArgumentError('the snapshot belongs to another database', { argument: 'snapshot' });
    if (this.#id === 0) throw new InvalidArgumentError('the snapshot was released', { argument: 'snapshot' });
    return this.#id;
  }
}
