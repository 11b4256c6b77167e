import { expect, test } from '@playwright/test';

// The CheckpointStore contract (web/src/checkpoint/store-conformance.ts, the same checks vitest
// runs on the memory and Node fs stores) against the browser stores: IndexedDB and an OPFS
// directory, on the page (main thread) and in a worker.

test.beforeEach(async ({ page }) => {
  await page.goto(`/?db=store-conformance-page-${Date.now()}&storage=memory`);
  await expect(page.getByTestId('recovery')).toContainText('recovered');
});

for (const store of ['indexeddb', 'opfs'] as const) {
  for (const where of ['page', 'worker'] as const) {
    test(`the ${store} checkpoint store passes every store conformance check on the ${where}`, async ({ page }) => {
      const report = await page.evaluate(([s, w]) => window.edgestateDemo.runCheckpointStoreConformance(s, w), [store, where] as const);
      expect(report.store).toBe(store);
      expect(report.context).toBe(where);
      expect(report.checks).toBeGreaterThanOrEqual(13);
      expect(report.failures).toEqual([]);
    });
  }
}

test('store conformance runs leave no stores behind', async ({ page }) => {
  await page.evaluate(() => window.edgestateDemo.runCheckpointStoreConformance('opfs', 'page'));
  await page.evaluate(() => window.edgestateDemo.runCheckpointStoreConformance('indexeddb', 'worker'));
  const left = await page.evaluate(async () => {
    const names: string[] = [];
    try {
      const root = await navigator.storage.getDirectory();
      const dir = await (await root.getDirectoryHandle('edgestate-checkpoints')).getDirectoryHandle('store-conformance');
      for await (const name of dir.keys()) names.push(`opfs:${name}`);
    } catch (e) {
      if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
    }
    for (const d of await indexedDB.databases()) if (d.name?.startsWith('edgestate-checkpoints:store-conformance-')) names.push(`idb:${d.name}`);
    return names;
  });
  expect(left).toEqual([]);
});

test('the OPFS store never lists a file or record still being written, nor the browser’s swap files', async ({ page }) => {
  const seen = await page.evaluate(async () => {
    const { opfsCheckpointStore } = window.edgestateDemo.checkpointStores;
    const name = `store-conformance/torn-${Date.now()}`;
    const store = opfsCheckpointStore(name);
    await store.putFile('db/000001.sst', new Uint8Array([1, 2, 3]));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(1000);
      await gate;
      yield new Uint8Array(1000);
    }
    const writing = store.putFile('db/000002.sst', slow());
    await new Promise((resolve) => setTimeout(resolve, 50));
    const during = await store.listFiles();
    const hasDuring = await store.hasFile('db/000002.sst');
    release();
    await writing;
    const after = await store.listFiles();
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle('edgestate-checkpoints');
    await (await root.getDirectoryHandle('store-conformance')).removeEntry(name.split('/')[1]!, { recursive: true });
    const sort = (l: Array<{ key: string; size: number }>) => l.map((f) => `${f.key}:${f.size}`).sort();
    return { during: sort(during), hasDuring, after: sort(after) };
  });
  expect(seen).toEqual({ during: ['db/000001.sst:3'], hasDuring: false, after: ['db/000001.sst:3', 'db/000002.sst:2000'] });
});

for (const store of ['indexeddb', 'opfs'] as const) {
  test(`an LSM backend's incremental checkpoint chain in the ${store} store keeps the newest 3, leaves no orphaned file and restores exactly`, async ({ page }) => {
    const r = await page.evaluate((s) => window.edgestateDemo.runCheckpointRoundTrip(s), store);
    expect(r.retained).toHaveLength(3);
    expect(r.orphans).toEqual([]);
    expect(r.missing).toEqual([]);
    expect(r.sizes[0]!.incremental).toBe(false);
    for (const s of r.sizes.slice(1)) {
      expect(s.incremental).toBe(true);
      expect(s.deltaBytes).toBeLessThan(s.totalBytes);
    }
    expect(r.restoredEqual).toBe(true);
    expect(r.restoredKeys).toBe(5000);
    const left = await page.evaluate(async () => {
      const names: string[] = [];
      const root = await navigator.storage.getDirectory();
      for (const path of [['edgestate', 'checkpoint-round-trip'], ['edgestate-checkpoints', 'checkpoint-round-trip']]) {
        try {
          let dir = root;
          for (const segment of path) dir = await dir.getDirectoryHandle(segment);
          for await (const name of dir.keys()) names.push(`opfs:${path.join('/')}/${name}`);
        } catch (e) {
          if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
        }
      }
      for (const d of await indexedDB.databases()) if (d.name?.includes('checkpoint-round-trip')) names.push(`idb:${d.name}`);
      return names;
    });
    expect(left).toEqual([]);
    console.log(`${store}: deltas ${r.sizes.map((s) => `${s.deltaBytes}/${s.totalBytes}`).join(' ')}`);
  });
}
