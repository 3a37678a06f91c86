/**
 * Canonical views of a state: the sorted tree listing and the hash the explorer deduplicates on.
 * Both read the store directly, without permission checks.
 */
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

function join(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** Every entry under `root` (inclusive), sorted by path as strings compare; empty if `root` is missing. */
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
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** cyrb53 (public domain): a fast 53-bit string hash; two seeds give the 106 bits hash() reports. */
function cyrb53(str: string, seed: number): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < str.length; i++) {
    const ch = str.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16).padStart(14, '0');
}

/** One line per entry, depth-first with names sorted: structure, kind, mode, owners, content. */
function canonical(s: FsState, dir: DirInode, depth: number, out: string[]): void {
  for (const name of [...dir.entries.keys()].sort()) {
    const inode = getInode(s, dir.entries.get(name) ?? 0);
    const data = inode.kind === 'file' ? inode.content : inode.kind === 'symlink' ? inode.target : '';
    out.push(`${depth} ${JSON.stringify(name)} ${inode.kind} ${inode.mode} ${inode.uid} ${inode.gid} ${JSON.stringify(data)}`);
    if (inode.kind === 'dir') canonical(s, inode, depth + 1, out);
  }
}

/**
 * The canonical hash: equal trees (names, kinds, modes, owners, contents, link targets) hash equal
 * whatever the inode numbers, times, open descriptors or creation order.
 */
export function hashState(s: FsState): string {
  const root = getInode(s, ROOT_INO) as DirInode;
  const lines = [`/ ${root.mode} ${root.uid} ${root.gid}`];
  canonical(s, root, 0, lines);
  const text = lines.join('\n');
  return cyrb53(text, 1) + cyrb53(text, 2);
}

const hashes = new WeakMap<object, string>();

/** hashState, memoised per inode table: states are immutable, so a restored state hashes for free. */
export function hash(s: FsState): string {
  const cached = hashes.get(s.inodes);
  if (cached !== undefined) return cached;
  const h = hashState(s);
  hashes.set(s.inodes, h);
  return h;
}

/** Whether two inodes list the same in tree(): kind, mode, owners, content or link target (not inode numbers or times). */
function sameEntry(a: Inode, b: Inode): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind || a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid) return false;
  if (a.kind === 'file') return a.content === (b as typeof a).content;
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
