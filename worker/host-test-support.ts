/**
 * Shared by the worker tests: engine hosts in this Node process, each behind a MessageChannel
 * with a client — the browser worker's code, minus the thread. Not part of the library.
 */
import { readFileSync } from 'node:fs';
import { expose } from 'comlink';
import { afterEach } from 'vitest';
import { connect, type EngineClient } from './connect.js';
import { createEngineHost } from './host.js';
import { installErrorTransfer } from './wire.js';

const wasm = readFileSync(new URL('../wasm/pkg/edgestate_lsm_bg.wasm', import.meta.url));

/**
 * A function that starts a fresh host (its memory storages die with it) and returns a client
 * for it; every port it opened is closed after each test of the calling file. `watch` sees the
 * host's and the client's ports before they are used (e.g. to spy on what they post).
 */
export function inProcessHosts(): (watch?: (hostPort: MessagePort, clientPort: MessagePort) => void) => EngineClient {
  const ports: MessagePort[] = [];
  afterEach(() => {
    for (const port of ports.splice(0)) port.close();
  });
  return (watch) => {
    installErrorTransfer();
    const { port1, port2 } = new MessageChannel();
    ports.push(port1, port2);
    watch?.(port1, port2);
    expose(createEngineHost({ wasm }), port1);
    return connect(port2);
  };
}
