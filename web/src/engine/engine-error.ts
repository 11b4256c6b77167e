/**
 * Turns what the wasm engine throws into edgestate's typed errors.
 */
import { EdgestateError, EngineCrashedError, errorFromCode, isErrorCode, type ErrorDetails } from '../errors.js';

const DETAIL_KEYS = ['op', 'file', 'kind', 'offset', 'len', 'limit'] as const;

/**
 * Maps an exception from the engine: its `EngineError`s carry a `code` and facts; a
 * `WebAssembly.RuntimeError` is a trap (an engine bug) after which the instance is unusable.
 */
export function fromEngineError(e: unknown): unknown {
  if (e instanceof EdgestateError) return e;
  if (e instanceof WebAssembly.RuntimeError) {
    return new EngineCrashedError(`the storage engine crashed: ${e.message}; reopen the database`, { cause: e.message });
  }
  if (e instanceof Error && e.name === 'EngineError') {
    const code: unknown = (e as unknown as Record<string, unknown>).code;
    if (isErrorCode(code)) {
      const details: Record<string, string | number> = {};
      for (const key of DETAIL_KEYS) {
        const v: unknown = (e as unknown as Record<string, unknown>)[key];
        if (typeof v === 'string' || typeof v === 'number') details[key] = v;
      }
      return errorFromCode(code, e.message, details as ErrorDetails);
    }
  }
  return e;
}
