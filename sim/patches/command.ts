/**
 * `outpath patches check [--nix-src DIR] [--ref REF]... [--dir DIR] [--method worktree|clone] [--json]`,
 * as a pure function of argv: it returns the text to print and the exit code (0 all checks pass,
 * 1 a check failed, 2 usage), so the CLI only has to print it.
 *
 * Without --nix-src only the structural checks run (no Nix tree, no network: what CI runs). With
 * it, the set in --dir (default patches/) is also applied with `git am --3way` at each --ref
 * (default: the first commit in patches/BASE).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { applyToNixSource, checkPatchesStructure } from './check.js';
import { formatReport, report, type Report } from './report.js';

export interface PatchesCommandResult {
  readonly exitCode: 0 | 1 | 2;
  readonly text: string;
}

export const PATCHES_USAGE =
  'usage: outpath patches check [--nix-src DIR] [--ref REF]... [--dir DIR] [--method worktree|clone] [--json]';

/** The first commit hash in patches/BASE (`<hash>  # master, <date>`). */
export function baseCommit(patchesDir: string): string | null {
  try {
    return /^([0-9a-f]{40})\b/m.exec(readFileSync(join(patchesDir, 'BASE'), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

export function patchesCommand(argv: readonly string[], variants: readonly string[], root: string): PatchesCommandResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        'nix-src': { type: 'string' },
        ref: { type: 'string', multiple: true },
        dir: { type: 'string' },
        method: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    return { exitCode: 2, text: `${e instanceof Error ? e.message : String(e)}\n${PATCHES_USAGE}` };
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || positionals[0] !== 'check') return { exitCode: 2, text: PATCHES_USAGE };
  const method = values.method ?? 'worktree';
  if (method !== 'worktree' && method !== 'clone') return { exitCode: 2, text: `--method must be worktree or clone\n${PATCHES_USAGE}` };

  const patchesDir = resolve(root, 'patches');
  const structure = checkPatchesStructure(patchesDir, variants);
  let items = structure.items;
  const nixSrc = values['nix-src'];
  if (nixSrc !== undefined) {
    const refs = values.ref ?? [baseCommit(patchesDir)].filter((r): r is string => r !== null);
    if (refs.length === 0) return { exitCode: 2, text: `no --ref given and no commit in ${join(patchesDir, 'BASE')}` };
    const setDir = values.dir === undefined ? patchesDir : resolve(root, values.dir);
    items = [...items, ...applyToNixSource(setDir, resolve(root, nixSrc), refs, { method }).items];
  }
  const all: Report = report(items);
  return { exitCode: all.ok ? 0 : 1, text: values.json ? JSON.stringify(all, null, 2) : formatReport(all) };
}
