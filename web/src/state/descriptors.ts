/**
 * Validation of state descriptors, shared by the backends, and the signature that tells whether
 * two descriptors of the same name describe the same stored data.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Serializer, StateDescriptorBase, StateKind } from './types.js';

const NAME = /^[^_\u0000-\u001f][^\u0000-\u001f]{0,199}$/;

/** Throws unless `name` is a valid state name (1–200 characters, no control characters, not starting with `_`). */
export function checkStateName(name: unknown, what = 'state'): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidArgumentError(
      `${what} name must be 1–200 characters without control characters, not starting with "_" (reserved)`,
      { name: String(name) },
    );
  }
  return name;
}

/** Throws unless `s` has the shape of a {@link Serializer}. */
export function checkSerializer(s: unknown, field: string): Serializer<unknown> {
  const v = s as Partial<Serializer<unknown>> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.id !== 'string' ||
    typeof v.check !== 'function' ||
    typeof v.serialize !== 'function' ||
    typeof v.deserialize !== 'function'
  ) {
    throw new InvalidArgumentError(`descriptor.${field} must be a Serializer (id, check, serialize, deserialize)`, { field });
  }
  return v as Serializer<unknown>;
}

/** Throws unless `f` is a function. */
export function checkFunction(f: unknown, field: string): void {
  if (typeof f !== 'function') throw new InvalidArgumentError(`descriptor.${field} must be a function`, { field });
}

/**
 * Throws unless a present `descriptor.ttl` is an object; its fields are checked by `TtlPolicy`
 * when the state is made. `null` is refused rather than read as "no TTL": the backends test
 * `descriptor.ttl === undefined` to choose a state's class and cache, and TTL is turned off by
 * leaving the field out (as Flink's `enableTimeToLive` takes no null config).
 */
function checkTtlShape(ttl: unknown): { readonly ttl?: unknown } {
  if (typeof ttl !== 'object' || ttl === null) {
    throw new InvalidArgumentError('descriptor.ttl must be an object { ttl, update?, visibility? } or absent', { field: 'ttl', ttl: String(ttl) });
  }
  return ttl;
}

/** Extra serializers and functions each kind needs besides `key`/`namespace`. */
const REQUIRED: Readonly<Record<StateKind, { serializers: readonly string[]; functions: readonly string[] }>> = {
  value: { serializers: ['value'], functions: [] },
  list: { serializers: ['value'], functions: [] },
  map: { serializers: ['mapKey', 'value'], functions: [] },
  reducing: { serializers: ['value'], functions: ['reduce'] },
  aggregating: { serializers: ['accumulator'], functions: ['create', 'add', 'result'] },
};

/**
 * Validates a descriptor of `kind` and returns its signature: kind and serializer ids (and the
 * TTL lifetime), which must match when a state name is asked for again.
 */
export function checkDescriptor(kind: StateKind, descriptor: unknown): string {
  if (typeof descriptor !== 'object' || descriptor === null) {
    throw new InvalidArgumentError(`${kind}State needs a descriptor object`);
  }
  const d = descriptor as StateDescriptorBase<unknown, unknown> & Record<string, unknown>;
  checkStateName(d.name);
  const parts: string[] = [kind, `key=${checkSerializer(d.key, 'key').id}`];
  if (d.namespace !== undefined) parts.push(`ns=${checkSerializer(d.namespace, 'namespace').id}`);
  for (const field of REQUIRED[kind].serializers) parts.push(`${field}=${checkSerializer(d[field], field).id}`);
  for (const field of REQUIRED[kind].functions) checkFunction(d[field], field);
  if (d.ttl !== undefined) parts.push(`ttl=${checkTtlShape(d.ttl).ttl}`);
  return parts.join(';');
}

/** Throws unless a state registered again under `name` has the signature it was registered with. */
export function checkSameSignature(name: string, existing: string, requested: string): void {
  if (existing !== requested) {
    throw new InvalidArgumentError(`state "${name}" exists with a different kind or serializers`, { state: name, existing, requested });
  }
}
