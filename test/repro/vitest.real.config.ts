import { defineConfig } from 'vitest/config';

/**
 * The tests that drive a REAL nix-daemon (root, Debian, minutes): never part of the default
 * `vitest run` (whose include is test/**\/*.spec.ts). Run them with
 *   npx vitest run -c test/repro/vitest.real.config.ts
 * CI runs `npm run validate:real` instead.
 */
export default defineConfig({
  test: {
    include: ['test/repro/**/*.real.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    fileParallelism: false,
  },
});
