/**
 * docs/designs.md, the tutorial "Check your own fix design", run as a user would: its design files
 * are written to a directory outside the repository, each `npx outpath …` command it shows is run
 * (from a clone next to that directory) and its output compared with the block the tutorial prints,
 * so the tutorial cannot go stale. ACCEPT=1 rewrites the blocks instead.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOOK_NAMES } from '../../model/nix/index.js';
import { main } from '../../sim/cli.js';
import { accept, itCommitted } from '../committed.js';

const root = join(import.meta.dirname, '..', '..');
const docPath = join(root, 'docs', 'designs.md');

/** `<!-- design file: NAME -->` then a ts block: the files the tutorial writes. */
function designFiles(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/<!-- design file: (\S+) -->\n```ts\n([\s\S]*?)```/g)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

const BLOCK = /<!-- begin output: npx outpath (.*?) \(exit (\d)\) -->\n```text\n([\s\S]*?)```\n<!-- end output -->/g;

interface Shown {
  readonly args: string;
  readonly exit: number;
  readonly text: string;
}

function shownOutputs(doc: string): Shown[] {
  return [...doc.matchAll(BLOCK)].map((m) => ({ args: m[1] ?? '', exit: Number(m[2]), text: m[3] ?? '' }));
}

/** A clone's place next to the tutorial's `my-designs` directory: relative paths resolve as in the tutorial. */
function layout(files: ReadonlyMap<string, string>): string {
  const top = mkdtempSync(join(tmpdir(), 'outpath-designs-'));
  mkdirSync(join(top, 'my-designs'));
  for (const [name, text] of files) writeFileSync(join(top, 'my-designs', name), text);
  return join(top, 'nix-outpath-lab');
}

function run(args: string, cwd: string): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(args.split(' '), { out: (s) => (out += s), err: (s) => (err += s), isTty: false }, cwd);
  return { code, out, err };
}

/** The tutorial with each block that was run replaced by what it printed (a block not run, as under -t, stays). */
function rewritten(doc: string, results: ReadonlyMap<string, { code: number; out: string }>): string {
  return doc.replace(BLOCK, (all: string, args: string) => {
    const r = results.get(args);
    if (!r) return all;
    return `<!-- begin output: npx outpath ${args} (exit ${String(r.code)}) -->\n\`\`\`text\n${r.out.trimEnd()}\n\`\`\`\n<!-- end output -->`;
  });
}

describe('docs/designs.md: the tutorial, run', () => {
  const doc = readFileSync(docPath, 'utf8');
  const files = designFiles(doc);
  const shown = shownOutputs(doc);
  const clone = layout(files);

  it('writes two designs, runs each on seed-487, then both on every built-in scenario', () => {
    expect([...files.keys()]).toEqual(['cleanup-chowns-scratch.ts', 'delete-scratch-if-build-user.ts']);
    expect(shown.map((s) => s.args)).toEqual([
      'explore seed-487 --design ../my-designs/cleanup-chowns-scratch.ts --faults interrupt',
      'explore seed-487 --design ../my-designs/delete-scratch-if-build-user.ts --faults interrupt',
      'explore --scenarios all --design ../my-designs/cleanup-chowns-scratch.ts --design ../my-designs/delete-scratch-if-build-user.ts',
    ]);
  });

  it('its hook table names every hook point', () => {
    for (const h of HOOK_NAMES) expect(doc, h).toContain(`| \`${h}\` |`);
  });

  it('a design outside the repository runs with the real `outpath` process (tsx loads it)', () => {
    const r = spawnSync(process.execPath, [join(root, 'bin', 'outpath.js'), 'explore', 'seed-487', '--design', '../my-designs/cleanup-chowns-scratch.ts', '--faults', 'interrupt'], {
      cwd: join(clone, '..', 'my-designs'),
      encoding: 'utf8',
      timeout: 300_000,
    });
    // run from my-designs, the path is resolved against it: ../my-designs is the same directory
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^cleanup-chowns-scratch\s+✗\(i\)/m);
  }, 300_000);

  it('its design files type-check against model/nix/design.ts, through the import they show', () => {
    const top = join(clone, '..');
    symlinkSync(root, clone);
    const compilerOptions = { strict: true, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2023', skipLibCheck: true, exactOptionalPropertyTypes: true };
    writeFileSync(join(top, 'my-designs', 'tsconfig.json'), JSON.stringify({ compilerOptions, files: [...files.keys()] }));
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(top, 'my-designs', 'tsconfig.json')], { encoding: 'utf8', timeout: 300_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 300_000);

  const results = new Map<string, { code: number; out: string }>();
  for (const s of shown) {
    it(`npx outpath ${s.args}`, () => {
      const r = run(s.args, clone);
      results.set(s.args, r);
      expect(r.err).toBe('');
      if (accept) return;
      expect(r.code).toBe(s.exit);
    }, 900_000);
  }

  itCommitted('every output block is what the command prints now (ACCEPT=1 rewrites them)', () => {
    expect(results.size).toBe(shown.length);
    expect(rewritten(doc, results)).toBe(doc);
  });

  if (accept) {
    it('rewrites the output blocks', () => {
      writeFileSync(docPath, rewritten(readFileSync(docPath, 'utf8'), results));
    });
  }
});
