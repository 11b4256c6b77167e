import { expect, it } from 'vitest';
import { describeHostVfsConformance } from './host-vfs-conformance.js';
import { memoryStorage, MemoryVfs } from './memory.js';

describeHostVfsConformance('MemoryVfs', () => new MemoryVfs());

it('a memory storage opened twice sees the same files', async () => {
  const storage = memoryStorage('x');
  const first = await storage.open();
  first.vfs.close(first.vfs.open('000001.log', true));
  await first.close();
  const second = await storage.open();
  expect(second.vfs.list()).toEqual(['000001.log']);
});
