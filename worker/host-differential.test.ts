import { expect, it } from 'vitest';
import { runDifferential } from '../demo/diagnostics/differential.js';
import type { EngineClient } from './connect.js';
import { inProcessHosts } from './host-test-support.js';

// The differential runner that tests/browser/differential.spec.ts drives in Chromium, here over
// in-process hosts on memory storage: it agrees with the model, and it does catch a wrong answer.

/** A fresh host (a "worker": its memory storages die with it) and a client for it. */
const startHost = inProcessHosts();

it('the engine behind a host agrees with the sorted-map model over 3000 seeded operations on memory storage', async () => {
  const report = await runDifferential({ seed: 7, operations: 3000, storage: 'memory', name: 'diff', startWorker: startHost });
  expect(report.mismatches).toEqual([]);
  expect(report.operations).toBe(3000);
  expect(report.byKind.get).toBeGreaterThan(500);
  expect(report.byKind.scan).toBeGreaterThan(100);
});

it('the same seed runs the same operations', async () => {
  const a = await runDifferential({ seed: 11, operations: 500, storage: 'memory', name: 'a', startWorker: startHost });
  const b = await runDifferential({ seed: 11, operations: 500, storage: 'memory', name: 'b', startWorker: startHost });
  expect([b.byKind, b.entriesWritten, b.finalKeys]).toEqual([a.byKind, a.entriesWritten, a.finalKeys]);
});

it('a client that answers one get wrongly is caught, with the operation named', async () => {
  let gets = 0;
  const lying = (): EngineClient => {
    const client = startHost();
    const get = client.get.bind(client);
    return Object.assign(client, {
      get: async (...args: Parameters<EngineClient['get']>) => {
        const value = await get(...args);
        return ++gets === 200 ? new Uint8Array([1, 2, 3]) : value;
      },
    });
  };
  const report = await runDifferential({ seed: 7, operations: 3000, storage: 'memory', name: 'lie', startWorker: lying });
  expect(report.mismatches).toHaveLength(1);
  expect(report.mismatches[0]?.operation).toMatch(/^get /);
  expect(report.mismatches[0]?.actual).toBe('010203');
});
