import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cellRecords, cellRecordsJson } from '../../sim/cell-record.js';
import { exploredCells, generateVerification } from '../../sim/verification-doc.js';
import { accept, itCommitted } from '../committed.js';

const docs = join(import.meta.dirname, '..', '..', 'docs');
const cellsFixture = join(import.meta.dirname, '..', 'fixtures', 'verification-cells.json');

function onDisk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(docs, join(e.parentPath, e.name)));
}

// ACCEPT=1 npm test rewrites the expected output (as Nix's _NIX_TEST_ACCEPT=1 does) and skips the check
describe('docs/verification.md is the model’s current verdict matrix', () => {
  const { files, unexplained, unused } = generateVerification();
  it('explains every ✗ of the recommended series, and nothing else (sim/scenarios/findings.ts)', () => {
    expect({ unexplained, unused }).toEqual({ unexplained: [], unused: [] });
  });
  // Recorded by scripts/gen-cells-baseline.ts with the model before fix designs became files: the
  // refactor (and any later change meant to keep behaviour) leaves every cell's search the same.
  itCommitted('every cell explores as many states and transitions, and finds the same verdicts and shortest counterexample lengths, as test/fixtures/verification-cells.json records', () => {
    const baseline = JSON.parse(readFileSync(cellsFixture, 'utf8')) as { cells: Record<string, unknown> };
    const now = cellRecords(exploredCells());
    const differ = Object.keys({ ...baseline.cells, ...now }).filter((k) => JSON.stringify(baseline.cells[k]) !== JSON.stringify(now[k]));
    expect(differ.map((k) => `${k}: recorded ${JSON.stringify(baseline.cells[k])}, now ${JSON.stringify(now[k])}`)).toEqual([]);
    expect(Object.keys(now).length).toBeGreaterThan(500);
  });
  it('explores seed-487 with two faults on any build exhaustively: upstream wedges under every fault model, the series under none', () => {
    const bigger = [...exploredCells()].filter(([k]) => k.startsWith('bigger/seed-487|'));
    expect(bigger.length).toBe(3 * new Set(bigger.map(([, c]) => c.variant)).size);
    expect(bigger.filter(([, c]) => c.coverage.kind !== 'exhaustive').map(([k]) => k)).toEqual([]);
    const wedged = (v: string): string[] => bigger.filter(([, c]) => c.variant === v && c.counterexamples.some((x) => x.invariant === 'NoWedge')).map(([, c]) => c.fault);
    expect(wedged('upstream')).toEqual(['interrupt', 'crash', 'builderFailure']);
    expect(wedged('recommended')).toEqual([]);
    // a second fault reaches states one fault does not: each cell is larger than its one-fault twin
    for (const [k, c] of bigger) expect(c.states, k).toBeGreaterThan(exploredCells().get(k.slice('bigger/'.length))?.states ?? Infinity);
  });
  itCommitted('matches the generated matrix and traces (regenerate with npm run docs:verification)', () => {
    const stale: string[] = [];
    for (const [rel, content] of files) {
      const path = join(docs, rel);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== content) stale.push(rel);
    }
    const extra = onDisk(join(docs, 'verification')).filter((rel) => !files.has(rel));
    // name every file: an object diff would print `stale: [ …(10) ]`
    const report = [...stale.map((f) => `stale: docs/${f}`), ...extra.map((f) => `not generated any more: docs/${f}`)];
    expect(report, `npm run docs:verification would change:\n${report.join('\n')}`).toEqual([]);
  }, 600_000);
  if (accept) {
    const { files } = generateVerification();
    writeFileSync(cellsFixture, cellRecordsJson('ACCEPT=1', cellRecords(exploredCells())));
    rmSync(join(docs, 'verification'), { recursive: true, force: true });
    for (const [rel, content] of files) {
      mkdirSync(dirname(join(docs, rel)), { recursive: true });
      writeFileSync(join(docs, rel), content);
    }
  }
});
