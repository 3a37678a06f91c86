/**
 * Path resolution, after Linux fs/namei.c:link_path_walk() and friends: search permission on every
 * directory walked (including the one holding the last component and those inside symlink bodies),
 * symlinks followed with a hop budget, `.`/`..` resolved physically, a trailing slash forcing the last
 * component to be followed and to be a directory.
 */
import { mayFollowLink, mayLookup } from './permission.js';
import { getInode, lookupChild, ROOT_INO, type DirInode, type FsState, type Inode } from './store.js';
import type { Creds, Errno, Personality } from './types.js';

/** What a kernel call can see besides its arguments: the state and the kernel's fixed configuration. */
export interface Ctx {
  readonly s: FsState;
  readonly personality: Personality;
  /** fs.protected_symlinks (0/1). */
  readonly protectedSymlinks: boolean;
  /** fs.protected_regular (0/1/2). */
  readonly protectedRegular: 0 | 1 | 2;
}

/** Linux include/uapi/linux/param.h MAXSYMLINKS; Darwin sys/param.h MAXSYMLINKS. */
export function maxSymlinks(p: Personality): number {
  return p === 'linux' ? 40 : 32;
}

/** The last component of a path, as filename_parentat()/lookup_last() leave it. */
export interface Last {
  /** The directory holding the last component. */
  readonly dir: DirInode;
  readonly name: string;
  /** LAST_NORM, LAST_DOT, LAST_DOTDOT or LAST_ROOT ("/"). */
  readonly type: 'norm' | 'dot' | 'dotdot' | 'root';
  /** What the last component names; for dots and root, the directory reached. */
  readonly child: Inode | undefined;
  /** The path ended in '/'. */
  readonly trailing: boolean;
}

/** Components by path: a run resolves the same few hundred paths over and over. */
const split = new Map<string, readonly string[]>();
const SPLIT_MAX = 50_000;

function components(path: string): readonly string[] {
  let c = split.get(path);
  if (c === undefined) {
    // Stryker disable next-line all: the bound only caps memory; forgetting every path splits them afresh, alike
    if (split.size >= SPLIT_MAX) split.clear();
    c = Object.freeze(path.split('/').filter((p) => p !== ''));
    split.set(path, c);
  }
  return c;
}

/**
 * The directory `/` names for `c`: the real root, or the directory it chroot(2)ed into. The process
 * holds that directory, so none of its ancestors is searched; a root that is gone resolves nothing
 * (ENOENT), as lookups in a deleted directory do.
 */
function processRoot(s: FsState, c: Creds): DirInode | Errno {
  let cur = getInode(s, ROOT_INO) as DirInode;
  for (const name of components(c.root ?? '/')) {
    const child = lookupChild(s, cur, name);
    if (child?.kind !== 'dir') return 'ENOENT';
    cur = child;
  }
  return cur;
}

/**
 * What happens to a symlink in last position: `follow` (LOOKUP_FOLLOW), `nofollow` (followed only when
 * a trailing slash asks for a directory, as lookup_last() does), `parent` (never: filename_parentat()
 * callers such as mkdir, unlink, rename look at the name itself).
 */
export type LastMode = 'follow' | 'nofollow' | 'parent';

/**
 * Walks `path` to its last component. Relative paths start at `/` (the model has no cwd), which is
 * the process root for a chrooted caller.
 * Errors: ENOENT, ENOTDIR, EACCES (search), ELOOP.
 */
export function walk(ctx: Ctx, c: Creds, path: string, mode: LastMode): Last | Errno {
  if (path === '') return 'ENOENT';
  const top = processRoot(ctx.s, c);
  if (typeof top === 'string') return top;
  let queue = components(path);
  let cur = top;
  if (queue.length === 0) return { dir: cur, name: '', type: 'root', child: cur, trailing: false };
  const trailing = path.endsWith('/');
  const follow = mode === 'follow' || (mode === 'nofollow' && trailing);
  let hops = 0;
  for (let i = 0; ; i++) {
    const denied = mayLookup(c, cur);
    if (denied) return denied;
    const name = queue[i] ?? '';
    const last = i === queue.length - 1;
    if (name === '.' || name === '..') {
      // follow_dotdot: `..` of the process root is the root itself
      const next = name === '.' || cur.ino === top.ino ? cur : (getInode(ctx.s, cur.parent) as DirInode);
      if (last) return { dir: cur, name, type: name === '.' ? 'dot' : 'dotdot', child: next, trailing };
      cur = next;
      continue;
    }
    const child = lookupChild(ctx.s, cur, name);
    if (last && (child?.kind !== 'symlink' || !follow)) return { dir: cur, name, type: 'norm', child, trailing };
    if (!child) return 'ENOENT';
    if (child.kind === 'symlink') {
      if (hops >= maxSymlinks(ctx.personality)) return 'ELOOP';
      hops++;
      const refused = mayFollowLink(c, cur, child, ctx.protectedSymlinks);
      if (refused) return refused;
      if (child.target.startsWith('/')) cur = top;
      queue = [...components(child.target), ...queue.slice(i + 1)];
      if (queue.length === 0) return { dir: cur, name: '', type: 'root', child: cur, trailing };
      i = -1;
      continue;
    }
    if (child.kind !== 'dir') return 'ENOTDIR';
    cur = child;
  }
}

/**
 * Resolves `path` to an existing inode (user_path_at): ENOENT when the last component is missing,
 * ENOTDIR when a trailing slash names a non-directory.
 */
export function lookupPath(ctx: Ctx, c: Creds, path: string, follow: boolean): Last | Errno {
  const last = walk(ctx, c, path, follow ? 'follow' : 'nofollow');
  if (typeof last === 'string') return last;
  if (!last.child) return 'ENOENT';
  if (last.trailing && last.child.kind !== 'dir') return 'ENOTDIR';
  return last;
}

/** The inode a resolved path names; callers use it after lookupPath succeeded. */
export function target(last: Last): Inode {
  if (!last.child) throw new Error('model bug: target() of a missing entry');
  return last.child;
}
