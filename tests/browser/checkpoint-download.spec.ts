import { readFile, writeFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';

// Issue 6's acceptance in Chromium, through the demo's Checkpoints panel (demo/checkpoints/):
// write state, checkpoint, download the export as a real file, clear the site's data, reload,
// upload the file, and the state is back exactly. A damaged upload fails with a typed error and
// leaves the state as it was.

const PAGE = '/?storage=memory&db=checkpoint-download-page';

type DemoState = Awaited<ReturnType<Window['edgestateDemo']['checkpoints']['state']>>;

/** The demo state without the database name (an import moves it to a new database). */
async function stateOf(page: Page): Promise<Omit<DemoState, 'database'>> {
  const { database: _database, ...state } = await page.evaluate(() => window.edgestateDemo.checkpoints.state());
  return state;
}

/** Everything the origin stores in OPFS and IndexedDB, and its localStorage keys. */
async function siteData(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const found: string[] = [];
    const walk = async (dir: FileSystemDirectoryHandle, path: string): Promise<void> => {
      for await (const [name, handle] of dir.entries()) {
        found.push(`opfs:${path}${name}`);
        if (handle.kind === 'directory') await walk(handle, `${path}${name}/`);
      }
    };
    await walk(await navigator.storage.getDirectory(), '');
    for (const d of await indexedDB.databases()) found.push(`idb:${d.name}`);
    for (let i = 0; i < localStorage.length; i++) found.push(`localStorage:${localStorage.key(i)}`);
    return found;
  });
}

async function put(page: Page, key: string, value: string): Promise<void> {
  await page.getByTestId('ckpt-key').fill(key);
  await page.getByTestId('ckpt-value').fill(value);
  await page.getByTestId('ckpt-put').click();
  await expect(page.getByTestId('ckpt-result')).toHaveText(`put ${key} = ${value}`);
}

async function checkpoint(page: Page): Promise<void> {
  const rows = await page.getByTestId('ckpt-list').locator('tr').count();
  await page.getByTestId('ckpt-checkpoint').click();
  await expect(page.getByTestId('ckpt-result')).toHaveText(/^checkpoint ckpt-\d+: (full|incremental), /);
  await expect(page.getByTestId('ckpt-list').locator('tr')).toHaveCount(rows + 1);
}

/** Closes every worker (so no OPFS handle is open), then clears all of the origin's data. */
async function clearSiteData(page: Page): Promise<void> {
  const origin = new URL(page.url()).origin;
  await page.goto('about:blank');
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.clearDataForOrigin', { origin, storageTypes: 'all' });
  await cdp.detach();
}

test('a checkpoint downloaded as a file restores the exact state after the site data is cleared; a damaged file changes nothing', async ({ page }, testInfo) => {
  await page.goto(PAGE);
  await page.getByTestId('ckpt-open').click();
  await expect(page.getByTestId('ckpt-result')).toHaveText('opened db-1');
  await put(page, 'alice', 'hi');
  await put(page, 'bob', 'hello');
  await page.getByTestId('ckpt-add-many').click();
  await expect(page.getByTestId('ckpt-count')).toHaveText('(502 keys, first 50 shown)');
  await checkpoint(page);
  await put(page, 'alice', 'hi again');
  await put(page, 'carol', 'hey');
  await checkpoint(page);
  const expected = await stateOf(page);
  expect(expected.history.find(([k]) => k === 'alice')?.[1]).toEqual(['hi', 'hi again']);

  // The second checkpoint is incremental: it stores only what changed since the first.
  const [first, second] = await page.evaluate(() => window.edgestateDemo.checkpoints.list());
  expect(first!.incremental).toBe(false);
  expect(second!.incremental).toBe(true);
  expect(second!.deltaBytes).toBeLessThan(second!.totalBytes);
  await expect(page.getByTestId('ckpt-list').locator('tr').nth(1)).toContainText('incremental');

  // Writes after the checkpoint are not in it.
  await put(page, 'dave', 'too late');

  const downloading = page.waitForEvent('download');
  await page.getByTestId('ckpt-list').locator('tr').nth(1).getByTestId('ckpt-download').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(`${second!.id}.esckp`);
  const saved = testInfo.outputPath('checkpoint.esckp');
  await download.saveAs(saved);
  const bytes = await readFile(saved);
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x45, 0x53, 0x43, 0x4b, 0x50, 0x0d, 0x0a]);

  await clearSiteData(page);
  await page.goto(PAGE);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
  expect(await siteData(page)).toEqual([]);
  await page.getByTestId('ckpt-open').click();
  await expect(page.getByTestId('ckpt-result')).toHaveText('opened db-1');
  expect(await stateOf(page)).toEqual({ greeting: [], history: [], visits: [] });
  await expect(page.getByTestId('ckpt-list').locator('tr')).toHaveCount(0);

  await page.getByTestId('ckpt-import').setInputFiles(saved);
  await expect(page.getByTestId('ckpt-result')).toHaveText(/^restored checkpoint\.esckp into db-\d+: 503 keys$/);
  expect(await stateOf(page)).toEqual(expected);
  await expect(page.getByTestId('ckpt-count')).toHaveText('(503 keys, first 50 shown)');
  await expect(page.getByTestId('ckpt-state').locator('tr').first()).toHaveText(['alice', 'hi again', 'hi, hi again', '2'].join(''));
  const restoredDatabase = await page.getByTestId('ckpt-db').textContent();

  // A bit flipped in the middle of the file: a typed corruption error, and nothing changes.
  const damaged = Buffer.from(bytes);
  const middle = damaged.length >> 1;
  damaged[middle] = damaged[middle]! ^ 0x10;
  const damagedPath = testInfo.outputPath('damaged.esckp');
  await writeFile(damagedPath, damaged);
  await page.getByTestId('ckpt-import').setInputFiles(damagedPath);
  const result = page.getByTestId('ckpt-result');
  await expect(result).toHaveClass(/error/);
  await expect(result).toHaveAttribute('data-error-code', 'CORRUPTION');
  expect(['CheckpointFormatError', 'CorruptionError']).toContain(await result.getAttribute('data-error-name'));
  await expect(page.getByTestId('ckpt-db')).toHaveText(restoredDatabase!);
  expect(await stateOf(page)).toEqual(expected);
  // The fresh database the failed import would have used is gone: only the restored one is left.
  const databases = (await siteData(page)).filter((n) => /^opfs:edgestate\/checkpoints-demo\/[^/]+$/.test(n));
  expect(databases).toEqual([`opfs:edgestate/checkpoints-demo/${restoredDatabase}`]);
});

test('uploading a file that is not a checkpoint export fails with CheckpointFormatError and keeps the state', async ({ page }, testInfo) => {
  await page.goto(`${PAGE}-foreign`);
  await page.getByTestId('ckpt-open').click();
  await put(page, 'k', 'v');
  const before = await stateOf(page);
  const foreign = testInfo.outputPath('notes.esckp');
  await writeFile(foreign, 'just some text, not a checkpoint\n'.repeat(10));
  await page.getByTestId('ckpt-import').setInputFiles(foreign);
  await expect(page.getByTestId('ckpt-result')).toHaveAttribute('data-error-name', 'CheckpointFormatError');
  await expect(page.getByTestId('ckpt-result')).toContainText('wrong magic bytes');
  expect(await stateOf(page)).toEqual(before);
});
