/**
 * Errors of checkpoint import: each names what is wrong, and each is thrown before live state is
 * touched.
 */
import { CorruptionError, InvalidArgumentError, registerErrorClass, UnsupportedError, type ErrorDetails } from '../errors.js';

/** The input is not a well-formed edgestate checkpoint export (wrong magic, bad header, bad sizes, bad checksum…). */
export class CheckpointFormatError extends CorruptionError {
  override readonly name: string = 'CheckpointFormatError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
  }
}

/** The export was written by a format version this library does not read. */
export class CheckpointVersionError extends UnsupportedError {
  override readonly name: string = 'CheckpointVersionError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
  }
}

/** No retained checkpoint has this id. */
export class CheckpointNotFoundError extends InvalidArgumentError {
  override readonly name: string = 'CheckpointNotFoundError';

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details);
  }
}

registerErrorClass(CheckpointFormatError);
registerErrorClass(CheckpointVersionError);
registerErrorClass(CheckpointNotFoundError);
