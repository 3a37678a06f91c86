import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { Verdicts } from '../../../sim/patch-claims.js';
import { checkPatches, formatReport, type PatchModel, type Report } from '../../../sim/patches/check.js';
import { VERDICTS_FILE } from '../../../sim/patches/command.js';
import { makeFixture, projectModel, writePatchDir, type Fixture } from './fixture.js';

const root = join(import.meta.dirname, '..', '..', '..');

/** sc-a: fixed by say-hello alone and in the series; sc-b: only in the series; sc-c: by neither. */
const VERDICTS: Verdicts = {
  model: 'test',
  bounds: { maxDepth: 1, maxStates: 1, maxFaults: 1 },
  recommended: ['say-hello'],
  scenarios: {
    'sc-a': { upstream: ['NoWedge/interrupt'], 'say-hello': [], recommended: [] },
    'sc-b': { upstream: ['NoWedge/crash'], 'say-hello': ['NoWedge/crash'], recommended: [] },
    'sc-c': { upstream: ['CleanOutput/interrupt'], 'say-hello': ['CleanOutput/interrupt'], recommended: ['CleanOutput/interrupt'] },
  },
};
const MODEL: PatchModel = { variants: ['upstream', 'say-hello'], patchSlugs: ['say-hello'], upstream: {}, recommended: ['say-hello'], computeVerdicts: () => VERDICTS };

