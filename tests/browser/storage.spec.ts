import { expect, test } from '@playwright/test';

// Storage adapters and policy: IndexedDB (files in memory, written behind; `flush()` is the
// durability point), quota, automatic choice, estimate and persistence.

test('with IndexedDB storage, flushed writes come back after a page reload', async ({ page }) => {
  const db = `idb-reload-${Date.now()}`;
  await page.goto(`/?db=${db}&storage=indexeddb`);
  await expect(page.getByTestId('storage')).toHaveText('indexeddb');
  await page.evaluate(async () => {
    const { client } = window.edgestateDemo;
    const entries: Array<[string, string]> = [];
    for (let i = 0; i < 5000; i++) entries.push([`k${String(i).padStart(5, '0')}`, `v${i}`]);
    await client.putMany(entries);
    await client.delete('k00010');
    await client.flush();
  });
  await page.reload();
  await expect(page.getByTestId('count')).toHaveText('(4999, first 200 shown)');
  const probe = await page.evaluate(async () => {
    const { client } = window.edgestateDemo;
    return [await client.get('k04999', 'utf8'), await client.get('k00010', 'utf8'), (await client.stats()).storage];
  });
  expect(probe).toEqual(['v4999', undefined, 'indexeddb']);
});

test('a full IndexedDB storage fails writes with QuotaExceededError, keeps reads, and reopens intact', async ({ page }) => {
  const db = `idb-quota-${Date.now()}`;
  await page.goto(`/?db=${db}&storage=indexeddb&maxBytes=65536`);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
  const outcome = await page.evaluate(async () => {
    const { client, errors } = window.edgestateDemo;
    let written = 0;
    let failure: unknown;
    for (let i = 0; i < 1000 && failure === undefined; i++) {
      try {
        await client.put(`key${String(i).padStart(4, '0')}`, 'x'.repeat(200));
        written++;
      } catch (e) {
        failure = e;
      }
    }
    const readBack = await client.get('key0000', 'utf8');
    await client.flush();
    return {
      written,
      isQuota: failure instanceof errors.QuotaExceededError,
      code: (failure as { code?: string } | undefined)?.code,
      readBack: typeof readBack === 'string' ? readBack.length : -1,
    };
  });
  expect(outcome.written).toBeGreaterThan(50);
  expect(outcome.written).toBeLessThan(1000);
  expect([outcome.isQuota, outcome.code, outcome.readBack]).toEqual([true, 'QUOTA_EXCEEDED', 200]);
  await page.reload();
  const count = outcome.written > 200 ? `(${outcome.written}, first 200 shown)` : `(${outcome.written})`;
  await expect(page.getByTestId('count')).toHaveText(count);
  // No room to flush the replayed log: it stays live, the data in memory.
  const recovery = await page.evaluate(() => window.edgestateDemo.opened);
  expect(recovery.recovery.flushSkippedForQuota).toBe(true);
});

test('automatic storage choice: OPFS in the worker, IndexedDB on the main thread', async ({ page }) => {
  await page.goto(`/?db=auto-${Date.now()}&storage=auto`);
  await expect(page.getByTestId('storage')).toHaveText('opfs');
  const mainThread = await page.evaluate(() => {
    const choice = window.edgestateDemo.chooseStorage('main-thread-choice');
    return { kind: choice.storage.kind, reason: choice.reason };
  });
  expect(mainThread.kind).toBe('indexeddb');
  expect(mainThread.reason).toContain('IndexedDB');
});

test('storage estimate comes from the worker; persistence can be requested from the page', async ({ page }) => {
  await page.goto(`/?db=estimate-${Date.now()}`);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
  const result = await page.evaluate(async () => {
    const { client, requestPersistence } = window.edgestateDemo;
    await client.putMany(Array.from({ length: 2000 }, (_, i): [string, string] => [`k${i}`, 'x'.repeat(100)]));
    const estimate = await client.storageEstimate();
    return { estimate, persisted: typeof (await requestPersistence()) };
  });
  expect(result.estimate.quota).toBeGreaterThan(0);
  expect(result.estimate.usage).toBeGreaterThan(0);
  expect(result.persisted).toBe('boolean');
});
