/**
 * Storage: inodes, directory entries, contents, symlink targets, open descriptors and the logical
 * clock, as one immutable value (FsState). No permission logic lives here: callers decide, then
 * build the next state with these functions.
 *
 * The only file that imports memfs. memfs is not the live store: its objects are mutable, carry wall
 * clock Dates and a global fd counter, and cannot be snapshotted with ownership (see
 * docs/decisions/0001-memfs-is-storage-only.md). It is used for `toVolume`, a read-only `fs`-shaped
 * copy of a state for code that wants the Node fs API.
 */
import { Volume } from 'memfs';
import type { Link } from '@jsonjoy.com/fs-core';
import { emptyIntMap, imGet, imSet, type IntMap } from './int-map.js';

interface InodeBase {
  readonly ino: number;
  /** The 12 permission bits; the type lives in `kind`. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Names referring to this inode: 1 while linked, 0 once removed but still open (no hard links). */
  readonly links: number;
  readonly atime: number;
  readonly mtime: number;
}
export interface DirInode extends InodeBase {
  readonly kind: 'dir';
  /** The inode `..` leads to; the root is its own parent. */
  readonly parent: number;
  readonly entries: ReadonlyMap<string, number>;
}
export interface FileInode extends InodeBase {
  readonly kind: 'file';
  readonly content: string;
}
export interface SymlinkInode extends InodeBase {
  readonly kind: 'symlink';
  readonly target: string;
}
export type Inode = DirInode | FileInode | SymlinkInode;

/** An open file description: which inode, how it was opened, where the offset is. */
export interface OpenFile {
  readonly ino: number;
  readonly readable: boolean;
  readonly writable: boolean;
  readonly append: boolean;
  readonly offset: number;
}

export interface FsState {
  readonly inodes: IntMap<Inode>;
  readonly nextIno: number;
  readonly fds: ReadonlyMap<number, OpenFile>;
  /** Logical clock: advanced once per mutating syscall, used for mtime/atime. */
  readonly clock: number;
}

export const ROOT_INO = 1;
const FIRST_FD = 3;
const NO_ENTRIES: ReadonlyMap<string, number> = new Map();

/** An empty filesystem: `/` is a 0755 root:root directory. */
export function emptyState(): FsState {
  const root: DirInode = {
    kind: 'dir', ino: ROOT_INO, mode: 0o755, uid: 0, gid: 0, links: 1, atime: 0, mtime: 0,
    parent: ROOT_INO, entries: NO_ENTRIES,
  };
  return { inodes: imSet(emptyIntMap<Inode>(), ROOT_INO, root), nextIno: ROOT_INO + 1, fds: new Map(), clock: 0 };
}

/** The inode numbered `ino`; a missing one is a bug in the model, not an errno. */
export function getInode(s: FsState, ino: number): Inode {
  const inode = imGet(s.inodes, ino);
  if (!inode) throw new Error(`model bug: no inode ${ino}`);
  return inode;
}

export function lookupChild(s: FsState, dir: DirInode, name: string): Inode | undefined {
  const ino = dir.entries.get(name);
  return ino === undefined ? undefined : getInode(s, ino);
}

export function putInode(s: FsState, inode: Inode): FsState {
  return { ...s, inodes: imSet(s.inodes, inode.ino, inode) };
}

export function tick(s: FsState): FsState {
  return { ...s, clock: s.clock + 1 };
}

/** Fields of a new inode; the store assigns the number, the clock times and the link count. */
export type NewInode =
  | { readonly kind: 'dir'; readonly mode: number; readonly uid: number; readonly gid: number }
  | { readonly kind: 'file'; readonly mode: number; readonly uid: number; readonly gid: number; readonly content: string }
  | { readonly kind: 'symlink'; readonly mode: number; readonly uid: number; readonly gid: number; readonly target: string };

/** Creates an inode and links it as `name` in `dirIno`. Inode numbers are never reused. */
export function createEntry(s: FsState, dirIno: number, name: string, fields: NewInode): [FsState, Inode] {
  const base = { ino: s.nextIno, links: 1, atime: s.clock, mtime: s.clock };
  const inode: Inode =
    fields.kind === 'dir' ? { ...fields, ...base, parent: dirIno, entries: NO_ENTRIES } : { ...fields, ...base };
  const next = attach({ ...s, nextIno: s.nextIno + 1 }, dirIno, name, inode);
  return [next, inode];
}

