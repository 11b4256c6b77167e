import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Unit tests of the bench's environment-independent parts (workload generator, report, db_bench
// parsing): `npx vitest run --config bench/vitest.config.ts` (the root config covers web/ and
// worker/ only).
export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  test: {
    include: ['bench/**/*.test.{ts,mjs}'],
    environment: 'node',
  },
});
