/**
 * Canonical views of a state: the sorted tree listing and the hash the explorer deduplicates on.
 * Both read the store directly, without permission checks.
 */
import { feed, feedText, finishLanes, LANE_SLOTS, startLanes } from '../hash/index.js';
import { getInode, lookupChild, ROOT_INO, type DirInode, type FsState, type Inode } from './store.js';
import type { TreeEntry } from './types.js';

function entryOf(path: string, inode: Inode): TreeEntry {
  const base = { path, kind: inode.kind, mode: inode.mode, uid: inode.uid, gid: inode.gid };
  if (inode.kind === 'file') return { ...base, content: inode.content };
  if (inode.kind === 'symlink') return { ...base, content: inode.target };
  return base;
}

/** The inode `path` names, walking directories only (no symlinks, no permission checks). */
function find(s: FsState, path: string): Inode | undefined {
  let cur: Inode = getInode(s, ROOT_INO);
  for (const name of path.split('/').filter((n) => n !== '')) {
    if (cur.kind !== 'dir') return undefined;
    const next = lookupChild(s, cur, name);
    if (!next) return undefined;
    cur = next;
  }
  return cur;
}

/** Whether `tree(s, path)` is non-empty: `path` names an entry, reached through directories only. */
export function has(s: FsState, path: string): boolean {
  return find(s, path) !== undefined;
}

