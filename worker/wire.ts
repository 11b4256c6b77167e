/**
 * Carries edgestate's typed errors across `postMessage` intact.
 *
 * comlink sends a thrown `Error` as `{ name, message, stack }` and rebuilds a plain `Error`,
 * losing its class and fields. This wraps comlink's "throw" transfer handler so that an
 * `EdgestateError` travels as `{ code, message, details }` and is rebuilt as the same class on
 * the other side. Both sides must call {@link installErrorTransfer}.
 */
import { transferHandlers, type TransferHandler } from 'comlink';
import { EdgestateError, errorFromCode, isErrorCode, type ErrorDetails } from '../web/src/errors.js';

const MARK = '__edgestateError';

interface WireError {
  readonly [MARK]: true;
  readonly code: string;
  /** The class name, for subclasses registered with `registerErrorClass`. */
  readonly name: string;
  readonly message: string;
  readonly details: ErrorDetails;
}

/** The serializable form of an edgestate error. */
export function errorToWire(e: EdgestateError): WireError {
  return { [MARK]: true, code: e.code, name: e.name, message: e.message, details: e.details };
}

/** Rebuilds an error from its wire form; `undefined` if `value` is not one. */
export function errorFromWire(value: unknown): EdgestateError | undefined {
  if (typeof value !== 'object' || value === null || !(MARK in value)) return undefined;
  const wire = value as WireError;
  if (!isErrorCode(wire.code)) return undefined;
  return errorFromCode(wire.code, wire.message, wire.details, typeof wire.name === 'string' ? wire.name : undefined);
}

let installed = false;

/** Installs the error transfer on this side of the channel (idempotent). */
export function installErrorTransfer(): void {
  if (installed) return;
  const original = transferHandlers.get('throw') as TransferHandler<{ value: unknown }, unknown> | undefined;
  if (original === undefined) throw new Error('comlink has no "throw" transfer handler to extend');
  const handler: TransferHandler<{ value: unknown }, unknown> = {
    canHandle: (value): value is { value: unknown } => original.canHandle(value),
    serialize(thrown) {
      if (thrown.value instanceof EdgestateError) return [{ isError: true, value: errorToWire(thrown.value) }, []];
      return original.serialize(thrown);
    },
    deserialize(serialized) {
      const wire = (serialized as { value?: unknown } | null)?.value;
      const error = errorFromWire(wire);
      if (error !== undefined) throw error;
      return original.deserialize(serialized);
    },
  };
  transferHandlers.set('throw', handler);
  installed = true;
}
