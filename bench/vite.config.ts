import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser bench page (bench/browser), built and served by bench/run-browser.mjs on its own
// port (not the demo's 5173/4173, so both can run at once).
const here = fileURLToPath(new URL('.', import.meta.url));
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  root: `${here}browser`,
  // sqlite-wasm locates its .wasm beside its module (import.meta.url); pre-bundling would move
  // the module away from the file (the package's README asks to exclude it).
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm'] },
  // Cross-origin isolated (COOP + COEP), so performance.now() in workers ticks in 5 µs steps
  // instead of 100 µs: the state benchmark's fastest phases last about a millisecond.
  server: { port: 4190, strictPort: true, fs: { allow: [`${here}..`] }, headers: ISOLATION },
  preview: { port: 4190, strictPort: true, headers: ISOLATION },
  build: { outDir: `${here}dist`, emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
