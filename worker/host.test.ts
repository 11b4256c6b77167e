import { expect, it } from 'vitest';
import { DatabaseClosedError } from '../web/src/errors.js';
import type { EngineClient } from './connect.js';
import { inProcessHosts } from './host-test-support.js';

// The host and a client over a MessageChannel in one Node process: the same code as in the
// browser's worker, minus the thread.

const startHost = inProcessHosts();

/** Transfer lists of the messages each side posted. */
interface Spied {
  client: EngineClient;
  toHost: Transferable[][];
  toClient: Transferable[][];
}

function spy(port: MessagePort, log: Transferable[][]): void {
  const post = port.postMessage.bind(port) as (message: unknown, transfer?: Transferable[]) => void;
  port.postMessage = ((message: unknown, transfer?: Transferable[]) => {
    log.push(transfer ?? []);
    post(message, transfer);
  }) as typeof port.postMessage;
}

function start(): Spied {
  const toHost: Transferable[][] = [];
  const toClient: Transferable[][] = [];
  const client = startHost((hostPort, clientPort) => {
    spy(hostPort, toClient);
    spy(clientPort, toHost);
  });
  return { client, toHost, toClient };
}

const rows = (n: number, prefix = 'k') =>
  Array.from({ length: n }, (_, i): [string, string] => [`${prefix}${String(i).padStart(6, '0')}`, `value ${i} `.repeat(8)]);

it('calls made after close() reject with DatabaseClosedError while calls made before it complete', async () => {
  const { client } = start();
  await client.open({ name: 'db', storage: 'memory' });
  const batch = client.putMany(rows(20_000));
  const closed = client.close();
  const after = [client.get('k000001'), client.putMany(rows(10, 'late')), client.count(), client.flush()].map((p) =>
    p.then(
      () => 'resolved',
      (e: unknown) => (e instanceof DatabaseClosedError ? 'DatabaseClosedError' : String(e)),
    ),
  );
  await expect(batch).resolves.toBeUndefined();
  await expect(closed).resolves.toBeUndefined();
  expect(await Promise.all(after)).toEqual(Array(4).fill('DatabaseClosedError'));
  // The batch made before the close is all there; nothing made after it is.
  await client.open({ name: 'db', storage: 'memory' });
  expect(await client.count()).toBe(20_000);
  expect(await client.get('late000001')).toBeUndefined();
});

it('an open() after close() serves calls again, in order', async () => {
  const { client } = start();
  await client.open({ name: 'db', storage: 'memory' });
  void client.close();
  const reopened = client.open({ name: 'db', storage: 'memory' });
  const put = client.put('a', '1');
  const got = client.get('a', 'utf8');
  await reopened;
  await put;
  expect(await got).toBe('1');
});

it('a batch crosses as one transferred buffer; the caller’s arrays stay intact', async () => {
  const { client, toHost } = start();
  await client.open({ name: 'db', storage: 'memory' });
  const key = new Uint8Array([1, 2, 3]);
  const value = new Uint8Array(1000).fill(7);
  toHost.length = 0;
  await client.putMany([[key, value], ['b', 'c']]);
  const transferred = toHost.flat();
  expect(transferred).toHaveLength(1);
  expect((transferred[0] as ArrayBuffer).byteLength).toBe(0); // detached: moved, not copied
  expect([key.length, value.length, value[999]]).toEqual([3, 1000, 7]);
  expect(await client.get(key)).toEqual(value);
});

it('values and scanned entries come back in transferred buffers', async () => {
  const { client, toClient } = start();
  await client.open({ name: 'db', storage: 'memory' });
  await client.putMany(rows(50));
  toClient.length = 0;
  const value = await client.get('k000007');
  expect(toClient.flat()).toHaveLength(1);
  expect(value).toEqual(new TextEncoder().encode('value 7 '.repeat(8)));
  toClient.length = 0;
  const entries = await client.entries({ from: 'k000010', to: 'k000020' });
  expect(entries.map(([k]) => new TextDecoder().decode(k as Uint8Array))).toEqual(rows(20).slice(10).map(([k]) => k));
  // The whole scan is packed into one buffer, moved rather than cloned; keys and values are views of it.
  const moved = toClient.flat();
  expect(moved).toHaveLength(1);
  expect(entries.every(([k, v]) => (k as Uint8Array).buffer === (v as Uint8Array).buffer)).toBe(true);
  expect((entries[0]?.[0] as Uint8Array).buffer.byteLength).toBeGreaterThan(10 * 'value 0 '.repeat(8).length);
  toClient.length = 0;
  expect(await client.get('k000007', 'utf8')).toBe('value 7 '.repeat(8));
  expect(await client.entries({ from: 'k000049', encoding: 'utf8' })).toEqual([rows(50)[49]]);
  expect(toClient.flat()).toHaveLength(0);
});

it('with no database open, calls reject with DatabaseClosedError', async () => {
  const { client } = start();
  await expect(client.get('a')).rejects.toBeInstanceOf(DatabaseClosedError);
  await expect(client.putMany([['a', 'b']])).rejects.toBeInstanceOf(DatabaseClosedError);
});