function join(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Every entry under `root` (inclusive), sorted by path as strings compare; empty if `root` is missing. */
// Stryker disable next-line StringLiteral: '' names the root as '/' does (no components), and the listing's root path is rebuilt from the components
export function tree(s: FsState, root = '/'): TreeEntry[] {
  const start = find(s, root);
  if (!start) return [];
  const rootPath = '/' + root.split('/').filter((n) => n !== '').join('/');
  const out: TreeEntry[] = [];
  const visit = (path: string, inode: Inode): void => {
    out.push(entryOf(path, inode));
    if (inode.kind === 'dir') for (const [name, ino] of inode.entries) visit(join(path, name), getInode(s, ino));
  };
  visit(rootPath, start);
  // Stryker disable next-line ConditionalExpression,EqualityOperator: V8's sort (TimSort, as CPython's) only asks whether the comparator is negative, so the `>` half sorts alike whatever it returns, and paths in a tree are distinct, so `<` and `<=` agree; the order itself is pinned by the tree() sort test
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

const KIND = { dir: 1, file: 2, symlink: 3 } as const;

/** Depth-first with names sorted, each entry as its depth, name, kind, mode, owners and content or link target. */
function canonical(s: FsState, dir: DirInode, depth: number, h: Int32Array): void {
  const names = [...dir.entries.keys()].sort();
  for (const name of names) {
    const inode = getInode(s, dir.entries.get(name) ?? 0);
    feed(h, 0, depth);
    feedText(h, 0, name);
    feed(h, 0, KIND[inode.kind]);
    feed(h, 0, inode.mode);
    feed(h, 0, inode.uid);
    feed(h, 0, inode.gid);
    // Stryker disable next-line StringLiteral: a directory's text is one constant after its kind, so any constant hashes equal trees equal and unequal ones apart ('file' and 'symlink' are pinned by the content and link-target hash tests, hidden by this comment too)
    feedText(h, 0, inode.kind === 'file' ? inode.content : inode.kind === 'symlink' ? inode.target : '');
    // Stryker disable next-line ArithmeticOperator: depths going -1, -2, … are as distinct as 1, 2, …; the closer -1 then equals a first-level depth, but the token after it (a name's length, never 0 or -1) tells them apart, so equal and unequal trees still hash as before
    if (inode.kind === 'dir') canonical(s, inode, depth + 1, h);
  }
  // closes the directory, so a sibling after it is not read as its child
  // Stryker disable next-line UnaryOperator: with each entry's depth fed, any closer leaves the stream decodable: a closer 1 equal to a first-level depth is told apart by what follows (a name's length, never 0, vs a depth 0 or the end)
  feed(h, 0, -1);
}

/**
 * The canonical hash: equal trees (names, kinds, modes, owners, contents, link targets) hash equal
 * whatever the inode numbers, times, open descriptors or creation order; unequal ones differ but
 * for collisions of 128 bits.
 */
export function hashState(s: FsState): string {
  const root = getInode(s, ROOT_INO) as DirInode;
  // hashed as a stream of numbers (model/hash), without building the canonical text
  const h = new Int32Array(LANE_SLOTS);
  startLanes(h, 0);
  feed(h, 0, root.mode);
  feed(h, 0, root.uid);
  feed(h, 0, root.gid);
  canonical(s, root, 0, h);
  return [...finishLanes(h, 0)].map((w) => w.toString(16).padStart(8, '0')).join('');
}

const hashes = new WeakMap<object, string>();

/** hashState, memoised per inode table: states are immutable, so a restored state hashes for free. */
export function hash(s: FsState): string {
  const cached = hashes.get(s.inodes);
  // Stryker disable next-line ConditionalExpression: skipping the memo recomputes the same digest: hashState reads only the inode table the memo is keyed on
  if (cached !== undefined) return cached;
  const h = hashState(s);
  hashes.set(s.inodes, h);
  return h;
}

/** Whether two inodes list the same in tree(): kind, mode, owners, content or link target (not inode numbers or times). */
function sameEntry(a: Inode, b: Inode): boolean {
  // Stryker disable next-line ConditionalExpression: a shortcut: an inode compared with itself passes every test below
  if (a === b) return true;
  if (a.kind !== b.kind || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.kind === 'file') return a.content === (b as typeof a).content;
  // Stryker disable next-line ConditionalExpression: a file returned above, so a here is a link or a directory; for directories both targets are undefined and compare equal, as `return true` says
  if (a.kind === 'symlink') return a.target === (b as typeof a).target;
  return true;
}

/**
 * The paths under `root` (inclusive) whose tree() entry differs between `a` and `b`, or that exist
 * in one of them only, added to `out`: what diffing tree(a, root) with tree(b, root) gives, found by
 * walking both trees at once. Inodes a step did not touch are the same objects in both states, so
 * they compare by reference and no listing is built.
 */
export function changedUnder(a: FsState, b: FsState, root: string, out: Set<string>): void {
  // Stryker disable next-line ConditionalExpression: a shortcut: walking one inode table against itself meets only identical inodes and adds nothing
  if (a.inodes === b.inodes) return;
  const rootPath = '/' + root.split('/').filter((n) => n !== '').join('/');
  pairWalk(a, b, rootPath, find(a, root), find(b, root), out);
}

function pairWalk(a: FsState, b: FsState, path: string, x: Inode | undefined, y: Inode | undefined, out: Set<string>): void {
  if (x === undefined && y === undefined) return;
  if (x === undefined || y === undefined || !sameEntry(x, y)) out.add(path);
  const xd = x?.kind === 'dir' ? x : undefined;
  const yd = y?.kind === 'dir' ? y : undefined;
  if (xd) {
    for (const [name, ino] of xd.entries) {
      const xc = getInode(a, ino);
      const yIno = yd?.entries.get(name);
      const yc = yIno === undefined ? undefined : getInode(b, yIno);
      // an untouched file or link is the same object in both states: nothing under it to compare
      // Stryker disable next-line ConditionalExpression: a shortcut: pairWalk of one file or link object with itself adds nothing and has nothing under it
      if (xc === yc && xc.kind !== 'dir') continue;
      pairWalk(a, b, join(path, name), xc, yc, out);
    }
  }
  if (yd) {
    for (const [name, ino] of yd.entries) {
      if (xd?.entries.has(name)) continue;
      pairWalk(a, b, join(path, name), undefined, getInode(b, ino), out);
    }
  }
}
