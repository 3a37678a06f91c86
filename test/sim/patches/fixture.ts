import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { NAMED_VARIANTS, RECOMMENDED, UPSTREAM_VARIANTS, VARIANT_SLUGS } from '../../../model/nix/index.js';
import type { PatchModel } from '../../../sim/patches/check.js';
import { patchSlugs, patchVerdicts } from '../../../sim/verification-doc.js';

/** The project's own model, as `outpath patches check` uses it. */
export function projectModel(): PatchModel {
  return { variants: [...VARIANT_SLUGS, ...Object.keys(NAMED_VARIANTS)], patchSlugs: patchSlugs(), upstream: UPSTREAM_VARIANTS, recommended: RECOMMENDED, computeVerdicts: patchVerdicts };
}

/** Run git with no user/system config; throws on failure (this is test set-up, not the code under test). */
export function git(cwd: string, ...args: string[]): string {
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', LC_ALL: 'C' };
  const r = spawnSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', '-c', 'init.defaultBranch=main', ...args], {
    cwd,
    env,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export const BASE_TEXT = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', ''].join('\n');

const MESSAGE = `libfoo: say hello after beta

Explain why: the greeting must follow beta, because of reasons that a
reviewer can check.

Fixes #1

Assisted-by: Test (unspecified)
`;

export interface Fixture {
  /** A tiny git repository: `main` holds BASE_TEXT in greeting.txt. */
  readonly repo: string;
  /** `git format-patch` output of one commit on top of `main`. */
  readonly patch: string;
  readonly subject: string;
  readonly cleanup: () => void;
}

/** Make a tiny repository and a real format-patch of a change to it. */
export function makeFixture(): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'outpath-patches-test-'));
  const repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q');
  writeFileSync(join(repo, 'greeting.txt'), BASE_TEXT);
  git(repo, 'add', 'greeting.txt');
  git(repo, 'commit', '-q', '-m', 'base');
  git(repo, 'checkout', '-q', '-b', 'change');
  writeFileSync(join(repo, 'greeting.txt'), BASE_TEXT.replace('beta\n', 'beta\nhello\n'));
  writeFileSync(join(repo, 'new.txt'), 'new file\n');
  git(repo, 'add', 'greeting.txt', 'new.txt');
  git(repo, 'commit', '-q', '-m', MESSAGE);
  const out = join(root, 'out');
  git(repo, 'format-patch', '-q', '-o', out, 'main..change');
  git(repo, 'checkout', '-q', 'main');
  const patch = readFileSync(join(out, '0001-libfoo-say-hello-after-beta.patch'), 'utf8');
  const cleanup = (): void => {
    rmSync(root, { recursive: true, force: true });
  };
  return { repo, patch, subject: 'libfoo: say hello after beta', cleanup };
}

export interface PatchDirSpec {
  readonly patches: Readonly<Record<string, string>>;
  readonly series?: readonly string[];
  /** Table rows as `NNNN-slug` (prefix with `not-in-series/` for patches out of the series). */
  readonly tableRows?: readonly string[];
  readonly declarations?: Readonly<Record<string, { subject: string; files: readonly string[] }>>;
  /** The two claim cells of each row (`NNNN-slug` -> cells); without it the table has no claim columns. */
  readonly claims?: Readonly<Record<string, { readonly alone: string; readonly inSeries: string }>>;
  /** Extra README text (e.g. naming upstream variants). */
  readonly prose?: string;
}

/** Write a patches/ directory with a series file and a README in the shape the checker reads. */
export function writePatchDir(spec: PatchDirSpec): string {
  const dir = mkdtempSync(join(tmpdir(), 'outpath-patchdir-test-'));
  for (const [name, text] of Object.entries(spec.patches)) {
    if (name.includes('/')) mkdirSync(join(dir, name.split('/')[0] ?? ''), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const series = spec.series ?? Object.keys(spec.patches).filter((n) => !n.includes('/'));
  writeFileSync(join(dir, 'series'), series.map((s) => `${s}\n`).join(''));
  const rows = spec.tableRows ?? series.map((s) => s.replace(/\.patch$/, ''));
  const claims = spec.claims;
  const head = claims
    ? ['| patch | variant (slug) | invariants | fails upstream, passes with it alone (2.34.8) | fails without it, passes with it in the series (as on master) |', '|---|---|---|---|---|']
    : ['| patch | variant (slug) | invariants |', '|---|---|---|'];
  const cellsOf = (r: string): string => {
    const c = claims?.[r.replace(/^not-in-series\//, '')];
    return claims ? ` ${c?.alone ?? ''} | ${c?.inSeries ?? ''} |` : '';
  };
  const table = [...head, ...rows.map((r) => `| \`${r}.patch\` | x | y |${cellsOf(r)}`)];
  const sections = Object.entries(spec.declarations ?? {}).map(
    ([key, d]) => `### ${key}\n\nSubject: \`${d.subject}\`\nFiles: ${d.files.map((f) => `\`${f}\``).join(', ')}\n`,
  );
  writeFileSync(join(dir, 'README.md'), ['# Patches', '', ...table, '', spec.prose ?? '', '', ...sections].join('\n'));
  return dir;
}
