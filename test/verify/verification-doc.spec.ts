import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateVerification } from '../../sim/verification-doc.js';

const docs = join(import.meta.dirname, '..', '..', 'docs');
const accept = process.env['ACCEPT'] === '1';

function onDisk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(docs, join(e.parentPath, e.name)));
}

// ACCEPT=1 npm test rewrites the expected output (as Nix's _NIX_TEST_ACCEPT=1 does) and skips the check
describe('docs/verification.md is the model’s current verdict matrix', () => {
  const { files } = generateVerification();
  (accept ? it.skip : it)('matches the generated matrix and traces (regenerate with npm run docs:verification)', () => {
    const stale: string[] = [];
    for (const [rel, content] of files) {
      const path = join(docs, rel);
      if (!existsSync(path) || readFileSync(path, 'utf8') !== content) stale.push(rel);
    }
    const extra = onDisk(join(docs, 'verification')).filter((rel) => !files.has(rel));
    expect({ stale: stale.slice(0, 10), staleCount: stale.length, extra }).toEqual({ stale: [], staleCount: 0, extra: [] });
  }, 600_000);
  if (accept) {
    rmSync(join(docs, 'verification'), { recursive: true, force: true });
    for (const [rel, content] of files) {
      mkdirSync(dirname(join(docs, rel)), { recursive: true });
      writeFileSync(join(docs, rel), content);
    }
  }
});
