import { expect, test } from '@playwright/test';

// The worker host as the page uses it: close() and the calls around it, bulk data, and the
// flush the client asks for when the page is hidden or left.

test('a close() during a long putMany completes after it, and calls made after it reject with DatabaseClosedError', async ({ page }) => {
  const db = `close-${Date.now()}`;
  await page.goto(`/?db=${db}`);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
  const outcome = await page.evaluate(async (name) => {
    const { client, errors } = window.edgestateDemo;
    const settled: string[] = [];
    const entries = Array.from({ length: 60_000 }, (_, i): [string, string] => [`k${String(i).padStart(6, '0')}`, `value ${i}`.padEnd(100, '.')]);
    const batch = client.putMany(entries).then(() => settled.push('putMany'));
    const closed = client.close().then(() => settled.push('close'));
    const late = [client.get('k000001'), client.put('late', 'x'), client.count(), client.entries({ limit: 1 })].map((p) =>
      p.then(
        () => 'resolved',
        (e: unknown) => (e instanceof errors.DatabaseClosedError ? 'DatabaseClosedError' : String(e)),
      ),
    );
    const lateResults = await Promise.all(late);
    await Promise.all([batch, closed]);
    await client.open({ name, storage: 'opfs', lockTimeoutMs: 5000 });
    return { lateResults, settled, count: await client.count(), late: await client.get('late') };
  }, db);
  expect(outcome.lateResults).toEqual(Array(4).fill('DatabaseClosedError'));
  expect(outcome.settled).toEqual(['putMany', 'close']);
  expect(outcome.count).toBe(60_000);
  expect(outcome.late).toBeUndefined();
});

test('putMany copies the caller’s arrays into one transferred buffer: they stay usable, values come back whole', async ({ page }) => {
  await page.goto(`/?db=transfer-${Date.now()}`);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
  const outcome = await page.evaluate(async () => {
    const { client } = window.edgestateDemo;
    const keys = Array.from({ length: 100 }, (_, i) => new Uint8Array([0xff, i]));
    const values = keys.map((_, i) => new Uint8Array(10_000).fill(i));
    await client.putMany(keys.map((k, i) => [k, values[i] as Uint8Array]));
    const back = (await client.get(new Uint8Array([0xff, 42]))) as Uint8Array;
    return {
      callerIntact: keys.every((k) => k.byteLength === 2) && values.every((v, i) => v.byteLength === 10_000 && v[9_999] === i),
      back: [back.byteLength, back[0], back[9_999], back.buffer.byteLength],
    };
  });
  expect(outcome).toEqual({ callerIntact: true, back: [10_000, 42, 42, 10_000] });
});

test.describe('flush when the page is hidden or left (IndexedDB, automatic write-behind off)', () => {
  test.beforeEach(async ({ page }) => {
    await page.goto(`/?db=hide-${Date.now()}&storage=indexeddb&flushDelayMs=1000000000`);
    await expect(page.getByTestId('storage')).toHaveText('indexeddb');
  });

  test('without a flush, a write is lost with the worker (the control)', async ({ page }) => {
    const lost = await page.evaluate(async () => {
      const demo = window.edgestateDemo;
      await demo.client.put('unflushed', 'v');
      await demo.reopen();
      return demo.client.get('unflushed', 'utf8');
    });
    expect(lost).toBeUndefined();
  });

  test('pagehide makes the client flush, so the write survives the worker', async ({ page }) => {
    const kept = await page.evaluate(async () => {
      const demo = window.edgestateDemo;
      await demo.client.put('before-pagehide', 'v');
      dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
      // Calls run in order in the worker: this one answers after the flush.
      await demo.client.count();
      await demo.reopen();
      return demo.client.get('before-pagehide', 'utf8');
    });
    expect(kept).toBe('v');
  });

  test('visibilitychange to hidden makes the client flush, so the write survives the worker', async ({ page }) => {
    const kept = await page.evaluate(async () => {
      const demo = window.edgestateDemo;
      await demo.client.put('before-hidden', 'v');
      Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
      await demo.client.count();
      await demo.reopen();
      Reflect.deleteProperty(document, 'visibilityState');
      return demo.client.get('before-hidden', 'utf8');
    });
    expect(kept).toBe('v');
  });
});
