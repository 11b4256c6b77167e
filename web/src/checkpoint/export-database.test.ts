import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { openLsm } from '../engine/lsm-database.js';
import { loadEngine } from '../engine/wasm-module.js';
import { memoryStorage } from '../storage/memory.js';
import { restoreCheckpointFiles } from '../state/lsm/lsm-checkpoints.js';
import { exportDatabase } from './export-database.js';

const text = new TextDecoder();

beforeAll(async () => {
  await loadEngine(readFileSync(new URL('../../../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url)));
});

it('a raw database exports as one file that restores with every column family and key', async () => {
  const db = await openLsm({ storage: memoryStorage(), columnFamilies: { list: { merge: 'listAppend' } } });
  for (let i = 0; i < 2000; i++) db.put(`k${i}`, `v${i}`);
  db.columnFamily('list').merge('l', 'x');
  db.createColumnFamily('other').put('o', '1');
  const blob = exportDatabase(db, 'raw-1');
  db.put('after', 'not exported');
  await db.close();

  const target = memoryStorage();
  const header = await restoreCheckpointFiles(blob, target, { staging: memoryStorage() });
  expect(header.id).toBe('raw-1');
  const back = await openLsm({ storage: target, columnFamilyDefaults: { merge: 'listAppend' } });
  expect(back.count()).toBe(2000);
  expect(back.getString('k1999')).toBe('v1999');
  expect(back.get('after')).toBeUndefined();
  expect(back.columnFamilyNames().sort()).toEqual(['default', 'list', 'other']);
  expect(text.decode(back.columnFamily('other').get('o'))).toBe('1');
  await back.close();
});
