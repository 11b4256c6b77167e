import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The browser bench page (bench/browser), built and served by bench/run-browser.mjs on its own
// port (not the demo's 5173/4173, so both can run at once).
const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: `${here}browser`,
  // sqlite-wasm locates its .wasm beside its module (import.meta.url); pre-bundling would move
  // the module away from the file (the package's README asks to exclude it).
  optimizeDeps: { exclude: ['@sqlite.org/sqlite-wasm'] },
  server: { port: 4190, strictPort: true, fs: { allow: [`${here}..`] } },
  preview: { port: 4190, strictPort: true },
  build: { outDir: `${here}dist`, emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
