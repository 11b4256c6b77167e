/** How the demo shows an error: a typed edgestate error with its class, code and message. */
import { EdgestateError } from '../web/src/errors.js';

export function describeError(e: unknown): string {
  if (e instanceof EdgestateError) return `${e.name} (${e.code}): ${e.message}`;
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}
