/**
 * Loads the engine's WebAssembly module once per JS realm (worker, page, Node process).
 */
import init, { initSync } from '../../../wasm/pkg/edgestate_lsm.js';

/** Where the engine's `.wasm` comes from. Omit it in browsers: the bundler resolves the file. */
export type EngineSource = BufferSource | WebAssembly.Module | URL | Response | Promise<Response>;

let loading: Promise<void> | undefined;
let memory: WebAssembly.Memory | undefined;

/**
 * Instantiates the engine. Idempotent: later calls return the first call's promise (and ignore
 * their `source`).
 */
export function loadEngine(source?: EngineSource): Promise<void> {
  loading ??= (async () => {
    if (source instanceof WebAssembly.Module || ArrayBuffer.isView(source) || source instanceof ArrayBuffer) {
      memory = initSync({ module: source }).memory;
    } else {
      memory = (await init(source === undefined ? undefined : { module_or_path: source })).memory;
    }
  })();
  return loading;
}

/** The engine's linear memory (after {@link loadEngine} resolved). */
export function engineMemory(): WebAssembly.Memory {
  if (memory === undefined) throw new Error('edgestate: the engine is not loaded (await loadEngine() first)');
  return memory;
}
