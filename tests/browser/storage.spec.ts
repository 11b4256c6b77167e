import { expect, test, type Page } from '@playwright/test';

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
    const inStats = (await client.stats()).estimate;
    return { estimate, inStats, persisted: typeof (await requestPersistence()) };
  });
  expect(result.estimate.quota).toBeGreaterThan(0);
  expect(result.inStats?.quota).toBe(result.estimate.quota);
  expect(result.estimate.usage).toBeGreaterThan(0);
  expect(result.persisted).toBe('boolean');
});

// OPFS with a per-database limit (`maxBytes`): past it the slot pool's writes throw the
// DOMException a full origin quota throws, and the engine reports QuotaExceededError.

/** Puts `key00000`, `key00001`, … with `size`-byte values until one fails; returns how many were acknowledged. */
async function fillUntilFull(page: Page, size: number) {
  return page.evaluate(async (size) => {
    const { client, errors } = window.edgestateDemo;
    let written = 0;
    let failure: unknown;
    for (; written < 20_000 && failure === undefined; written++) {
      const key = `key${String(written).padStart(5, '0')}`;
      failure = await client.put(key, `${key}:`.padEnd(size, 'x')).then(() => undefined, (e: unknown) => e);
      if (failure !== undefined) break;
    }
    return { written, isQuota: failure instanceof errors.QuotaExceededError, code: (failure as { code?: string } | undefined)?.code };
  }, size);
}

/** Every acknowledged `key#####` is stored with its value; at most the one failed put besides. */
async function expectAcknowledgedIntact(page: Page, written: number, size: number) {
  const check = await page.evaluate(async ([written, size]) => {
    const entries = await window.edgestateDemo.client.entries({ encoding: 'utf8' });
    const wrong = entries.filter(([k, v], i) => k !== `key${String(i).padStart(5, '0')}` || v !== `${k}:`.padEnd(size, 'x'));
    return { acknowledgedFound: Math.min(entries.length, written), wrong: wrong.length, extra: entries.length - written };
  }, [written, size] as const);
  expect(check.acknowledgedFound).toBe(written);
  expect(check.wrong).toBe(0);
  // The put that failed may have reached the log before its flush failed (a write that fails
  // is not guaranteed absent); nothing else may appear.
  expect(check.extra).toBeLessThanOrEqual(1);
}

test('a full OPFS storage fails writes with QuotaExceededError, keeps reads, and reopens intact', async ({ page }) => {
  const db = `opfs-quota-${Date.now()}`;
  await page.goto(`/?db=${db}&storage=opfs&maxBytes=65536`);
  await expect(page.getByTestId('storage')).toHaveText('opfs');
  const outcome = await fillUntilFull(page, 200);
  expect(outcome.written).toBeGreaterThan(50);
  expect(outcome.written).toBeLessThan(20_000);
  expect([outcome.isQuota, outcome.code]).toEqual([true, 'QUOTA_EXCEEDED']);
  // Still open: reads answer, a sync of what was acknowledged succeeds, more writes fail the same way.
  const after = await page.evaluate(async () => {
    const { client, errors } = window.edgestateDemo;
    const first = await client.get('key00000', 'utf8');
    await client.sync();
    const again: unknown = await client.put('one-more', 'x'.repeat(200)).then(() => undefined, (e: unknown) => e);
    return { first, againIsQuota: again instanceof errors.QuotaExceededError, count: await client.count() };
  });
  expect(after).toEqual({ first: 'key00000:'.padEnd(200, 'x'), againIsQuota: true, count: outcome.written });
  await expectAcknowledgedIntact(page, outcome.written, 200);

  // Reopened with the same limit: no room to flush the replayed log, so it stays live.
  await page.reload();
  const shown = `(${outcome.written}, first 200 shown)`;
  await expect(page.getByTestId('count')).toHaveText(shown);
  expect((await page.evaluate(() => window.edgestateDemo.opened)).recovery.flushSkippedForQuota).toBe(true);
  await expectAcknowledgedIntact(page, outcome.written, 200);

  // Reopened with enough room: everything is there, and writes work again.
  await page.goto(`/?db=${db}&storage=opfs`);
  await expect(page.getByTestId('count')).toHaveText(shown);
  await expectAcknowledgedIntact(page, outcome.written, 200);
  await page.evaluate(() => window.edgestateDemo.client.put('after', 'room again', { sync: true }));
  expect(await page.evaluate(() => window.edgestateDemo.client.get('after', 'utf8'))).toBe('room again');
});

test('an OPFS table flush that runs out of room fails with QuotaExceededError; acknowledged writes survive a reopen', async ({ page }) => {
  test.setTimeout(120_000);
  // 6 MiB: the log fits, but when the first 4 MiB memtable is flushed, log + table do not.
  const db = `opfs-quota-flush-${Date.now()}`;
  await page.goto(`/?db=${db}&storage=opfs&maxBytes=${6 << 20}`);
  await expect(page.getByTestId('storage')).toHaveText('opfs');
  const outcome = await fillUntilFull(page, 1000);
  expect(outcome.written).toBeGreaterThan(2000);
  expect([outcome.isQuota, outcome.code]).toEqual([true, 'QUOTA_EXCEEDED']);
  await page.goto(`/?db=${db}&storage=opfs`);
  await expect(page.getByTestId('recovery')).toContainText('recovered', { timeout: 30_000 });
  await expectAcknowledgedIntact(page, outcome.written, 1000);
});

