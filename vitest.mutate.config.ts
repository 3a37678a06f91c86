/**
 * The kill set for `npm run mutate`: the behaviour tests. Left out are the tests that compare output
 * with a committed copy (docs/verification.md, docs/lifecycle.md, the traces quoted in docs/traces.md,
 * docs/README.md's excerpts, docs/scenario.schema.json): they notice a change, not a wrong answer, and
 * a regeneration blesses whatever the mutant did. Also left out: the real-kernel differential tests
 * (root only, so a score would depend on the machine; their rule cases run on the model in test/fs),
 * the bench pipeline, specs that drive child processes or git (a mutant is active only in the test
 * runner's own process; cli.spec's in-process runs also happen while its file loads, which would make
 * every mutant they reach run the whole kill set), and the citation tables' specs (not mutated).
 */
import { configDefaults, defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

export const COMMITTED_OUTPUT = [
  'test/verify/verification-doc.spec.ts',
  'test/docs/traces.spec.ts',
  'test/docs/links.spec.ts',
];

export const NOT_IN_KILL_SET = [
  ...COMMITTED_OUTPUT,
  'test/differential/**',
  'test/bench/**',
  'test/sim/patches/**',
  'test/repro/**',
  'test/sim/cli.spec.ts',
  'test/sim/citations.spec.ts',
  'test/nix/citations.spec.ts',
];

export default mergeConfig(base, defineConfig({
  test: {
    exclude: [...configDefaults.exclude, ...NOT_IN_KILL_SET],
    reporters: ['default'],
    // mixed files (lifecycle.spec, scenario-schema.spec) skip their committed-copy checks on this.
    // FC_SEED: a property test's name carries its seed; with a fresh seed per run, Stryker's per-test
    // coverage found no test by the dry run's name, and every mutant only a property kills survived
    env: { COMMITTED_OUTPUT: 'skip', FC_SEED: '487' },
  },
}));
