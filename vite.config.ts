import { defineConfig } from 'vite';

// The demo app. It imports the library and the worker from their source folders, and the
// engine's .wasm from wasm/pkg (built by scripts/build-wasm.sh).
export default defineConfig({
  root: 'demo',
  server: { port: 5173, strictPort: true, fs: { allow: ['..'] } },
  preview: { port: 4173, strictPort: true },
  build: { outDir: '../dist/demo', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
});
