import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VARIANT_SLUGS } from '../../../model/nix/index.js';
import { patchesCommand } from '../../../sim/patches/command.js';
import { BASE_TEXT, git, makeFixture, writePatchDir, type Fixture } from './fixture.js';

const projectRoot = join(import.meta.dirname, '..', '..', '..');
const VARIANTS = ['upstream', 'say-hello'];
let fx: Fixture;
let root: string;

beforeAll(() => {
  fx = makeFixture();
  root = mkdtempSync(join(tmpdir(), 'outpath-patches-cmd-'));
  const dir = writePatchDir({
    patches: { '0001-say-hello.patch': fx.patch },
    declarations: { '0001-say-hello': { subject: fx.subject, files: ['greeting.txt', 'new.txt'] } },
  });
  renameSync(dir, join(root, 'patches'));
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

  it('should run the structural checks alone without --nix-src, ending with the totals line', () => {
    const r = patchesCommand(['check'], VARIANTS, root);
    expect(r.exitCode, r.text).toBe(0);
    expect(r.text).toMatch(/\n\d+ passed, 0 failed$/);
    expect(r.text).not.toMatch(/apply@/);
  });

  it('should apply at the BASE commit by default, and fail at a ref the patch does not fit', () => {
    const ok = patchesCommand(['check', '--nix-src', fx.repo, '--method', 'clone'], VARIANTS, root);
    expect(ok.exitCode, ok.text).toBe(0);
    expect(ok.text).toMatch(/apply@[0-9a-f]{40}: applied cleanly/);
    const bad = patchesCommand(['check', '--nix-src', fx.repo, '--ref', 'diverged', '--json'], VARIANTS, root);
    expect(bad.exitCode).toBe(1);
    const json = JSON.parse(bad.text) as { ok: boolean; items: { check: string; ok: boolean }[] };
    expect(json.ok).toBe(false);
    expect(json.items.find((i) => i.check === 'apply@diverged')?.ok).toBe(false);
  });

  it('should pass on the project patches/ without a Nix tree', () => {
    const r = patchesCommand(['check'], ['upstream', ...VARIANT_SLUGS], projectRoot);
    expect(r.exitCode, r.text).toBe(0);
  });
});
