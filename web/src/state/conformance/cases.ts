/**
 * Every conformance case, runner-free: run them under vitest with `describeStateBackendConformance`
 * (suite.ts), or call `run(open)` on each inside a browser page.
 */
import type { ConformanceCase } from './case.js';
import { inputCases } from './input-cases.js';
import { propertyCases } from './property-cases.js';
import { stateCases } from './state-cases.js';
import { timerCases } from './timer-cases.js';
import { ttlCases } from './ttl-cases.js';

export type { BackendRequest, ConformanceCase, OpenStateBackend } from './case.js';
export { ConformanceFailure } from './assert.js';

/** All cases; `numRuns` per fast-check property. */
export function conformanceCases(options: { readonly numRuns?: number } = {}): readonly ConformanceCase[] {
  return [...stateCases, ...ttlCases, ...timerCases, ...inputCases, ...propertyCases(options.numRuns)];
}
