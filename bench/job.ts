/**
 * One bench job in its own process: `node --expose-gc --import tsx bench/job.ts '<JobSpec JSON>'`.
 * Prints one line, `BENCH-RESULT <JobResult JSON>`, on stdout; bench/run.ts spawns it.
 */
import { runJob, type JobSpec } from './measure.js';

export const RESULT_PREFIX = 'BENCH-RESULT ';

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const spec = JSON.parse(process.argv[2] ?? '') as JobSpec;
  const result = await runJob(spec);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
