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
      await page.evaluate(async () => {
        const { client } = window.edgestateDemo;
        const entries: Array<[string, string]> = [];
        for (let i = 0; i < 30000; i++) entries.push([`k${String(i).padStart(5, '0')}`, `value ${i} `.repeat(12)]);
        for (let i = 0; i < entries.length; i += 1000) await client.putMany(entries.slice(i, i + 1000));
        await client.delete('k00005');
        await client.flush();
      });
      await context.close();

      context = await launch();
      page = await context.newPage();
      await page.goto(url);
      await expect(page.getByTestId('count')).toHaveText('(29999, first 200 shown)', { timeout: 20_000 });
      const probe = await page.evaluate(async () => {
        const { client } = window.edgestateDemo;
        return [await client.get('k29999', 'utf8'), await client.get('k00005', 'utf8')];
      });
      expect(probe).toEqual(['value 29999 '.repeat(12), undefined]);
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
}
