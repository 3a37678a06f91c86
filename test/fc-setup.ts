import fc from 'fast-check';

// Property runs are counted, never timed: FC_NUM_RUNS scales every property for longer campaigns.
// FC_SEED fixes the seed: @fast-check/vitest puts it in each property test's name, and a name that
// changes between runs is a different test to a tool that maps tests across runs (npm run mutate).
const seed = process.env['FC_SEED'];
fc.configureGlobal({ numRuns: Number(process.env['FC_NUM_RUNS'] ?? 100), ...(seed === undefined ? {} : { seed: Number(seed) }) });
