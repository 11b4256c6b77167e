/**
 * Errors specific to keyed state. They reuse the stable codes of `web/src/errors.ts` and add
 * `name`s of their own, registered so they cross a worker boundary as themselves.
 */
import { InvalidArgumentError, MemoryExceededError, registerErrorClass, UnsupportedError, type ErrorDetails } from '../errors.js';

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
 * (clear, TTL, drop) or move to the LSM backend. Code `MEMORY_EXCEEDED`.
 */
export class StateMemoryExceededError extends MemoryExceededError {
  override readonly name: string = 'StateMemoryExceededError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
  }
}

/** The requested backend kind is not available in this build; `details.kind` names it. */
export class StateBackendUnavailableError extends UnsupportedError {
  override readonly name: string = 'StateBackendUnavailableError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
  }
}

/** The error for a call on state `name` after it was dropped. */
export function stateDropped(name: string): StateDroppedError {
  return new StateDroppedError(`state "${name}" was dropped`, { state: name });
}

/** The error for a namespace given to state `name`, which has no namespace serializer. */
export function noNamespaceSerializer(name: string): InvalidArgumentError {
  return new InvalidArgumentError(`state "${name}" has no namespace serializer; call it without a namespace`, { state: name });
}

registerErrorClass(StateDroppedError);
registerErrorClass(StateMemoryExceededError);
registerErrorClass(StateBackendUnavailableError);
