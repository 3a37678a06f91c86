/**
 * `npm run check:citations -- --nix-src DIR [--citations FILE]`, as a function of argv returning
 * the text to print and the exit code: 0 every citation is right, 1 some are wrong (each named),
 * 2 bad input (one line saying what).
 *
 * DIR is a NixOS/nix clone (work tree) or a bare git dir; files are read at the pinned tag
 * (`git --git-dir <git dir> show 2.34.8:src/<file>`), whatever is checked out. --citations checks
 * a JSON table (`{ "key": [Citation, ...] }`) instead of the model's, for drafting new entries
 * and for tests. Not run in CI, which has no NixOS/nix checkout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

import { CITATIONS, NIX_REV, NIX_TAG, NOTE_CITATIONS, type Citation } from '../model/nix/index.js';
import { checkTable, formatWrong } from './citations.js';

export interface CitationsCommandResult {
  readonly exitCode: 0 | 1 | 2;
  readonly text: string;
}

export const CITATIONS_USAGE = 'usage: npm run check:citations -- --nix-src DIR [--citations FILE]';

const citationSchema = z.strictObject({
  file: z.string().min(1),
  fn: z.string().min(1),
  line: z.int().min(1),
  quote: z.string().min(1),
  to: z.strictObject({ line: z.int().min(1), quote: z.string().min(1) }).optional(),
});
const tableSchema = z.record(z.string(), z.array(citationSchema));

/** The model's citations, SRC keys as `SRC.<key>` and the comments' and docs' as `NOTE.<key>`. */
export function modelTable(): Record<string, readonly Citation[]> {
  const out: Record<string, readonly Citation[]> = {};
  for (const [key, c] of Object.entries(CITATIONS)) if (Array.isArray(c)) out[`SRC.${key}`] = c;
  for (const [key, c] of Object.entries(NOTE_CITATIONS)) out[`NOTE.${key}`] = c;
  return out;
}

/** The caller's environment without anything that points git elsewhere, and no user or system config. */
function gitEnv(): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'));
  return { ...Object.fromEntries(inherited), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };
}

function git(gitDir: string, args: readonly string[]): { code: number; out: string } {
  const r = spawnSync('git', ['--git-dir', gitDir, ...args], { env: gitEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: r.status ?? -1, out: r.stdout };
}

/** The git dir of DIR: DIR itself when bare, DIR/.git (or what it points to) for a work tree; or why neither. */
function gitDirOf(dir: string): { gitDir: string } | { error: string } {
  if (!existsSync(dir)) return { error: `--nix-src ${dir}: no such directory` };
  if (!statSync(dir).isDirectory()) return { error: `--nix-src ${dir}: not a directory` };
  const dotGit = join(dir, '.git');
  const candidate = existsSync(dotGit) ? dotGit : dir;
  // a .git file (worktree, submodule) names the real git dir; rev-parse resolves it
  const r = git(candidate, ['rev-parse', '--absolute-git-dir']);
  if (r.code !== 0 || (candidate === dir && !existsSync(join(dir, 'objects')) && !existsSync(join(dir, 'commondir')))) {
    return { error: `--nix-src ${dir}: neither a git work tree nor a git dir (clone NixOS/nix, or pass its bare mirror)` };
  }
  return { gitDir: r.out.trim() };
}

function readTable(file: string): { table: Record<string, readonly Citation[]> } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return { error: `--citations ${file}: ${e instanceof Error ? e.message.split('\n')[0] ?? '' : String(e)}` };
  }
  const parsed = tableSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { error: `--citations ${file}: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'not a citation table'}` };
  }
  const table: Record<string, readonly Citation[]> = {};
  for (const [key, cites] of Object.entries(parsed.data)) {
    table[key] = cites.map((c) => ({ file: c.file, fn: c.fn, line: c.line, quote: c.quote, ...(c.to ? { to: c.to } : {}) }));
  }
  return { table };
}

export function citationsCommand(argv: readonly string[]): CitationsCommandResult {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { 'nix-src': { type: 'string' }, citations: { type: 'string' } } }));
  } catch (e) {
    return { exitCode: 2, text: `${e instanceof Error ? e.message : String(e)}\n${CITATIONS_USAGE}` };
  }
  const dir = values['nix-src'];
  if (dir === undefined || dir === '') return { exitCode: 2, text: `--nix-src DIR is required (a NixOS/nix clone or git dir)\n${CITATIONS_USAGE}` };
  const where = gitDirOf(resolve(dir));
  if ('error' in where) return { exitCode: 2, text: where.error };
  const commit = git(where.gitDir, ['rev-parse', '--verify', '--quiet', `refs/tags/${NIX_TAG}^{commit}`]);
  if (commit.code !== 0) return { exitCode: 2, text: `--nix-src ${dir}: no tag ${NIX_TAG} (git -C ${dir} fetch origin tag ${NIX_TAG})` };
  const rev = commit.out.trim();

  let table = modelTable();
  if (values.citations !== undefined) {
    const read = readTable(values.citations);
    if ('error' in read) return { exitCode: 2, text: read.error };
    table = read.table;
  }

  const result = checkTable(table, (file) => {
    const r = git(where.gitDir, ['show', `${rev}:src/${file}`]);
    return r.code === 0 ? r.out : undefined;
  });
  const keys = Object.keys(table).length;
  const pinned = rev === NIX_REV ? '' : ` (not the pinned ${NIX_REV.slice(0, 12)}: this is not the NixOS/nix tag)`;
  const lines = [
    ...result.wrong.map(formatWrong),
    `checked ${String(result.checked)} citations under ${String(keys)} keys in ${String(result.files)} files of ${NIX_TAG} = ${rev.slice(0, 12)}${pinned}: ${String(result.wrong.length)} wrong`,
  ];
  return { exitCode: result.wrong.length === 0 ? 0 : 1, text: lines.join('\n') };
}
