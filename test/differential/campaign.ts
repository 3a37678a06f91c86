/**
 * A long differential campaign outside vitest: `npm run fscheck -- --runs N [--seed S]`.
 * Prints `N sequences, M divergences` and the first divergences' reports; exits 1 if any.
 */
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import { sequenceArb } from '../arbitraries/fs-ops.js';
import { canRunOracle, Oracle } from './oracle.js';
import { runSequence, type Tally } from './sequence.js';
import { machineSettings, showSettings } from './sysctl.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' }, show: { type: 'string', default: '3' }, stats: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const seed = values.seed === undefined ? Date.now() % 2 ** 31 : Number(values.seed);

if (!canRunOracle()) {
  console.error('fscheck needs root on Linux: the oracle workers change uid.');
  process.exit(2);
}
console.log(`seed ${seed}, ${showSettings(machineSettings())}`);
const oracle = await Oracle.start();
const started = performance.now();
let divergences = 0;
let ops = 0;
const tally: Tally = new Map();
try {
  const sequences = fc.sample(sequenceArb, { numRuns: runs, seed });
  for (const [i, seq] of sequences.entries()) {
    ops += seq.length;
    const d = await runSequence(oracle, seq, tally);
    if (d) {
      divergences++;
      if (divergences <= Number(values.show)) console.log(`\n--- divergence in sequence ${i} ---\n${d.report}`);
    }
    if ((i + 1) % 1000 === 0) console.log(`${i + 1} sequences, ${divergences} divergences so far`);
  }
} finally {
  oracle.stop();
}
const secs = (performance.now() - started) / 1000;
if (values.stats) {
  const byOp = new Map<string, string[]>();
  for (const [key, n] of [...tally].sort()) {
    const [op = '', outcome = ''] = key.split(' ');
    byOp.set(op, [...(byOp.get(op) ?? []), `${outcome} ${n}`]);
  }
  for (const [op, outcomes] of byOp) console.log(`  ${op.padEnd(10)} ${outcomes.join(', ')}`);
}
console.log(`${runs} sequences, ${divergences} divergences (${ops} syscalls, ${secs.toFixed(1)} s, seed ${seed})`);
process.exit(divergences === 0 ? 0 : 1);
