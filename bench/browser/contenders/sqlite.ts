/**
 * SQLite compiled to wasm (@sqlite.org/sqlite-wasm) on its `opfs-sahpool` VFS (a pool of
 * pre-opened OPFS sync access handles, the approach the engine's OPFS storage also takes), with
 * the table a key-value store would use: `kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID`, and
 * prepared statements throughout. Default pragmas (rollback journal, synchronous=FULL: every
 * committed transaction is durable) except the page cache, given the engine's block-cache share
 * of its default memory budget (32 of 64 MiB) instead of sqlite's 2 MiB, so that sqlite is not
 * measured re-reading pages the engine would have cached.
 */
import sqlite3InitModule, { type Database, type PreparedStatement, type Sqlite3Static } from '@sqlite.org/sqlite-wasm';
import type { Workload } from '../workload.js';
import type { Contender, Store } from './contender.js';

/** `PRAGMA cache_size` in KiB (negative: a size, not a page count). */
const CACHE_KIB = 32 * 1024;

/** The pool's name and OPFS directory, private to the bench. */
const VFS_NAME = 'edgestate-bench-sahpool';
const VFS_DIRECTORY = '.edgestate-bench-sahpool';

type SahPool = Awaited<ReturnType<Sqlite3Static['installOpfsSAHPoolVfs']>>;

function sqliteStore(db: Database, onClose: () => void): Store {
  db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
  db.exec('CREATE TABLE kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID');
  const insert = db.prepare('INSERT OR REPLACE INTO kv(k, v) VALUES (?, ?)');
  const select = db.prepare('SELECT v FROM kv WHERE k = ?');
  const range = db.prepare('SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?');
  const write = (w: Workload, i: number): void => {
    insert.bind([w.key(i), w.value(i)]).stepReset();
  };
  const statements: PreparedStatement[] = [insert, select, range];
  return {
    putOne(w: Workload, count: number): void {
      // Autocommit: each INSERT is its own durable transaction.
      for (let i = 0; i < count; i++) write(w, i);
    },
    putBatch(w: Workload, count: number, batchSize: number): void {
      for (let from = 0; from < count; from += batchSize) {
        const to = Math.min(from + batchSize, count);
        db.exec('BEGIN');
        for (let i = from; i < to; i++) write(w, i);
        db.exec('COMMIT');
      }
    },
    // Each batch committed durably already: nothing is pending after the load.
    makeDurable: () => Promise.resolve(),
    commitOne(w: Workload, i: number): Promise<void> {
      write(w, i);
      return Promise.resolve();
    },
    get(w: Workload, order: Uint32Array): number {
      let found = 0;
      for (const i of order) {
        select.bind(1, w.key(i));
        if (select.step() && (select.get(0) as Uint8Array | null)?.length === w.value(i).length) found++;
        select.reset();
      }
      return found;
    },
    scan(w: Workload, starts: Uint32Array, length: number): number {
      let entries = 0;
      for (const i of starts) {
        range.bind([w.key(i), length]);
        while (range.step()) {
          const key = range.get(0) as Uint8Array;
          const value = range.get(1) as Uint8Array;
          if (key.length > 0 && value.length > 0) entries++;
        }
        range.reset();
      }
      return entries;
    },
    close(): Promise<void> {
      for (const statement of statements) statement.finalize();
      db.close();
      onClose();
      return Promise.resolve();
    },
  };
}

/** The sqlite-wasm contender. */
export function sqliteContender(): Contender {
  let sqlite: Promise<{ sqlite3: Sqlite3Static; pool: SahPool }> | undefined;
  const start = (): Promise<{ sqlite3: Sqlite3Static; pool: SahPool }> =>
    (sqlite ??= (async () => {
      const sqlite3 = await sqlite3InitModule();
      const pool = await sqlite3.installOpfsSAHPoolVfs({ name: VFS_NAME, directory: VFS_DIRECTORY, clearOnInit: true });
      return { sqlite3, pool };
    })());
  let version = '';
  return {
    get detail(): string {
      return `SQLite ${version} (@sqlite.org/sqlite-wasm) on opfs-sahpool, kv(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID, cache_size ${CACHE_KIB / 1024} MiB, other pragmas default`;
    },
    notes: [
      'sqlite per-op put = one autocommit INSERT (a durable transaction) per put; batched = BEGIN … COMMIT per batch',
      'sqlite commit = one autocommit INSERT (rollback journal, synchronous=FULL)',
    ],
    perOpCapped: true,
    async open(name: string): Promise<Store> {
      const { sqlite3, pool } = await start();
      version = sqlite3.version.libVersion;
      const file = `/${name}.sqlite3`;
      pool.unlink(file);
      const db = new pool.OpfsSAHPoolDb(file);
      return sqliteStore(db, () => pool.unlink(file));
    },
    async dispose(): Promise<void> {
      if (sqlite === undefined) return;
      const { pool } = await sqlite;
      await pool.removeVfs();
    },
  };
}