let fx: Fixture;
const dirs: string[] = [];
beforeAll(() => {
  fx = makeFixture();
});
afterAll(() => {
  fx.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dirClaiming(alone: string, inSeries: string, extra: Partial<Parameters<typeof writePatchDir>[0]> = {}): string {
  const dir = writePatchDir({
    patches: { '0001-say-hello.patch': fx.patch },
    declarations: { '0001-say-hello': { subject: fx.subject, files: ['greeting.txt', 'new.txt'] } },
    claims: { '0001-say-hello': { alone, inSeries } },
    ...extra,
  });
  dirs.push(dir);
  return dir;
}

function failures(r: Report): string[] {
  return r.items.filter((i) => !i.ok).map((i) => `${i.patch} ${i.check}: ${i.detail}`);
}

describe('patches check: README claims against the model', () => {
  it('passes when both claim cells list what the verdicts compute', () => {
    const r = checkPatches(dirClaiming('sc-a', 'sc-a, sc-b'), MODEL, VERDICTS, 'test');
    expect(failures(r)).toEqual([]);
  });

  it('fails a row that claims a scenario the model does not fix, naming both', () => {
    const r = checkPatches(dirClaiming('sc-a, sc-c', 'sc-a, sc-b'), MODEL, VERDICTS, 'test');
    expect(failures(r)).toEqual(['0001-say-hello.patch claims-alone: README says sc-a, sc-c; the model does not have sc-c']);
  });

  it('fails a row that leaves out a scenario the model says it fixes', () => {
    const r = checkPatches(dirClaiming('sc-a', 'sc-a'), MODEL, VERDICTS, 'test');
    expect(failures(r)).toEqual(['0001-say-hello.patch claims-in-series: README says sc-a; the model also has sc-b']);
  });

  it('fails an unreadable cell and a table without claim columns', () => {
    expect(failures(checkPatches(dirClaiming('sc-a (see docs)', 'sc-a, sc-b'), MODEL, VERDICTS, 'test')).join('\n')).toMatch(/claims-alone: "sc-a \(see docs\)" is not a scenario name/);
    const noColumns = writePatchDir({ patches: { '0001-say-hello.patch': fx.patch }, declarations: { '0001-say-hello': { subject: fx.subject, files: ['greeting.txt', 'new.txt'] } } });
    dirs.push(noColumns);
    expect(failures(checkPatches(noColumns, MODEL, VERDICTS, 'test')).join('\n')).toMatch(/claims-alone: the README table has no "passes with it alone" column/);
  });

  it('fails without verdicts, saying how to make them', () => {
    expect(failures(checkPatches(dirClaiming('sc-a', 'sc-a, sc-b'), MODEL, null, 'docs/x.json'))).toEqual([
      ' claims: no verdicts at docs/x.json: run npm run docs:verification, or pass --from-model',
    ]);
  });

  it('fails verdicts computed for another recommended series as stale', () => {
    const r = checkPatches(dirClaiming('sc-a', 'sc-a, sc-b'), MODEL, { ...VERDICTS, recommended: ['say-hello', 'other'] }, 'test');
    expect(failures(r).join('\n')).toMatch(/claims: the verdicts were computed for recommended = say-hello\+other, the model has say-hello/);
  });
});

describe('patches check: variants and patches, both ways', () => {
  it('flags a variant of ours that has no patch', () => {
    const r = checkPatches(dirClaiming('sc-a', 'sc-a, sc-b'), { ...MODEL, patchSlugs: ['say-hello', 'say-goodbye'] }, VERDICTS, 'test');
    expect(failures(r)).toEqual(['variant say-goodbye has-patch: the model has variant say-goodbye but patches/ has no NNNN-say-goodbye.patch (in the series or in not-in-series/)']);
  });

  it('flags a series that is not the model\'s recommended', () => {
    const r = checkPatches(dirClaiming('sc-a', 'sc-a, sc-b'), { ...MODEL, recommended: ['say-hello', 'say-more'] }, VERDICTS, 'test');
    expect(failures(r).join('\n')).toMatch(/series is-recommended: series has say-hello; the model's recommended \(without upstream's changes\) has say-hello, say-more/);
  });

  it('flags a patch whose slug is no variant', () => {
    const r = checkPatches(dirClaiming('sc-a', 'sc-a, sc-b'), { ...MODEL, variants: ['upstream'] }, VERDICTS, 'test');
    expect(failures(r).join('\n')).toMatch(/0001-say-hello\.patch variant: slug say-hello is not a model variant/);
  });

  it('requires the README to name each variant of upstream’s own change', () => {
    const model = { ...MODEL, upstream: { 'from-upstream': 'NixOS/nix#1' } };
    expect(failures(checkPatches(dirClaiming('sc-a', 'sc-a, sc-b'), model, VERDICTS, 'test'))).toEqual([
      "variant from-upstream upstream-named: README.md does not name `from-upstream` (NixOS/nix#1), a variant of upstream's own change",
    ]);
    const named = dirClaiming('sc-a', 'sc-a, sc-b', { prose: 'The model also has `from-upstream`.' });
    expect(failures(checkPatches(named, model, VERDICTS, 'test'))).toEqual([]);
  });
});

describe('patches check on the project: a planted disagreement with the real model fails', () => {
  const verdicts = JSON.parse(readFileSync(join(root, VERDICTS_FILE), 'utf8')) as Verdicts;

  it('passes as committed', () => {
    const r = checkPatches(join(root, 'patches'), projectModel(), verdicts, VERDICTS_FILE);
    expect(r.ok, formatReport(r)).toBe(true);
  });

  it('fails when 0002 stops claiming check-concurrent-gc, which the model says it fixes', () => {
    const copy = mkdtempSync(join(tmpdir(), 'outpath-claims-'));
    dirs.push(copy);
    cpSync(join(root, 'patches'), copy, { recursive: true });
    const readme = readFileSync(join(copy, 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| `0002-temp-root-scratch.patch`')) ?? '';
    expect(row).toContain('check-concurrent-gc');
    writeFileSync(join(copy, 'README.md'), readme.replace(row, row.replaceAll(', check-concurrent-gc', '').replaceAll('check-concurrent-gc, ', '').replaceAll('check-concurrent-gc', 'none')));
    const r = checkPatches(copy, projectModel(), verdicts, VERDICTS_FILE);
    expect(r.ok).toBe(false);
    expect(failures(r).join('\n')).toMatch(/0002-temp-root-scratch\.patch claims-alone: README says .*; the model also has check-concurrent-gc/);
  });
});
