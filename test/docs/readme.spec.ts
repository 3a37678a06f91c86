import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliProcess } from '../sim/run-cli.js';

const file = join(import.meta.dirname, '..', '..', 'README.md');
const accept = process.env['ACCEPT'] === '1';
const BEGIN = '<!-- begin main job output: written by test/docs/readme.spec.ts from `outpath` (ACCEPT=1 to rewrite), do not edit -->';
const END = '<!-- end main job output -->';

/** The README with its sample block replaced by `output` up to the counterexample it prints after the matrix. */
function withSample(readme: string, output: string): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END, a);
  if (a < 0 || b < 0) throw new Error(`README.md has no "${BEGIN}" … "${END}" region`);
  const cut = output.indexOf('\nShortest counterexample');
  const matrix = (cut < 0 ? output : output.slice(0, cut)).trimEnd();
  return `${readme.slice(0, a + BEGIN.length)}\n\`\`\`text\n${matrix}\n\`\`\`\n${readme.slice(b)}`;
}

// ACCEPT=1 npx vitest run test/docs/readme.spec.ts rewrites the README's block and skips the check
describe("README.md shows what the main job prints now", () => {
  const main = cliProcess();

  it('the main job, as a real process, exits 1 (upstream violates NoWedge) and ends with the shortest upstream counterexample', () => {
    expect(main.code, main.err).toBe(1);
    expect(main.out).toMatch(/^upstream\s+✗/m);
    expect(main.out).toMatch(/^recommended\s+✓/m);
    expect(main.out).toContain('Shortest counterexample (upstream, NoWedge under interrupt)');
    expect(main.out).toContain('✗ Invariant NoWedge violated');
  });

  (accept ? it.skip : it)('the sample output in README.md is the real output (regenerate with ACCEPT=1)', () => {
    const readme = readFileSync(file, 'utf8');
    expect(readme).toBe(withSample(readme, main.out));
  });

  if (accept) writeFileSync(file, withSample(readFileSync(file, 'utf8'), main.out));
});
