/**
 * `describeStateBackendConformance(name, open)`: registers every conformance case as a vitest
 * test, grouped by the part of the contract it checks. A backend file calls it once:
 *
 * ```ts
 * describeStateBackendConformance('heap', ({ clock, maxParallelism, keyGroups }) =>
 *   createStateBackend({ kind: 'heap', clock, maxParallelism, keyGroups }));
 * ```
 */
import { describe, it } from 'vitest';
import { conformanceCases, type OpenStateBackend } from './cases.js';

/** Options of the suite. */
export interface ConformanceSuiteOptions {
  /** Runs per fast-check property (default 100). */
  readonly numRuns?: number;
  /** Per-test timeout in ms (default vitest's); raise it for slow backends. */
  readonly timeout?: number;
}

export function describeStateBackendConformance(name: string, open: OpenStateBackend, options: ConformanceSuiteOptions = {}): void {
  const cases = conformanceCases(options.numRuns === undefined ? {} : { numRuns: options.numRuns });
  const groups = [...new Set(cases.map((c) => c.group))];
  describe(`${name} state backend conformance`, () => {
    for (const group of groups) {
      describe(group, () => {
        for (const c of cases.filter((x) => x.group === group)) {
          it(c.name, () => c.run(open), options.timeout);
        }
      });
    }
  });
}
