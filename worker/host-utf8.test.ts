// Reading stored bytes that are not UTF-8 as 'utf8' through the worker fails as
// `LsmDatabase.getString` does, with InvalidArgumentError (rebuilt by class on the client's side),
// instead of returning a string with U+FFFD where the bytes were.
import { expect, it } from 'vitest';
import { InvalidArgumentError } from '../web/src/errors.js';
import { inProcessHosts } from './host-test-support.js';

const start = inProcessHosts();

/** Two bytes no UTF-8 sequence starts with, then 'A': a lossy decoder gives "\uFFFD\uFFFDA". */
const NOT_UTF8 = new Uint8Array([0xff, 0xfe, 0x41]);

it("get(key, 'utf8') and entries({ encoding: 'utf8' }) of a value that is not UTF-8 reject with InvalidArgumentError", async () => {
  const client = start();
  await client.open({ name: 'db', storage: 'memory' });
  await client.put('k', NOT_UTF8);
  await expect(client.get('k', 'utf8')).rejects.toBeInstanceOf(InvalidArgumentError);
  await expect(client.entries({ encoding: 'utf8' })).rejects.toBeInstanceOf(InvalidArgumentError);
  // The bytes are intact, and readable as bytes.
  expect(await client.get('k')).toEqual(NOT_UTF8);
  expect(await client.get('k', 'bytes')).toEqual(NOT_UTF8);
  await client.close();
});

it("entries({ encoding: 'utf8' }) of a key that is not UTF-8 rejects with InvalidArgumentError", async () => {
  const client = start();
  await client.open({ name: 'db', storage: 'memory' });
  await client.put(NOT_UTF8, 'v');
  await expect(client.entries({ encoding: 'utf8' })).rejects.toBeInstanceOf(InvalidArgumentError);
  await client.close();
});

it('valid UTF-8 still reads back as a string through get and entries', async () => {
  const client = start();
  await client.open({ name: 'db', storage: 'memory' });
  await client.put('k', 'héllo €');
  expect(await client.get('k', 'utf8')).toBe('héllo €');
  expect(await client.entries({ encoding: 'utf8' })).toEqual([['k', 'héllo €']]);
  await client.close();
});
