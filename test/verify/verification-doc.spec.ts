import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateVerification } from '../../sim/verification-doc.js';
import { accept, itCommitted } from '../committed.js';

const docs = join(import.meta.dirname, '..', '..', 'docs');

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
    rmSync(join(docs, 'verification'), { recursive: true, force: true });
    for (const [rel, content] of files) {
      mkdirSync(dirname(join(docs, rel)), { recursive: true });
      writeFileSync(join(docs, rel), content);
    }
  }
});
