/** `ls -l`-style printing of tree listings and of the difference between two of them. */
import { formatMode } from './mode.js';
import type { TreeEntry } from './types.js';

const numeric = (id: number): string => String(id);

/**
 * One line per entry: mode, owner:group padded to a column, path, and ` -> target` for symlinks:
 * `drwxrwxr-t  root:nixbld  /nix/store`. `names`/`groups` map ids to names (default: the number).
 */
export function formatTree(
  entries: readonly TreeEntry[],
  names: (uid: number) => string = numeric,
  groups: (gid: number) => string = numeric,
): string[] {
  const owners = entries.map((e) => `${names(e.uid)}:${groups(e.gid)}`);
  const width = Math.max(0, ...owners.map((o) => o.length));
  return entries.map((e, i) => {
    const link = e.kind === 'symlink' ? ` -> ${e.content ?? ''}` : '';
    // Stryker disable next-line StringLiteral: owners has an entry for every entry, so the ?? '' fallback never runs (the template itself is pinned by the formatTree tests)
    return `${formatMode(e.kind, e.mode)}  ${(owners[i] ?? '').padEnd(width)}  ${e.path}${link}`;
  });
}

export interface TreeChange {
  /** `+` appeared, `-` disappeared, `~` changed kind, mode, owner, content or target. */
  readonly op: '+' | '-' | '~';
  /** The entry after the change (before it, for `-`). */
  readonly entry: TreeEntry;
}

function same(a: TreeEntry, b: TreeEntry): boolean {
  return a.kind === b.kind && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.content === b.content;
}

/** The changes from `before` to `after`, sorted by path. */
export function diffTrees(before: readonly TreeEntry[], after: readonly TreeEntry[]): TreeChange[] {
  const old = new Map(before.map((e) => [e.path, e]));
  const now = new Map(after.map((e) => [e.path, e]));
  const changes: TreeChange[] = [];
  for (const e of after) {
    const was = old.get(e.path);
    if (!was) changes.push({ op: '+', entry: e });
    else if (!same(was, e)) changes.push({ op: '~', entry: e });
  }
  for (const e of before) if (!now.has(e.path)) changes.push({ op: '-', entry: e });
  // Stryker disable next-line ConditionalExpression,EqualityOperator: V8's sort (TimSort, as CPython's) only asks whether the comparator is negative, so the `>` half sorts alike whatever it returns; the `<` half is pinned by the sort-order and path-twice tests
  return changes.sort((a, b) => (a.entry.path < b.entry.path ? -1 : a.entry.path > b.entry.path ? 1 : 0));
}
