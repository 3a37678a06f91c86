/**
 * The equivalence check every speed-up is landed with: explores every built-in scenario × variant ×
 * fault model at the bounds docs/verification.md uses and writes, per cell, what an optimisation must
 * not change: distinct states, transitions, depth, the bound that stopped it, and each counterexample
 * (invariant, message, events). Run it before and after a change and compare:
 *
 *   npx tsx bench/equivalence.ts --out /tmp/before.json
 *   npx tsx bench/equivalence.ts --compare /tmp/before.json      # exit 1 on any difference
 *
 * `--only seed-487,concurrent-gc` restricts the scenarios; `--variants upstream,recommended` the variants.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BUILTIN } from '../sim/scenarios/builtin.js';
import { allVariants, boundedScenario, exploreCell, scenarioBounds } from '../sim/verdicts.js';
import { BOUNDS } from '../sim/verification-doc.js';

export interface CellRecord {
  readonly key: string;
  readonly states: number;
  readonly transitions: number;
  readonly exhaustive: boolean;
  readonly counterexamples: readonly { readonly invariant: string; readonly message: string; readonly events: string }[];
}

/** Every built-in cell (or those of `only` / `variants`), explored one after another in this process. */
export function equivalenceCells(only?: readonly string[], variants: readonly string[] = allVariants()): CellRecord[] {
  const out: CellRecord[] = [];
  for (const s of BUILTIN) {
    if (only && !only.includes(s.name)) continue;
    const b = scenarioBounds(s, BOUNDS);
    for (const v of variants) {
      for (const f of b.faults) {
        const c = exploreCell(boundedScenario(s, b), v, f, { maxDepth: b.maxDepth, maxStates: b.maxStates, maxFaults: b.maxFaults, now: () => 0 });
        out.push({
          key: `${s.name}|${v}|${f}`,
          states: c.states,
          transitions: c.transitions,
          exhaustive: c.coverage.kind === 'exhaustive',
          counterexamples: c.counterexamples.map((x) => ({ invariant: x.invariant, message: x.message, events: JSON.stringify(x.events) })),
        });
      }
    }
  }
  return out;
}

/** Lines naming every difference between two runs (empty: equivalent). */
export function differences(before: readonly CellRecord[], after: readonly CellRecord[]): string[] {
  const out: string[] = [];
  const now = new Map(after.map((c) => [c.key, c]));
  for (const b of before) {
    const a = now.get(b.key);
    if (!a) continue;
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${b.key}: before ${JSON.stringify(b)}\n  after ${JSON.stringify(a)}`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, compare: { type: 'string' }, only: { type: 'string' }, variants: { type: 'string' } } });
  const t0 = performance.now();
  const cells = equivalenceCells(values.only?.split(','), values.variants?.split(','));
  const ms = performance.now() - t0;
  const states = cells.reduce((a, c) => a + c.states, 0);
  process.stderr.write(`${String(cells.length)} cells, ${String(states)} states in ${(ms / 1000).toFixed(1)} s\n`);
  if (values.out) writeFileSync(values.out, JSON.stringify(cells, null, 1));
  if (values.compare) {
    const diff = differences(JSON.parse(readFileSync(values.compare, 'utf8')) as CellRecord[], cells);
    process.stderr.write(diff.length === 0 ? `identical to ${values.compare}\n` : `${diff.join('\n')}\n${String(diff.length)} cells differ\n`);
    process.exitCode = diff.length === 0 ? 0 : 1;
  }
}
