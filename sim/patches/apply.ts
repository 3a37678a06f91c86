/**
 * Apply the patch series to a NixOS/nix (or DeterminateSystems/nix-src) git repository at given
 * refs, each in a throw-away checkout, with `git am --3way`, and report per patch. The repository
 * itself is left as it was: its refs, HEAD and worktree list are compared before and after.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { item, report, type Report, type ReportItem } from './report.js';
import { EXTRA_DIR, readSeries, patchSets } from './sets.js';

export interface ApplyOptions {
  /**
   * `worktree` (default): `git worktree add --detach` in the given repository, removed and pruned
   * afterwards; the commits `git am` makes land in its object store.
   * `clone`: `git clone --shared` into a temporary directory, which writes nothing to the repository.
   */
  readonly method?: 'worktree' | 'clone';
  /** Where to create temporary checkouts (default: the OS temp dir). */
  readonly tmpRoot?: string;
}

interface Run {
  readonly code: number;
  readonly out: string;
}

const IDENTITY = ['-c', 'user.name=outpath', '-c', 'user.email=outpath@invalid.invalid', '-c', 'commit.gpgsign=false'];

/** The caller's environment without anything that would point git elsewhere, and no user/system config. */
function gitEnv(): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'));
  return { ...Object.fromEntries(inherited), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

function git(args: readonly string[], cwd?: string): Run {
  const r = spawnSync('git', [...args], { cwd, env: gitEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`.trim() };
}

/** Refs, HEAD and worktrees of a repository, to prove it is unchanged afterwards. */
function snapshot(gitDir: string): string {
  const refs = git(['--git-dir', gitDir, 'for-each-ref', '--format=%(refname) %(objectname)']).out;
  const head = git(['--git-dir', gitDir, 'symbolic-ref', '-q', 'HEAD']).out || git(['--git-dir', gitDir, 'rev-parse', 'HEAD']).out;
  const worktrees = git(['--git-dir', gitDir, 'worktree', 'list', '--porcelain']).out;
  return `HEAD ${head}\n${refs}\n${worktrees}`;
}

function firstLines(out: string): string {
  const keep = out.split('\n').filter((l) => /^(error|fatal|CONFLICT|Patch failed|warning: )/.test(l));
  return (keep.length ? keep : out.split('\n')).slice(0, 4).join(' | ');
}

/**
 * For each ref: apply the series (in `series` order) to a fresh checkout, then each
 * `not-in-series/` patch alone to another. `dir` may also be a backport set with its own `series`.
 */
export function applyToNixSource(dir: string, nixSrc: string, refs: readonly string[], options: ApplyOptions = {}): Report {
  const method = options.method ?? 'worktree';
  const gd = git(['-C', nixSrc, 'rev-parse', '--absolute-git-dir']);
  if (gd.code !== 0) return report([item('', 'nix-src', false, `${nixSrc} is not a git repository: ${firstLines(gd.out)}`)]);
  const gitDir = gd.out;
  const before = snapshot(gitDir);
  const scratch = mkdtempSync(join(options.tmpRoot ?? tmpdir(), 'outpath-patches-'));
  const hooks = join(scratch, 'no-hooks');
  mkdirSync(hooks);
  const series = (readSeries(dir) ?? []).map((f) => ({ name: f, path: resolve(dir, f) }));
  const extras = (patchSets(dir).find((s) => s.kind === 'extra')?.patches ?? []).map((f) => ({
    name: `${EXTRA_DIR}/${f}`,
    path: resolve(dir, EXTRA_DIR, f),
  }));
  const items: ReportItem[] = [];
  let n = 0;
  try {
    for (const ref of refs) {
      const commit = git(['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
      if (commit.code !== 0) {
        items.push(item('', `apply@${ref}`, false, `${ref} is not a commit in ${nixSrc}`));
        continue;
      }
      const runs = [series, ...extras.map((e) => [e])].filter((s) => s.length > 0);
      for (const patches of runs) {
        const checkout = join(scratch, `checkout-${String(n++)}`);
        items.push(...applyOnce(gitDir, commit.out, ref, patches, checkout, hooks, method));
      }
    }
  } finally {
    git(['--git-dir', gitDir, 'worktree', 'prune']);
    rmSync(scratch, { recursive: true, force: true });
  }
  const after = snapshot(gitDir);
  items.push(item('', 'repository-unchanged', before === after, before === after ? `refs, HEAD and worktrees of ${gitDir} unchanged` : `${gitDir} changed: refs, HEAD or worktrees differ`));
  return report(items);
}

function applyOnce(
  gitDir: string,
  commit: string,
  ref: string,
  patches: readonly { name: string; path: string }[],
  checkout: string,
  hooks: string,
  method: 'worktree' | 'clone',
): ReportItem[] {
  const check = `apply@${ref}`;
  const made = makeCheckout(gitDir, commit, checkout, method);
  if (made.code !== 0) return [item(patches[0]?.name ?? '', check, false, `could not create a checkout of ${ref}: ${firstLines(made.out)}`)];
  const items: ReportItem[] = [];
  try {
    let failed: string | null = null;
    for (const p of patches) {
      if (failed !== null) {
        items.push(item(p.name, check, false, `not attempted: ${failed} did not apply`));
        continue;
      }
      const r = git([...IDENTITY, '-c', `core.hooksPath=${hooks}`, '-C', checkout, 'am', '--3way', p.path]);
      if (r.code === 0) {
        const merged = /3-way merge/.test(r.out);
        items.push(item(p.name, check, true, merged ? `applied to ${ref} with a 3-way merge` : `applied cleanly to ${ref}`));
      } else {
        failed = p.name;
        items.push(item(p.name, check, false, `does not apply to ${ref}: ${firstLines(r.out)}`));
        git(['-C', checkout, 'am', '--abort']);
      }
    }
  } finally {
    if (method === 'worktree') git(['--git-dir', gitDir, 'worktree', 'remove', '--force', checkout]);
    rmSync(checkout, { recursive: true, force: true });
  }
  return items;
}

function makeCheckout(gitDir: string, commit: string, checkout: string, method: 'worktree' | 'clone'): Run {
  if (method === 'worktree') return git(['--git-dir', gitDir, 'worktree', 'add', '--quiet', '--detach', checkout, commit]);
  const cloned = git(['clone', '--quiet', '--shared', '--no-checkout', gitDir, checkout]);
  return cloned.code === 0 ? git(['-C', checkout, 'checkout', '--quiet', '--detach', commit]) : cloned;
}
