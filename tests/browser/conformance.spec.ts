import { expect, test } from '@playwright/test';

// The storage contract checked in Chromium against the real adapters, inside a dedicated worker:
// web/src/storage/host-vfs-conformance.ts (one open VFS; the same checks vitest runs on the memory
// VFS) and web/src/storage/storage-adapter-conformance.ts (reopening, the single-writer lock).

test.beforeEach(async ({ page }) => {
  await page.goto(`/?db=conformance-page-${Date.now()}&storage=memory`);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
});

for (const storage of ['opfs', 'indexeddb', 'memory'] as const) {
  test(`the ${storage} adapter passes every HostVfs and adapter conformance check in Chromium`, async ({ page }) => {
    const report = await page.evaluate((s) => window.edgestateDemo.runConformance(s), storage);
    expect(report.storage).toBe(storage);
    expect(report.checks).toBeGreaterThanOrEqual(storage === 'memory' ? 14 : 16);
    expect(report.failures).toEqual([]);
  });
}

test('conformance runs leave no databases behind', async ({ page }) => {
  await page.evaluate(() => window.edgestateDemo.runConformance('opfs'));
  await page.evaluate(() => window.edgestateDemo.runConformance('indexeddb'));
  const leftovers = await page.evaluate(async () => {
    const root = await navigator.storage.getDirectory();
    const names: string[] = [];
    try {
      const dir = await (await root.getDirectoryHandle('edgestate')).getDirectoryHandle('conformance');
      for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
    } catch (e) {
      if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
    }
    const idb = (await indexedDB.databases()).map((d) => d.name ?? '').filter((n) => n.startsWith('edgestate:conformance-'));
    return [...names, ...idb];
  });
  expect(leftovers).toEqual([]);
});

test('the demo’s diagnostics buttons report passing conformance and a clean differential run', async ({ page }) => {
  await page.getByTestId('conformance').click();
  await expect(page.getByTestId('diagnostics-result')).toHaveText(
    /^opfs: (\d+)\/\1 checks pass · indexeddb: (\d+)\/\2 checks pass · memory: (\d+)\/\3 checks pass$/,
    { timeout: 30_000 },
  );
  await page.getByTestId('differential').click();
  await expect(page.getByTestId('diagnostics-result')).toHaveText(/^seed \d+: 2000 operations in \d+ ms, 0 mismatches$/, { timeout: 60_000 });
});
