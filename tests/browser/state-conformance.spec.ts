import { expect, test } from '@playwright/test';

// Issue 5's acceptance in Chromium: every keyed-state conformance case (web/src/state/conformance/:
// state kinds, TTL, timers, bad input, fast-check properties) passes against the LSM backend on OPFS (in a worker: sync
// access handles) and on IndexedDB, a database per backend, each deleted after its case.

test.beforeEach(async ({ page }) => {
  await page.goto(`/?db=state-conformance-page-${Date.now()}&storage=memory`);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
});

/** Names of state conformance databases still in OPFS or IndexedDB. */
async function leftovers(page: import('@playwright/test').Page): Promise<string[]> {
  return page.evaluate(async () => {
    const names: string[] = [];
    try {
      const root = await navigator.storage.getDirectory();
      const dir = await (await root.getDirectoryHandle('edgestate')).getDirectoryHandle('state-conformance');
      for await (const name of dir.keys()) names.push(`opfs:${name}`);
    } catch (e) {
      if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
    }
    for (const d of await indexedDB.databases()) if (d.name?.startsWith('edgestate:state-conformance-')) names.push(`idb:${d.name}`);
    return names;
  });
}

for (const storage of ['opfs', 'indexeddb'] as const) {
  test(`the LSM backend on ${storage} passes every conformance case (properties and bad input included) and deletes its databases`, async ({ page }) => {
    test.setTimeout(180_000);
    const report = await page.evaluate((s) => window.edgestateDemo.runStateConformance(s), storage);
    expect(report.storage).toBe(storage);
    expect(report.cases).toBeGreaterThanOrEqual(30);
    expect(report.databases).toBeGreaterThanOrEqual(report.cases);
    expect(report.failures).toEqual([]);
    expect(await leftovers(page)).toEqual([]);
    console.log(`lsm state conformance on ${storage}: ${report.cases} cases, ${report.databases} databases, ${report.millis} ms`);
  });
}

test('the demo’s State conformance button reports every case and store check passing', async ({ page }) => {
  test.setTimeout(180_000);
  await page.getByTestId('state-conformance').click();
  await expect(page.getByTestId('diagnostics-result')).toHaveText(
    /^lsm on opfs: (\d+)\/\1 cases pass · lsm on indexeddb: (\d+)\/\2 cases pass · indexeddb checkpoint store: (\d+)\/\3 checks pass · opfs checkpoint store: (\d+)\/\4 checks pass$/,
    { timeout: 120_000 },
  );
  expect(await leftovers(page)).toEqual([]);
});
