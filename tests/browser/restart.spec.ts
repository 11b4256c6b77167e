import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import config from '../../playwright.config.js';

// A browser restart with the same profile: the database comes back from disk, not from any
// process that survived.

for (const storage of ['opfs', 'indexeddb'] as const) {
  test(`${storage}: data comes back after the browser restarts with the same profile`, async () => {
    const profile = mkdtempSync(join(tmpdir(), 'edgestate-profile-'));
    const launch = () =>
      chromium.launchPersistentContext(profile, { ...config.use?.launchOptions, headless: true, baseURL: 'http://localhost:4173' });
    const url = `/?db=restart-${storage}&storage=${storage}`;
    try {
      let context = await launch();
      let page = await context.newPage();
      await page.goto(url);
      await expect(page.getByTestId('recovery')).toContainText('recovered');
      const stats = await page.evaluate(async () => {
        const { client } = window.edgestateDemo;
        // 120k keys, ~18 MB: several flushes to SSTs and a compaction before the restart.
        for (let i = 0; i < 120; i++) {
          const entries: Array<[string, string]> = [];
          for (let j = 0; j < 1000; j++) {
            const n = i * 1000 + j;
            entries.push([`k${String(n).padStart(6, '0')}`, `value ${n} `.repeat(12)]);
          }
          await client.putMany(entries);
        }
        await client.delete('k000005');
        await client.flush();
        return client.stats();
      });
      expect(stats.flushes).toBeGreaterThanOrEqual(3);
      expect(stats.compactions).toBeGreaterThanOrEqual(1);
      await context.close();

      context = await launch();
      page = await context.newPage();
      await page.goto(url);
      await expect(page.getByTestId('count')).toHaveText('(119999, first 200 shown)', { timeout: 30_000 });
      const probe = await page.evaluate(async () => {
        const { client } = window.edgestateDemo;
        return [await client.get('k119999', 'utf8'), await client.get('k000005', 'utf8')];
      });
      expect(probe).toEqual(['value 119999 '.repeat(12), undefined]);
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
}
