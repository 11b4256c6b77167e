/**
 * Which module implements each contender. Loaded on demand, so a worker only instantiates the
 * wasm it measures (the engine's or sqlite's, never both).
 */
import type { ContenderId } from '../protocol.js';
import type { Contender } from './contender.js';

/** The WAL buffer of the `engine-opfs-walbuf` contender (openLsm's `walBufferSize`). */
const WAL_BUFFER = 1 << 20;

/** Loads and creates the contender `id`. */
export async function loadContender(id: ContenderId): Promise<Contender> {
  switch (id) {
    case 'engine-opfs':
      return (await import('./engine.js')).engineOpfs();
    case 'engine-opfs-walbuf':
      return (await import('./engine.js')).engineOpfs(WAL_BUFFER);
    case 'engine-memory':
      return (await import('./engine.js')).engineMemory();
    case 'idb':
      return (await import('./idb.js')).idbContender();
    case 'sqlite-sahpool':
      return (await import('./sqlite.js')).sqliteContender();
    case 'map':
      return (await import('./map.js')).mapContender();
  }
}
