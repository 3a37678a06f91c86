/** The verdict matrix docs/verification.md records, read back for tests that compare the model's answers with it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INVARIANTS } from '../../model/verify/index.js';
import { FAULT_LETTER, verdictOf, type Cell } from '../../sim/verdicts.js';

const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'verification.md'), 'utf8');

/** The matrix docs/verification.md shows for `scenario`: per variant, each invariant's cell ('✓', '?', or ✗ with its fault letters) and the states. */
export function recorded(scenario: string): Map<string, { marks: string[]; states: number }> {
  const section = doc.split(`\n## ${scenario}\n`)[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, { marks: string[]; states: number }>();
  for (const line of section.split('\n')) {
    const cols = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cols.length !== INVARIANTS.length + 2 || cols[0] === 'variant' || cols[0]?.startsWith('-')) continue;
    const marks = cols.slice(1, -1).map((c) => (c.startsWith('✗') ? `✗${[...c.matchAll(/\[([icbt])\]/g)].map((m) => m[1]).join('')}` : c));
    rows.set(cols[0] ?? '', { marks, states: Number(cols.at(-1)) });
  }
  return rows;
}

/** The same row computed from a variant's cells (one per fault model). */
export function marksOf(cells: readonly Cell[]): string[] {
  return INVARIANTS.map(({ name }) => {
    const hit = cells.filter((c) => verdictOf(c, name) === 'violated').map((c) => FAULT_LETTER[c.fault]);
    if (hit.length > 0) return `✗${hit.join('')}`;
    return cells.every((c) => verdictOf(c, name) === 'holds') ? '✓' : '?';
  });
}
