import { describe, expect, it } from 'vitest';
import { hostVfsConformanceChecks, runCheck } from './host-vfs-conformance.js';
import { memoryStorage, MemoryVfs } from './memory.js';
import { runStorageAdapterConformance } from './storage-adapter-conformance.js';

describe('MemoryVfs conforms to HostVfs', () => {
  for (const check of hostVfsConformanceChecks) {
    it(check.name, async () => {
      expect(await runCheck(check, () => ({ vfs: new MemoryVfs() }))).toBeUndefined();
    });
  }
});

it('the conformance checks catch a VFS that breaks the contract', async () => {
  // Extending by truncate must zero-fill up to the new size; this one stops a byte short.
  class ShortTruncate extends MemoryVfs {
    override truncate(fd: number, size: number): void {
      super.truncate(fd, Math.max(0, size - 1));
    }
  }
  const failed: string[] = [];
  for (const check of hostVfsConformanceChecks) {
    if ((await runCheck(check, () => ({ vfs: new ShortTruncate() }))) !== undefined) failed.push(check.name);
  }
  expect(failed).toEqual(['truncates and extends with zeros']);
});

it('a memory storage opened twice sees the same files', async () => {
  const storage = memoryStorage('x');
  const first = await storage.open();
  first.vfs.close(first.vfs.open('000001.log', true));
  await first.close();
  const second = await storage.open();
  expect(second.vfs.list()).toEqual(['000001.log']);
});

it('a memory storage passes the adapter checks that apply to it (reopening the same adapter)', async () => {
  const result = await runStorageAdapterConformance(() => {
    const storage = memoryStorage();
    return { traits: { persistent: true, exclusive: false, limited: false }, adapter: () => storage };
  });
  expect(result).toEqual({ checks: 2, failures: [] });
});

it('the adapter checks catch a storage that loses its files on reopening', async () => {
  const result = await runStorageAdapterConformance(() => ({ traits: { persistent: true, exclusive: false, limited: false }, adapter: () => memoryStorage() }));
  expect(result.failures.map((f) => f.check)).toEqual([
    'synced files come back, with their contents, after close and reopen',
    'a rename over an existing file, a delete and a truncate stay done after reopening',
  ]);
});
