import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { mkdirSync } from 'node:fs';
import type { Verdicts } from '../../../sim/patch-claims.js';
import type { PatchModel } from '../../../sim/patches/check.js';
import { patchesCommand } from '../../../sim/patches/command.js';
import { BASE_TEXT, git, makeFixture, projectModel, writePatchDir, type Fixture } from './fixture.js';

const projectRoot = join(import.meta.dirname, '..', '..', '..');
/** say-hello fixes scenario sc-a when alone, nothing in the series. */
const VERDICTS: Verdicts = {
  model: 'test',
  bounds: { maxDepth: 1, maxStates: 1, maxFaults: 1 },
  recommended: ['say-hello'],
  scenarios: { 'sc-a': { upstream: ['NoWedge/interrupt'], 'say-hello': [], recommended: ['NoWedge/interrupt'] } },
};
const VARIANTS: PatchModel = { variants: ['upstream', 'say-hello'], patchSlugs: ['say-hello'], upstream: {}, recommended: ['say-hello'], computeVerdicts: () => VERDICTS };
let fx: Fixture;
let root: string;

beforeAll(() => {
  fx = makeFixture();
  root = mkdtempSync(join(tmpdir(), 'outpath-patches-cmd-'));
  const dir = writePatchDir({
    patches: { '0001-say-hello.patch': fx.patch },
    declarations: { '0001-say-hello': { subject: fx.subject, files: ['greeting.txt', 'new.txt'] } },
    claims: { '0001-say-hello': { alone: 'sc-a', inSeries: 'none' } },
  });
  renameSync(dir, join(root, 'patches'));
  mkdirSync(join(root, 'docs', 'verification'), { recursive: true });
  writeFileSync(join(root, 'docs', 'verification', 'verdicts.json'), JSON.stringify(VERDICTS));
  writeFileSync(join(root, 'patches', 'BASE'), `${git(fx.repo, 'rev-parse', 'main')}  # main, test\n`);
  git(fx.repo, 'checkout', '-q', '-b', 'diverged');
  writeFileSync(join(fx.repo, 'greeting.txt'), BASE_TEXT.replace('beta\n', 'BETA\n'));
  git(fx.repo, 'commit', '-q', '-am', 'diverge');
  git(fx.repo, 'checkout', '-q', 'main');
});
afterAll(() => {
  fx.cleanup();
  rmSync(root, { recursive: true, force: true });
});

describe('outpath patches check', () => {
  it('should exit 2 on a usage error', () => {
    expect(patchesCommand([], VARIANTS, root).exitCode).toBe(2);
    expect(patchesCommand(['check', '--method', 'copy'], VARIANTS, root).exitCode).toBe(2);
    expect(patchesCommand(['check', '--bogus'], VARIANTS, root).exitCode).toBe(2);
  });

  it('should run the checks without --nix-src, printing only the summary line when all pass', () => {
    const r = patchesCommand(['check'], VARIANTS, root);
    expect(r.exitCode, r.text).toBe(0);
    expect(r.text).toMatch(/^\d+ passed, 0 failed \(1 patches\)$/);
    expect(r.text).not.toMatch(/apply@/);
    const verbose = patchesCommand(['check', '--verbose'], VARIANTS, root);
    expect(verbose.text.split('\n').filter((l) => l.startsWith('ok  ')).length).toBeGreaterThan(10);
  });

  it('should print each failure in full, then the summary, and not the passing checks', () => {
    const claimsNothing: PatchModel = { ...VARIANTS, computeVerdicts: () => ({ ...VERDICTS, scenarios: { 'sc-a': { ...VERDICTS.scenarios['sc-a'], 'say-hello': ['NoWedge/interrupt'] } } }) };
    const r = patchesCommand(['check', '--from-model'], claimsNothing, root);
    expect(r.exitCode).toBe(1);
    const lines = r.text.split('\n');
    expect(lines.slice(0, -1).every((l) => l.startsWith('FAIL')), r.text).toBe(true);
    expect(lines.at(-1)).toMatch(/^\d+ passed, 1 failed \(1 patches\)$/);
    expect(r.text).toMatch(/FAIL {2}0001-say-hello\.patch {2}claims-alone: README says sc-a; the model does not have sc-a/);
  });

  it('should apply at the BASE commit by default, and fail at a ref the patch does not fit', () => {
    const ok = patchesCommand(['check', '--nix-src', fx.repo, '--method', 'clone', '--verbose'], VARIANTS, root);
    expect(ok.exitCode, ok.text).toBe(0);
    expect(ok.text).toMatch(/apply@[0-9a-f]{40}: applied cleanly/);
    const bad = patchesCommand(['check', '--nix-src', fx.repo, '--ref', 'diverged', '--json'], VARIANTS, root);
    expect(bad.exitCode).toBe(1);
    const json = JSON.parse(bad.text) as { ok: boolean; items: { check: string; ok: boolean }[] };
    expect(json.ok).toBe(false);
    expect(json.items.find((i) => i.check === 'apply@diverged')?.ok).toBe(false);
  });

  it('should pass on the project patches/ and README claims without a Nix tree', () => {
    const r = patchesCommand(['check'], projectModel(), projectRoot);
    expect(r.exitCode, r.text).toBe(0);
  });
});
