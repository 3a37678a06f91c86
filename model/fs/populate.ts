/** Building a tree from a listing, as root, with exact modes and owners (initial states for scenarios and tests). */
import { ROOT } from './creds.js';
import { ok } from './errno.js';
import type { FsKernel, FsResult, TreeEntry } from './types.js';

const BUILDER = { ...ROOT, umask: 0 };

function create(k: FsKernel, e: TreeEntry): FsResult<void> {
  if (e.kind === 'dir') return k.mkdirP(BUILDER, e.path, 0o700);
  if (e.kind === 'file') return k.writeFile(BUILDER, e.path, e.content ?? '', 0o600);
  return k.symlink(BUILDER, e.content ?? '', e.path);
}

/**
 * Creates every entry (parents first: entries are taken in path order) and then sets owner and mode,
 * chown before chmod because chown clears setuid/setgid. `/` itself only gets its owner and mode.
 */
export function populate(k: FsKernel, entries: readonly TreeEntry[]): FsResult<void> {
  // Stryker disable next-line ConditionalExpression,EqualityOperator: V8's sort (TimSort, as CPython's) only asks whether the comparator is negative, so the `a.path > b.path ? 1 : 0` half sorts alike whatever it returns; the `<` half is pinned by the any-order and listed-twice tests
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const e of sorted) {
    const made = e.path === '/' ? ok(undefined) : create(k, e);
    if (!made.ok) return made;
    const owned = k.lchown(BUILDER, e.path, e.uid, e.gid);
    // Stryker disable next-line ConditionalExpression: BUILDER is root: lchown resolves, without following the last link, the path create has just resolved (or /), and root may chown anything
    if (!owned.ok) return owned;
    if (e.kind === 'symlink') continue;
    const moded = k.chmod(BUILDER, e.path, e.mode);
    if (!moded.ok) return moded;
  }
  return ok(undefined);
}

/** A failed populate names the entry; a convenience for tests and scenario loaders that prefer throwing. */
export function populateOrThrow(k: FsKernel, entries: readonly TreeEntry[]): void {
  const r = populate(k, entries);
  if (!r.ok) throw new Error(`populate: ${r.error.syscall} ${r.error.path}: ${r.error.errno}`);
}

