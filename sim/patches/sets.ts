import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The patch sets under a patches/ directory:
 * - `series`: the top level, in the order of `series`;
 * - `extra`: `not-in-series/*.patch`, each meant to apply on its own;
 * - `backport`: any other subdirectory with its own `series` file (a rebased copy of the series for
 *   an older branch).
 */
export interface PatchSet {
  readonly kind: 'series' | 'extra' | 'backport';
  /** Path of the set relative to the patches directory ('' for the top level). */
  readonly rel: string;
  /** Entries of its `series` file, or null when it has none. */
  readonly series: readonly string[] | null;
  /** `*.patch` files in the set, sorted by name. */
  readonly patches: readonly string[];
}

export const EXTRA_DIR = 'not-in-series';

export const PATCH_FILE = /^(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\.patch$/;

export function readSeries(dir: string): string[] | null {
  const file = join(dir, 'series');
  if (!existsSync(file)) return null;
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '');
}

function patchesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.patch'))
    .sort();
}

export function patchSets(dir: string): PatchSet[] {
  const sets: PatchSet[] = [{ kind: 'series', rel: '', series: readSeries(dir), patches: patchesIn(dir) }];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (!statSync(sub).isDirectory()) continue;
    if (name === EXTRA_DIR) sets.push({ kind: 'extra', rel: name, series: null, patches: patchesIn(sub) });
    else if (existsSync(join(sub, 'series')))
      sets.push({ kind: 'backport', rel: name, series: readSeries(sub), patches: patchesIn(sub) });
  }
  return sets;
}

/** `rel/file`, or just `file` for the top level: how a patch is named in reports. */
export function patchName(set: PatchSet, file: string): string {
  return set.rel === '' ? file : `${set.rel}/${file}`;
}
