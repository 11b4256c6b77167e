import { describe, it } from 'vitest';
import { memoryCheckpointStore } from './memory-store.js';
import { applicableChecks, runCheckpointStoreCheck } from './store-conformance.js';

describe('the memory checkpoint store passes the checkpoint store conformance checks', () => {
  for (const check of applicableChecks(false)) {
    it(check.name, () => runCheckpointStoreCheck(check, async () => ({ store: memoryCheckpointStore() })));
  }
});
