import { expect, it, vi } from 'vitest';
import { DatabaseLockedError, EdgestateError, QuotaExceededError } from '../web/src/errors.js';
import type { OpenedStorage, StorageAdapter } from '../web/src/storage/host-vfs.js';
import { inProcessHosts } from './host-test-support.js';

// A storage failure in the worker reaches the page as the same typed error, not as a plain
// Error named after the DOMException. The host's memory storage is replaced by one whose
// open or flush fails as the browser's storages fail (`failing` says how).

const failing: { open?: DOMException; flush?: DOMException } = {};

vi.mock('../web/src/storage/memory.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../web/src/storage/memory.js')>();
  return {
    ...real,
    memoryStorage(name?: string): StorageAdapter {
      const storage = real.memoryStorage(name);
      return {
        ...storage,
        async open(): Promise<OpenedStorage> {
          if (failing.open) throw failing.open;
          const opened = await storage.open();
          return { ...opened, flush: () => (failing.flush ? Promise.reject(failing.flush) : opened.flush()) };
        },
      };
    },
  };
});

const startHost = inProcessHosts();

it('a flush failing for quota in the worker rejects on the page with QuotaExceededError and its facts', async () => {
  const client = startHost();
  await client.open({ name: 'quota', storage: 'memory' });
  await client.put('a', '1');
  failing.flush = new DOMException('The transaction was aborted, so the request cannot be fulfilled.', 'QuotaExceededError');
  const e = await client.flush().catch((x: unknown) => x);
  delete failing.flush;
  expect(e).toBeInstanceOf(QuotaExceededError);
  expect(e).toBeInstanceOf(EdgestateError);
  expect((e as QuotaExceededError).details).toEqual({ op: 'flush', storage: 'memory', kind: 'QuotaExceededError' });
  // The database stays open: the next flush, with room again, succeeds.
  await client.flush();
  expect(await client.get('a', 'utf8')).toBe('1');
  await client.close();
});

it('an open failing on a held OPFS handle in the worker rejects on the page with DatabaseLockedError', async () => {
  const client = startHost();
  failing.open = new DOMException('Access Handles cannot be created if there is another open Access Handle', 'NoModificationAllowedError');
  const e = await client.open({ name: 'held', storage: 'memory' }).catch((x: unknown) => x);
  delete failing.open;
  expect(e).toBeInstanceOf(DatabaseLockedError);
  expect((e as DatabaseLockedError).details).toMatchObject({ op: 'open', kind: 'NoModificationAllowedError' });
});
