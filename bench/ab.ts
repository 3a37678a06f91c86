/**
 * A/B timing of two checkouts in one process, so machine load hits both alike: imports the
 * explorer of each tree, runs the same explores alternately and prints the min and median of each.
 *
 *   npx tsx bench/ab.ts --a /path/to/old/checkout --b . [--reps 3] [--trio-states 25000]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { sha256PerSecond } from './goals.js';

interface Tree {
  readonly label: string;
  readonly explore: (s: unknown, o: unknown) => { distinctStates: number; transitions: number; counterexamples: readonly { invariant: string }[] };
  readonly parseVariant: (v: string) => { ok: boolean; variant?: unknown };
  readonly trio: unknown;
  readonly seed: unknown;
}

async function load(root: string, label: string): Promise<Tree> {
  const url = (p: string): string => pathToFileURL(resolve(root, p)).href;
  const verify = (await import(url('model/verify/index.ts'))) as { explore: Tree['explore'] };
  const nix = (await import(url('model/nix/index.ts'))) as { parseVariant: Tree['parseVariant'] };
  const sc = (await import(url('bench/scenarios.ts'))) as { concurrentTrio: () => unknown };
  const b = (await import(url('sim/scenarios/builtin.ts'))) as { seed487: unknown };
  return { label, explore: verify.explore, parseVariant: nix.parseVariant, trio: sc.concurrentTrio(), seed: b.seed487 };
}

const { values } = parseArgs({ options: { a: { type: 'string' }, b: { type: 'string' }, reps: { type: 'string' }, 'trio-states': { type: 'string' } } });
const trees = [await load(values.a ?? '.', 'A'), await load(values.b ?? '.', 'B')];
const reps = Number(values.reps ?? '3');
const trioStates = Number(values['trio-states'] ?? '25000');
const jobs = [
  { name: 'trio upstream', scen: (t: Tree) => t.trio, faults: ['interrupt'], maxStates: trioStates, variant: 'upstream' },
  { name: 'seed-487 upstream (i)', scen: (t: Tree) => t.seed, faults: ['interrupt'], maxStates: 50_000, variant: 'upstream' },
];
for (const j of jobs) {
  const times = new Map<string, number[]>();
  for (let r = 0; r < reps; r++) {
    for (const t of trees) {
      const v = t.parseVariant(j.variant);
      const t0 = performance.now();
      const res = t.explore(j.scen(t), { variant: v.variant, faults: j.faults, maxFaults: 1, maxDepth: 200, maxStates: j.maxStates });
      const ms = performance.now() - t0;
      (times.get(t.label) ?? times.set(t.label, []).get(t.label) ?? []).push(ms);
      if (r === 0) process.stdout.write(`${j.name} ${t.label}: ${String(res.distinctStates)} states, ${String(res.transitions)} transitions, cx ${res.counterexamples.map((c) => c.invariant).join(',')}\n`);
    }
  }
  for (const t of trees) {
    const ts = [...(times.get(t.label) ?? [])].sort((x, y) => x - y);
    process.stdout.write(`${j.name} ${t.label}: min ${ts[0]?.toFixed(0) ?? '?'} ms, median ${ts[Math.floor(ts.length / 2)]?.toFixed(0) ?? '?'} ms\n`);
  }
}
process.stdout.write(`sha256(3KB)/s: ${sha256PerSecond(300).toFixed(0)}\n`);
