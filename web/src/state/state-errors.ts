/**
 * Errors specific to keyed state. They reuse the stable codes of `web/src/errors.ts` (so they
 * cross a worker boundary as their base class) and add `name`s of their own.
 */
import { EdgestateError, InvalidArgumentError, UnsupportedError, type ErrorDetails } from '../errors.js';

/** A state handle was used after its state was dropped; `details.state` names it. */
export class StateDroppedError extends InvalidArgumentError {
  override readonly name: string = 'StateDroppedError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
  }
}

/**
 * A write would take the backend's estimated memory past its `memoryBudget`; nothing was
 * written. `details` has `estimatedBytes`, `neededBytes`, `budget` and `state`. Free state
 * (clear, TTL, drop) or move to the LSM backend. Code `QUOTA_EXCEEDED`: a budget, like a quota.
 */
export class StateMemoryExceededError extends EdgestateError {
  override readonly name: string = 'StateMemoryExceededError';

  constructor(message: string, details: ErrorDetails = {}) {
    super('QUOTA_EXCEEDED', message, details);
  }
}

/** The requested backend kind is not available in this build; `details.kind` names it. */
export class StateBackendUnavailableError extends UnsupportedError {
  override readonly name: string = 'StateBackendUnavailableError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
  }
}
