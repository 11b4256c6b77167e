/** The `statistics` option both backends take (see CommonStateBackendOptions in create.ts). */
import { InvalidArgumentError } from '../errors.js';

/**
 * `statistics`, checked: true or false (undefined: false), else `InvalidArgumentError`. Checked
 * by `createStateBackend` and again by each backend's `open`, which are public too.
 */
export function checkStatistics(statistics: unknown): boolean {
  if (statistics !== undefined && typeof statistics !== 'boolean') {
    throw new InvalidArgumentError('statistics must be a boolean', { statistics: String(statistics) });
  }
  return statistics === true;
}