/** Links an existing inode as `name` in `dirIno` (a directory's `..` follows it). */
export function attach(s: FsState, dirIno: number, name: string, child: Inode): FsState {
  const dir = getInode(s, dirIno);
  if (dir.kind !== 'dir') throw new Error('model bug: attach to a non-directory');
  const entries = new Map(dir.entries).set(name, child.ino);
  const moved: Inode = child.kind === 'dir' ? { ...child, parent: dirIno, links: 1 } : { ...child, links: 1 };
  return putInode(putInode(s, { ...dir, entries, mtime: s.clock }), moved);
}

/** Removes the name only; the inode stays in the table (rename moves it elsewhere). */
export function detach(s: FsState, dirIno: number, name: string): FsState {
  const dir = getInode(s, dirIno);
  if (dir.kind !== 'dir') throw new Error('model bug: detach from a non-directory');
  const entries = new Map(dir.entries);
  entries.delete(name);
  return putInode(s, { ...dir, entries, mtime: s.clock });
}

/** Removes the name and drops the inode, unless a descriptor still holds it (then it lingers unlinked). */
export function removeEntry(s: FsState, dirIno: number, name: string): FsState {
  const dir = getInode(s, dirIno);
  const ino = dir.kind === 'dir' ? dir.entries.get(name) : undefined;
  if (ino === undefined) throw new Error('model bug: removing a missing entry');
  const next = detach(s, dirIno, name);
  if (isOpen(next, ino)) return putInode(next, { ...getInode(next, ino), links: 0 });
  return { ...next, inodes: imSet(next.inodes, ino, undefined) };
}

export function isOpen(s: FsState, ino: number): boolean {
  for (const f of s.fds.values()) if (f.ino === ino) return true;
  return false;
}

/** Allocates the lowest free descriptor number from 3 up, as POSIX requires of open(2). */
export function openFd(s: FsState, file: OpenFile): [FsState, number] {
  let fd = FIRST_FD;
  while (s.fds.has(fd)) fd++;
  return [{ ...s, fds: new Map(s.fds).set(fd, file) }, fd];
}

export function updateFd(s: FsState, fd: number, file: OpenFile): FsState {
  return { ...s, fds: new Map(s.fds).set(fd, file) };
}

/** Closes `fd`; the last close of an unlinked inode frees it. */
export function closeFd(s: FsState, fd: number): FsState {
  const file = s.fds.get(fd);
  if (!file) return s;
  const fds = new Map(s.fds);
  fds.delete(fd);
  const next = { ...s, fds };
  const inode = imGet(next.inodes, file.ino);
  if (inode && inode.links === 0 && !isOpen(next, file.ino)) return { ...next, inodes: imSet(next.inodes, file.ino, undefined) };
  return next;
}

/**
 * Copies `s` into a fresh memfs Volume (modes, owners, contents, link targets), for callers that want
 * the Node `fs` API over a model state. It goes through Superblock links and nodes directly, so
 * memfs's own permission checks (which read the real process uid) never run.
 */
export function toVolume(s: FsState): Volume {
  const vol = new Volume();
  const fill = (link: Link, dir: DirInode): void => {
    // Stryker disable next-line EqualityOperator: names in one directory are distinct, so `a < b` and `a <= b` agree (the reversed `>=` is killed by the toVolume order test, hidden by this comment too)
    for (const [name, ino] of [...dir.entries].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const inode = getInode(s, ino);
      const child = vol._core.createLink(link, name, inode.kind === 'dir', inode.mode);
      const node = child.getNode();
      if (inode.kind === 'file') node.setString(inode.content);
      if (inode.kind === 'symlink') node.makeSymlink(inode.target);
      node.chmod(inode.mode);
      node.chown(inode.uid, inode.gid);
      if (inode.kind === 'dir') fill(child, inode);
    }
  };
  const root = getInode(s, ROOT_INO) as DirInode;
  vol._core.root.getNode().chmod(root.mode);
  vol._core.root.getNode().chown(root.uid, root.gid);
  fill(vol._core.root, root);
  return vol;
}
