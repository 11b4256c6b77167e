/**
 * State time-to-live, shared by the backends: validation of {@link TtlConfig}, the expiry rule,
 * and the byte framing of TTL'd values in the LSM layout.
 *
 * Rule: an entry written (or, with `onReadAndWrite`, last read) at `t` is expired at `now` when
 * `t + ttl <= now`, as in Flink. Reading an expired entry removes it (cleanup on read); with
 * `returnExpiredIfNotCleanedUp` that read still returns it. Adding to an expired reducing or
 * aggregating value starts from empty. Every list element and map entry has its own time.
 */
import { CorruptionError, InvalidArgumentError } from '../errors.js';
import type { Clock, TtlConfig, TtlUpdateType, TtlVisibility } from './types.js';

/** Default number of entries the heap backend examines per state access. */
export const DEFAULT_INCREMENTAL_CLEANUP_SIZE = 5;

/** A validated TTL configuration bound to a clock. */
export class TtlPolicy {
  readonly ttl: number;
  readonly update: TtlUpdateType;
  readonly visibility: TtlVisibility;
  readonly incrementalCleanupSize: number;
  readonly clock: Clock;

  constructor(config: TtlConfig, clock: Clock) {
    const c = config as Partial<TtlConfig> | null;
    if (typeof c !== 'object' || c === null) throw new InvalidArgumentError('ttl must be an object { ttl, update?, visibility? }');
    if (typeof c.ttl !== 'number' || !Number.isSafeInteger(c.ttl) || c.ttl < 1) {
      throw new InvalidArgumentError('ttl.ttl must be a positive integer number of ms', { ttl: String(c.ttl) });
    }
    const update = c.update ?? 'onCreateAndWrite';
    if (update !== 'onCreateAndWrite' && update !== 'onReadAndWrite') {
      throw new InvalidArgumentError("ttl.update must be 'onCreateAndWrite' or 'onReadAndWrite'", { update: String(update) });
    }
    const visibility = c.visibility ?? 'neverReturnExpired';
    if (visibility !== 'neverReturnExpired' && visibility !== 'returnExpiredIfNotCleanedUp') {
      throw new InvalidArgumentError("ttl.visibility must be 'neverReturnExpired' or 'returnExpiredIfNotCleanedUp'", {
        visibility: String(visibility),
      });
    }
    const cleanup = c.incrementalCleanupSize ?? DEFAULT_INCREMENTAL_CLEANUP_SIZE;
    if (!Number.isSafeInteger(cleanup) || cleanup < 0) {
      throw new InvalidArgumentError('ttl.incrementalCleanupSize must be an integer >= 0', { incrementalCleanupSize: String(cleanup) });
    }
    this.ttl = c.ttl;
    this.update = update;
    this.visibility = visibility;
    this.incrementalCleanupSize = cleanup;
    this.clock = clock;
  }

  /** Whether an entry stamped `timestamp` is expired at `now`. */
  isExpired(timestamp: number, now: number): boolean {
    return timestamp + this.ttl <= now;
  }

  /** Whether reads restart the entry's lifetime. */
  get refreshOnRead(): boolean {
    return this.update === 'onReadAndWrite';
  }

  /** Whether a read that meets an expired entry still returns it (once: the read removes it). */
  get returnExpired(): boolean {
    return this.visibility === 'returnExpiredIfNotCleanedUp';
  }
}

/** LSM value framing with TTL: `timestamp:i64be | value`. The compaction filter reads the first 8 bytes. */
export function encodeTtlValue(timestamp: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + value.length);
  new DataView(out.buffer).setBigInt64(0, BigInt(Math.floor(timestamp)));
  out.set(value, 8);
  return out;
}

/** Splits a TTL-framed value into its timestamp and the value bytes (a view). */
export function decodeTtlValue(bytes: Uint8Array): { readonly timestamp: number; readonly value: Uint8Array } {
  if (bytes.length < 8) throw new CorruptionError('TTL value shorter than its 8-byte timestamp', { length: bytes.length });
  const timestamp = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigInt64(0));
  return { timestamp, value: bytes.subarray(8) };
}
