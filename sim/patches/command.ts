/**
 * `outpath patches check [--nix-src DIR] [--ref REF]... [--dir DIR] [--method worktree|clone]
 * [--from-model] [--verbose] [--json]`, as a pure function of argv: it returns the text to print and
 * the exit code (0 all checks pass, 1 a check failed, 2 usage), so the CLI only has to print it.
 *
 * Without --nix-src it checks the patches and what patches/README.md claims against the model (no
 * Nix tree, no network: what CI runs). The model's verdicts come from docs/verification/verdicts.json
 * (generated with docs/verification.md, kept fresh by its test), or with --from-model from
 * exploring the model now (minutes). With --nix-src, the set in --dir (default patches/) is also
 * applied with `git am --3way` at each --ref (default: the first commit in patches/BASE).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import type { Verdicts } from '../patch-claims.js';
import { applyToNixSource, checkPatches, type PatchModel } from './check.js';
import { formatReport, report, type Report } from './report.js';

export interface PatchesCommandResult {
  readonly exitCode: 0 | 1 | 2;
  readonly text: string;
}

export const PATCHES_USAGE =
  'usage: outpath patches check [--nix-src DIR] [--ref REF]... [--dir DIR] [--method worktree|clone] [--from-model] [--verbose] [--json]';

/** Where the generated verdicts live, relative to the project root. */
export const VERDICTS_FILE = join('docs', 'verification', 'verdicts.json');

function readVerdicts(path: string): Verdicts | null {
  if (!existsSync(path)) return null;
  return JSON.parse(readFileSync(path, 'utf8')) as Verdicts;
}

/** The first commit hash in patches/BASE (`<hash>  # master, <date>`). */
export function baseCommit(patchesDir: string): string | null {
  try {
    return /^([0-9a-f]{40})\b/m.exec(readFileSync(join(patchesDir, 'BASE'), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** The options of `outpath patches check`, parsed (by the CLI's option parser or by `patchesCommand`). */
export interface PatchesCheckOptions {
  readonly nixSrc?: string;
  readonly ref?: readonly string[];
  readonly dir?: string;
  readonly method?: 'worktree' | 'clone';
  readonly fromModel?: boolean;
  readonly verbose?: boolean;
  readonly json?: boolean;
}

export function patchesCommand(argv: readonly string[], model: PatchModel, root: string): PatchesCommandResult {
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
        'from-model': { type: 'boolean' },
        verbose: { type: 'boolean' },
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
  return patchesCheck(
    {
      method,
      ...(values['nix-src'] !== undefined ? { nixSrc: values['nix-src'] } : {}),
      ...(values.ref ? { ref: values.ref } : {}),
      ...(values.dir !== undefined ? { dir: values.dir } : {}),
      ...(values['from-model'] ? { fromModel: true } : {}),
      ...(values.verbose ? { verbose: true } : {}),
      ...(values.json ? { json: true } : {}),
    },
    model,
    root,
  );
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Runs the checks; a --nix-src or --dir that is not a directory is bad input (2), not a failed check. */
export function patchesCheck(opts: PatchesCheckOptions, model: PatchModel, root: string): PatchesCommandResult {
  const patchesDir = resolve(root, 'patches');
  const nixSrc = opts.nixSrc === undefined ? undefined : resolve(root, opts.nixSrc);
  if (nixSrc !== undefined && !isDir(nixSrc)) return { exitCode: 2, text: `--nix-src: no such directory: ${opts.nixSrc ?? ''}` };
  const setDir = opts.dir === undefined ? patchesDir : resolve(root, opts.dir);
  if (!isDir(setDir)) return { exitCode: 2, text: `--dir: no such directory: ${opts.dir ?? setDir}` };
  const verdictsPath = resolve(root, VERDICTS_FILE);
  const verdicts = opts.fromModel === true ? model.computeVerdicts() : readVerdicts(verdictsPath);
  let items = checkPatches(patchesDir, model, verdicts, opts.fromModel === true ? 'the model' : verdictsPath).items;
  if (nixSrc !== undefined) {
    const refs = opts.ref ?? [baseCommit(patchesDir)].filter((r): r is string => r !== null);
    if (refs.length === 0) return { exitCode: 2, text: `no --ref given and no commit in ${join(patchesDir, 'BASE')}` };
    items = [...items, ...applyToNixSource(setDir, nixSrc, refs, { method: opts.method ?? 'worktree' }).items];
  }
  const all: Report = report(items);
  return { exitCode: all.ok ? 0 : 1, text: opts.json === true ? JSON.stringify(all, null, 2) : formatReport(all, { verbose: opts.verbose === true }) };
}
