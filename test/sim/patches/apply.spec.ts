import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { applyToNixSource, formatReport } from '../../../sim/patches/check.js';
import { BASE_TEXT, git, makeFixture, writePatchDir, type Fixture } from './fixture.js';

let fx: Fixture;
let patchDir: string;
/** A ref the patch cannot apply to: greeting.txt no longer has "beta". */
const DIVERGED = 'diverged';

function repoState(repo: string): string {
  return [git(repo, 'for-each-ref'), git(repo, 'worktree', 'list', '--porcelain'), git(repo, 'status', '--porcelain'), git(repo, 'rev-parse', 'HEAD')].join('\n');
}

beforeAll(() => {
  fx = makeFixture();
  patchDir = writePatchDir({ patches: { '0001-say-hello.patch': fx.patch } });
  git(fx.repo, 'checkout', '-q', '-b', DIVERGED);
  writeFileSync(join(fx.repo, 'greeting.txt'), BASE_TEXT.replace('beta\ngamma\n', 'BETA\nGAMMA\n'));
  git(fx.repo, 'commit', '-q', '-am', 'diverge');
  git(fx.repo, 'checkout', '-q', 'main');
});
afterAll(() => {
  fx.cleanup();
  rmSync(patchDir, { recursive: true, force: true });
});

describe.each(['worktree', 'clone'] as const)('applyToNixSource (%s)', (method) => {
  it('should apply the series to a ref it was made against and leave the repository unchanged', () => {
    const before = repoState(fx.repo);
    const r = applyToNixSource(patchDir, fx.repo, ['main'], { method });
    expect(r.ok, formatReport(r)).toBe(true);
    expect(r.items).toContainEqual({ patch: '0001-say-hello.patch', check: 'apply@main', ok: true, detail: 'applied cleanly to main' });
    expect(r.items.find((i) => i.check === 'repository-unchanged')?.ok).toBe(true);
    expect(repoState(fx.repo)).toBe(before);
  });

  it('should report a patch that does not apply to a ref, and still leave the repository unchanged', () => {
    const before = repoState(fx.repo);
    const r = applyToNixSource(patchDir, fx.repo, ['main', DIVERGED], { method });
    expect(r.ok).toBe(false);
    const onDiverged = r.items.find((i) => i.check === `apply@${DIVERGED}`);
    expect(onDiverged?.patch).toBe('0001-say-hello.patch');
    expect(onDiverged?.ok).toBe(false);
    expect(onDiverged?.detail).toMatch(/^does not apply to diverged: /);
    expect(r.items.find((i) => i.check === 'apply@main')?.ok).toBe(true);
    expect(repoState(fx.repo)).toBe(before);
  });
});

describe('applyToNixSource: inputs', () => {
  it('should report an unknown ref', () => {
    const r = applyToNixSource(patchDir, fx.repo, ['no-such-ref']);
    expect(r.items).toContainEqual(expect.objectContaining({ check: 'apply@no-such-ref', ok: false }));
  });

  it('should work on a bare repository', () => {
    const bare = `${fx.repo}.git`;
    git(join(fx.repo, '..'), 'clone', '-q', '--bare', fx.repo, bare);
    const r = applyToNixSource(patchDir, bare, ['main']);
    expect(r.ok, formatReport(r)).toBe(true);
    expect(git(bare, 'worktree', 'list', '--porcelain').split('\n').filter((l) => l.startsWith('worktree ')).length).toBe(1);
  });

  it('should report a directory that is not a git repository', () => {
    const r = applyToNixSource(patchDir, patchDir, ['main']);
    expect(r.ok).toBe(false);
    expect(r.items[0]?.check).toBe('nix-src');
  });
});
