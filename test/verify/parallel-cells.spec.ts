/**
 * Cells explored on several threads must come out as on one: the same states, transitions and
 * counterexamples, and the same state counts and verdicts that docs/verification.md records.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../model/verify/index.js';
import { BUILTIN } from '../../sim/scenarios/builtin.js';
import { BOUNDS } from '../../sim/verification-doc.js';
import { boundedScenario, FAULT_LETTER, scenarioBounds, verdictOf, type Cell } from '../../sim/verdicts.js';
import { exploreCellsOn } from '../../sim/workers/pool.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'verification.md'), 'utf8');

/** The matrix docs/verification.md shows for `scenario`: per variant, each invariant's cell ('✓', '?', or ✗ with its fault letters) and the states. */
function recorded(scenario: string): Map<string, { marks: string[]; states: number }> {
  const section = doc.split(`\n## ${scenario}\n`)[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, { marks: string[]; states: number }>();
  for (const line of section.split('\n')) {
    const cols = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cols.length !== INVARIANTS.length + 2 || cols[0] === 'variant' || cols[0]?.startsWith('-')) continue;
    const marks = cols.slice(1, -1).map((c) => (c.startsWith('✗') ? `✗${[...c.matchAll(/\[([icb])\]/g)].map((m) => m[1]).join('')}` : c));
    rows.set(cols[0] ?? '', { marks, states: Number(cols.at(-1)) });
  }
  return rows;
}

function marksOf(cells: readonly Cell[]): string[] {
  return INVARIANTS.map(({ name }) => {
    const hit = cells.filter((c) => verdictOf(c, name) === 'violated').map((c) => FAULT_LETTER[c.fault]);
    if (hit.length > 0) return `✗${hit.join('')}`;
    return cells.every((c) => verdictOf(c, name) === 'holds') ? '✓' : '?';
  });
}

const strip = (cells: readonly Cell[]): unknown => cells.map(({ millis: _m, ...rest }) => rest);

describe('cells on several threads', () => {
  for (const name of ['concurrent-gc', 'delete-races-rebuild']) {
    it(`should match one thread and docs/verification.md on ${name}`, () => {
      const s = BUILTIN.find((x) => x.name === name);
      if (!s) throw new Error(`no built-in ${name}`);
      const b = scenarioBounds(s, BOUNDS);
      const rows = recorded(name);
      expect(rows.size).toBeGreaterThan(1);
      const cfg = { maxDepth: b.maxDepth, maxStates: b.maxStates, maxFaults: b.maxFaults };
      const tasks = [...rows.keys()].flatMap((variant) => b.faults.map((fault) => ({ scenario: boundedScenario(s, b), variant, fault, cfg })));
      const now = (): number => performance.now();
      const one = exploreCellsOn(1, tasks, now);
      const two = exploreCellsOn(2, tasks, now);
      expect(strip(two)).toEqual(strip(one));
      for (const [variant, row] of rows) {
        const mine = two.filter((c) => c.variant === variant);
        expect({ variant, marks: marksOf(mine), states: mine.reduce((a, c) => a + c.states, 0) }).toEqual({ variant, ...row });
      }
    });
  }
});
