import { defineConfig } from 'vitest/config';

// Unit and engine tests in Node (the engine's wasm over the memory storage). Browser-only
// behaviour (OPFS, locks, workers) is tested by Playwright in tests/browser.
export default defineConfig({
  test: {
    include: ['web/**/*.test.ts', 'worker/**/*.test.ts'],
    environment: 'node',
  },
});
