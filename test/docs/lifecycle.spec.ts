import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collectLifecycle, generateLifecycle, PHASES, refreshReadme, WITNESSES } from '../../sim/lifecycle.js';
import { accept, itCommitted } from '../committed.js';

const docs = join(import.meta.dirname, '..', '..', 'docs');
const file = join(docs, 'lifecycle.md');
const readmeFile = join(docs, 'README.md');

// ACCEPT=1 npx vitest run test/docs rewrites docs/lifecycle.md and docs/README.md's copies (as npm run docs:gen does) and skips the checks
describe('docs/lifecycle.md is the model’s current lifecycle', () => {
  itCommitted('matches a fresh generation (regenerate with npm run docs:gen)', () => {
    expect(existsSync(file), 'docs/lifecycle.md is missing: npm run docs:gen').toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(generateLifecycle());
  });

  itCommitted('docs/README.md copies its diagram and the current seed-487 verdicts (npm run docs:gen)', () => {
    const readme = readFileSync(readmeFile, 'utf8');
    expect(readme).toBe(refreshReadme(readme, readFileSync(file, 'utf8'), readFileSync(join(docs, 'verification.md'), 'utf8')));
  });

  if (accept) {
    const generated = generateLifecycle();
    writeFileSync(file, generated);
    writeFileSync(readmeFile, refreshReadme(readFileSync(readmeFile, 'utf8'), generated, readFileSync(join(docs, 'verification.md'), 'utf8')));
  }

  it('reaches every phase, and every fault lands where faults.ts says it may', () => {
    const lc = collectLifecycle(WITNESSES);
    expect(lc.walks.every((w) => w.complete)).toBe(true);
    const reached = new Set(lc.edges.flatMap((e) => [e.from, e.to]));
    expect(PHASES.filter((p) => !reached.has(p))).toEqual([]);
    const from = (f: string): string[] => [...new Set(lc.edges.filter((e) => e.event === f).map((e) => e.from))];
    // canInterrupt: at an upstream check point (interrupt-points.ts): none between createTempDir and the builder
    // without a chroot (none of the witnesses has one), some in the cleanup unprepareBuild runs itself;
    // canCrash: started and not done; canFailBuilder: a running builder
    expect(from('interrupt').sort()).toEqual(PHASES.filter((p) => !['waiting', 'chownToBuilder', 'prepareScratch', 'done'].includes(p)).sort());
    expect(from('crash').sort()).toEqual(PHASES.filter((p) => !['waiting', 'done'].includes(p)).sort());
    expect(from('builderFailure')).toEqual(['building']);
  });
});
