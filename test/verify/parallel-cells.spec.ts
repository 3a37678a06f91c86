/**
 * Cells explored on several threads must come out as on one: the same states, transitions and
 * counterexamples, and the same state counts and verdicts that docs/verification.md records.
 */
import { describe, expect, it } from 'vitest';
import { BUILTIN } from '../../sim/scenarios/builtin.js';
import { BOUNDS } from '../../sim/verification-doc.js';
import { boundedScenario, scenarioBounds, type Cell } from '../../sim/verdicts.js';
import { exploreCellsOn } from '../../sim/workers/pool.js';
import { marksOf, recorded } from './recorded-matrix.js';

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
