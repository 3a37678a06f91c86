/**
 * Writes test/fixtures/verification-cells.json: every cell docs/verification.md explores (scenario
 * × variant × fault model, same bounds), as state counts, coverage and verdicts. The equivalence
 * test compares a later model with it; regenerate it (or run the test with ACCEPT=1) only when a
 * change of behaviour is meant.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cellRecords, cellRecordsJson } from '../sim/cell-record.js';
import { exploredCells, generateVerification } from '../sim/verification-doc.js';

const root = join(import.meta.dirname, '..');
// the commit the modules were loaded from: HEAD may move while the cells are explored
const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const t0 = performance.now();
generateVerification();
const cells = cellRecords(exploredCells());
const out = join(root, 'test', 'fixtures', 'verification-cells.json');
writeFileSync(out, cellRecordsJson(commit, cells));
process.stdout.write(`wrote ${String(Object.keys(cells).length)} cells to ${out} in ${String(Math.round(performance.now() - t0))} ms\n`);
