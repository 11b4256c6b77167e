/**
 * One conformance suite for every {@link HostVfs}: the contract in `host-vfs.ts`, as tests.
 * Each storage adapter's test file calls {@link describeHostVfsConformance} with a factory.
 */
import { describe, expect, it } from 'vitest';
import type { HostVfs } from './host-vfs.js';

const bytes = (...values: number[]) => new Uint8Array(values);

/** Registers the conformance tests for the VFS that `create` returns (a fresh, empty one per test). */
export function describeHostVfsConformance(label: string, create: () => HostVfs | Promise<HostVfs>): void {
  describe(`${label} conforms to HostVfs`, () => {
    it('reads back what was written', async () => {
      const vfs = await create();
      const fd = vfs.open('a.log', true);
      vfs.write(fd, 0, bytes(1, 2, 3));
      vfs.write(fd, 3, bytes(4, 5));
      const into = new Uint8Array(5);
      expect(vfs.read(fd, 0, into)).toBe(5);
      expect(into).toEqual(bytes(1, 2, 3, 4, 5));
      expect(vfs.size(fd)).toBe(5);
    });

    it('returns a short read only at end of file', async () => {
      const vfs = await create();
      const fd = vfs.open('a', true);
      vfs.write(fd, 0, bytes(1, 2, 3));
      const into = new Uint8Array(8);
      expect(vfs.read(fd, 1, into)).toBe(2);
      expect(vfs.read(fd, 3, into)).toBe(0);
      expect(vfs.read(fd, 100, into)).toBe(0);
    });

    it('zero-fills a gap left by writing past the end', async () => {
      const vfs = await create();
      const fd = vfs.open('a', true);
      vfs.write(fd, 4, bytes(9));
      const into = new Uint8Array(5);
      vfs.read(fd, 0, into);
      expect(into).toEqual(bytes(0, 0, 0, 0, 9));
    });

    it('truncates and extends', async () => {
      const vfs = await create();
      const fd = vfs.open('a', true);
      vfs.write(fd, 0, bytes(1, 2, 3, 4));
      vfs.truncate(fd, 2);
      expect(vfs.size(fd)).toBe(2);
      vfs.truncate(fd, 3);
      const into = new Uint8Array(3);
      vfs.read(fd, 0, into);
      expect(into).toEqual(bytes(1, 2, 0));
    });

    it('create truncates an existing file; open without create keeps it', async () => {
      const vfs = await create();
      const fd = vfs.open('a', true);
      vfs.write(fd, 0, bytes(1, 2));
      vfs.sync(fd);
      vfs.close(fd);
      const again = vfs.open('a', false);
      expect(vfs.size(again)).toBe(2);
      vfs.close(again);
      const fresh = vfs.open('a', true);
      expect(vfs.size(fresh)).toBe(0);
    });

    it('opening a missing file without create throws NotFoundError', async () => {
      const vfs = await create();
      expect(() => vfs.open('missing', false)).toThrow(expect.objectContaining({ name: 'NotFoundError' }));
    });

    it('lists, renames with replacement, and deletes', async () => {
      const vfs = await create();
      for (const [name, value] of [['a', 1], ['b', 2]] as const) {
        const fd = vfs.open(name, true);
        vfs.write(fd, 0, bytes(value));
        vfs.close(fd);
      }
      expect(vfs.list().sort()).toEqual(['a', 'b']);
      vfs.rename('a', 'b');
      expect(vfs.list()).toEqual(['b']);
      const fd = vfs.open('b', false);
      const into = new Uint8Array(1);
      vfs.read(fd, 0, into);
      expect(into).toEqual(bytes(1));
      vfs.close(fd);
      vfs.delete('b');
      expect(vfs.list()).toEqual([]);
      expect(() => vfs.delete('b')).toThrow(expect.objectContaining({ name: 'NotFoundError' }));
    });

    it('does not keep a reference to the written buffer', async () => {
      const vfs = await create();
      const fd = vfs.open('a', true);
      const data = bytes(1, 2, 3);
      vfs.write(fd, 0, data);
      data.fill(0);
      const into = new Uint8Array(3);
      vfs.read(fd, 0, into);
      expect(into).toEqual(bytes(1, 2, 3));
    });
  });
}