test('databases can be listed and deleted, but not while open anywhere', async ({ page }) => {
  for (const storage of ['opfs', 'indexeddb'] as const) {
    const db = `listed/${storage}-${Date.now()}`;
    await page.goto(`/?db=${encodeURIComponent(db)}&storage=${storage}`);
    await expect(page.getByTestId('storage')).toHaveText(storage);
    const seen = await page.evaluate(
      async ({ db, storage }) => {
        const { client, listDatabases, deleteDatabase, errors } = window.edgestateDemo;
        await client.putMany([['a', '1'], ['b', '2']]);
        await client.flush();
        const listed = (await listDatabases()).some((d) => d.name === db && d.storage === storage);
        const whileOpen = await deleteDatabase(db, storage).then(
          () => 'deleted',
          (e: unknown) => (e instanceof errors.DatabaseLockedError ? 'locked' : String(e)),
        );
        await client.close();
        await deleteDatabase(db, storage, { lockTimeoutMs: 3000 });
        const gone = !(await listDatabases()).some((d) => d.name === db && d.storage === storage);
        return { listed, whileOpen, gone };
      },
      { db, storage },
    );
    expect(seen).toEqual({ listed: true, whileOpen: 'locked', gone: true });
  }
});

test('an IndexedDB flush that meets the origin quota fails with QuotaExceededError; it stores everything once there is room', async ({ page }) => {
  const db = `idb-flush-quota-${Date.now()}`;
  // The origin's quota as the browser enforces it, lowered to 1 MiB. Before the page opens
  // IndexedDB: Chromium does not lower the quota of a storage already open.
  const origin = new URL('/', test.info().project.use.baseURL).origin;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 1 << 20 });
  // No write-behind timer: only the explicit flushes below write to IndexedDB.
  await page.goto(`/?db=${db}&storage=indexeddb&flushDelayMs=0`);
  await expect(page.getByTestId('storage')).toHaveText('indexeddb');
  await page.evaluate(async () => {
    await window.edgestateDemo.client.put('first', 'stored');
    await window.edgestateDemo.client.flush();
  });
  const failed = await page.evaluate(async () => {
    const { client, errors } = window.edgestateDemo;
    // Values that do not compress: IndexedDB may compress what it stores.
    const random = (n: number) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => (b % 36).toString(36)).join('');
    await client.putMany(Array.from({ length: 2000 }, (_, i): [string, string] => [`k${String(i).padStart(5, '0')}`, random(1000)]));
    const e: unknown = await client.flush().then(() => undefined, (x: unknown) => x);
    return {
      isQuota: e instanceof errors.QuotaExceededError,
      code: (e as { code?: string } | undefined)?.code,
      details: (e as { details?: Record<string, unknown> } | undefined)?.details,
      readBack: (await client.get('k01999', 'utf8'))?.length,
    };
  });
  expect(failed).toEqual({
    isQuota: true,
    code: 'QUOTA_EXCEEDED',
    details: { op: 'flush', storage: 'indexeddb', database: db, kind: 'QuotaExceededError' },
    readBack: 1000,
  });
  // With the quota back, the next flush writes what the failed one could not.
  await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  await page.evaluate(() => window.edgestateDemo.client.flush());
  await page.reload();
  await expect(page.getByTestId('count')).toHaveText('(2001, first 200 shown)');
});

test('deleting an OPFS database leaves the databases nested in it, even one open in another worker', async ({ page }) => {
  const parent = `nest-${Date.now()}`;
  const child = `${parent}/clicks`;
  await page.goto(`/?db=${encodeURIComponent(parent)}&storage=opfs`);
  await expect(page.getByTestId('storage')).toHaveText('opfs');
  const seen = await page.evaluate(
    async ({ parent, child }) => {
      const { client, listDatabases, deleteDatabase } = window.edgestateDemo;
      const names = async () => (await listDatabases()).filter((d) => d.storage === 'opfs' && d.name.startsWith(parent)).map((d) => d.name);
      await client.put('parent-key', 'p');
      await client.close();
      // One nested database closed, the other open in this worker while their parent is deleted.
      await client.open({ name: `${parent}/views`, storage: 'opfs' });
      await client.put('view-key', 'v');
      await client.close();
      await client.open({ name: child, storage: 'opfs' });
      await client.putMany([['child-key', 'c']]);
      const before = await names();
      await deleteDatabase(parent, 'opfs', { lockTimeoutMs: 3000 });
      const after = await names();
      await client.put('child-key-2', 'c2');
      await client.close();
      await client.open({ name: child, storage: 'opfs' });
      const childEntries = await client.entries({ encoding: 'utf8' });
      await client.close();
      await client.open({ name: `${parent}/views`, storage: 'opfs' });
      const viewsEntries = await client.entries({ encoding: 'utf8' });
      await client.close();
      await client.open({ name: parent, storage: 'opfs' });
      const parentCount = await client.count();
      return { before, after, childEntries, viewsEntries, parentCount };
    },
    { parent, child },
  );
  expect(seen).toEqual({
    before: [parent, child, `${parent}/views`],
    after: [child, `${parent}/views`],
    childEntries: [['child-key', 'c'], ['child-key-2', 'c2']],
    viewsEntries: [['view-key', 'v']],
    parentCount: 0,
  });
});
