/**
 * The engine's worker: a module worker that owns one database and serves it to the main thread
 * through comlink (see `host.ts`). Start it with
 * `new Worker(new URL('edgestate/worker/worker.ts', import.meta.url), { type: 'module' })` and
 * talk to it with `connect()`.
 */
import { expose } from 'comlink';
import { createEngineHost } from './host.js';
import { installErrorTransfer } from './wire.js';

installErrorTransfer();
expose(createEngineHost());
