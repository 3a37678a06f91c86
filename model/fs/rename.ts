/** rename(2), after Linux fs/namei.c:do_renameat2() and vfs_rename(). */
import { done, isErrno, refuse, type Step } from './errno.js';
import { MAY_WRITE } from './mode.js';
import { walk, type Ctx, type Last } from './namei.js';
import { genericPermission, mayCreate, mayDelete } from './permission.js';
import { attach, detach, getInode, removeEntry, ROOT_INO, tick, type FsState, type Inode } from './store.js';
import type { Creds, Errno } from './types.js';

/**
 * The child of `upper` on the way down to `lower`, when `upper` is a proper ancestor of `lower`.
 * Linux fs/namei.c:lock_two_directories() returns this as the "trap".
 */
function childTowards(s: FsState, upper: number, lower: number): number | null {
  let p = lower;
  while (p !== ROOT_INO) {
    const parent = (getInode(s, p) as { parent: number }).parent;
    if (parent === upper) return p;
    p = parent;
  }
  return null;
}

/**
 * The checks before vfs_rename(): ENOENT for a missing source, ENOTDIR for a trailing slash on a
 * non-directory, EINVAL when the source is an ancestor of the target, ENOTEMPTY when the target is an
 * ancestor of the source.
 */
function checkNames(s: FsState, from: Last, to: Last): Errno | null {
  const src = from.child;
  if (!src) return 'ENOENT';
  if (src.kind !== 'dir' && (from.trailing || to.trailing)) return 'ENOTDIR';
  // Stryker disable next-line ConditionalExpression: a shortcut: for one directory childTowards finds no trap (a directory is never its own proper ancestor), so both checks below pass anyway
  if (from.dir.ino === to.dir.ino) return null;
  if (childTowards(s, from.dir.ino, to.dir.ino) === src.ino) return 'EINVAL';
  const trap = childTowards(s, to.dir.ino, from.dir.ino);
  // Stryker disable next-line ConditionalExpression: `trap !== null` is a guard only: to.child?.ino is a number or undefined, never null (the other conditions' mutants are killed by the file-onto-ancestor and move-up rule cases, hidden by this comment too)
  if (trap !== null && trap === to.child?.ino) return 'ENOTEMPTY';
  return null;
}

/**
 * vfs_rename()'s checks: may_delete on the source, may_create or may_delete on the target (EISDIR
 * file→dir, ENOTDIR dir→file), write permission on a directory that changes parent (its `..`
 * changes), then a non-empty target directory → ENOTEMPTY.
 */
function mayRename(c: Creds, from: Last, to: Last, src: Inode): Errno | null {
  const isDir = src.kind === 'dir';
  const denied = mayDelete(c, from.dir, src, isDir);
  if (denied) return denied;
  const tgt = to.child;
  const targetDenied = tgt ? mayDelete(c, to.dir, tgt, isDir) : mayCreate(c, to.dir, undefined);
  if (targetDenied) return targetDenied;
  if (isDir && from.dir.ino !== to.dir.ino) {
    const dotdot = genericPermission(c, src, MAY_WRITE);
    if (dotdot) return dotdot;
  }
  if (tgt?.kind === 'dir' && tgt.entries.size > 0) return 'ENOTEMPTY';
  return null;
}

/**
 * rename(2): both parents are walked first (source, then target), `.`/`..`/`/` as either last
 * component is EBUSY (reported as EINVAL), renaming an entry onto itself succeeds without effect.
 */
export function rename(ctx: Ctx, c: Creds, fromPath: string, toPath: string): Step<void> {
  // Stryker disable next-line StringLiteral: walk() tells only 'follow' and 'nofollow' apart from the rest, so any other mode string walks as 'parent'
  const from = walk(ctx, c, fromPath, 'parent');
  if (isErrno(from)) return refuse(from, 'rename', fromPath, toPath);
  // Stryker disable next-line StringLiteral: as for the source: any mode but 'follow' and 'nofollow' walks as 'parent'
  const to = walk(ctx, c, toPath, 'parent');
  if (isErrno(to)) return refuse(to, 'rename', fromPath, toPath);
  if (from.type !== 'norm' || to.type !== 'norm') return refuse('EINVAL', 'rename', fromPath, toPath);
  const bad = checkNames(ctx.s, from, to);
  if (bad) return refuse(bad, 'rename', fromPath, toPath);
  const src = from.child as Inode;
  if (src.ino === to.child?.ino) return done(undefined);
  const denied = mayRename(c, from, to, src);
  if (denied) return refuse(denied, 'rename', fromPath, toPath);
  let s = detach(tick(ctx.s), from.dir.ino, from.name);
  if (to.child) s = removeEntry(s, to.dir.ino, to.name);
  return done(undefined, attach(s, to.dir.ino, to.name, getInode(s, src.ino)));
}
