import fc from 'fast-check';

// Property runs are counted, never timed: FC_NUM_RUNS scales every property for longer campaigns.
fc.configureGlobal({ numRuns: Number(process.env['FC_NUM_RUNS'] ?? 100) });
