import { expect, test } from '@playwright/test';

// Differential test in Chromium: one seeded random sequence of operations (put, delete, putMany,
// get, scan, sync, flush, count, reopen, crash) against the wasm engine in a worker and against a
// sorted-map model (demo/diagnostics/differential.ts). Every answer must agree, and the run must
// be long enough for memtable flushes and compactions to happen under it.

const OPERATIONS = 20_000;

for (const [storage, seed] of [['opfs', 0x5eed0001], ['indexeddb', 0x5eed0002]] as const) {
  test(`${storage}: the engine in a worker agrees with a sorted-map model over ${OPERATIONS} random operations`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto(`/?db=differential-page-${Date.now()}&storage=memory`);
    await expect(page.getByTestId('recovery')).toContainText('recovered');
    const report = await page.evaluate((o) => window.edgestateDemo.differential(o), { storage, seed, operations: OPERATIONS });
    console.log(`${storage} seed ${seed}: ${JSON.stringify({ ...report, mismatches: report.mismatches.length })}`);
    expect(report.mismatches).toEqual([]);
    expect(report.operations).toBe(OPERATIONS);
    expect(report.flushes).toBeGreaterThan(0);
    expect(report.compactions).toBeGreaterThan(0);
    expect(report.byKind.reopen).toBeGreaterThan(0);
    expect(report.byKind.crash).toBeGreaterThan(0);
    expect(report.finalKeys).toBeGreaterThan(1000);
  });
}
