import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests of the bench's environment-independent parts (the workload generator), run with
// `npx vitest run --config bench/vitest.config.ts` (the root config covers web/ and worker/ only).
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['bench/**/*.test.ts'],
    environment: 'node',
  },
});
