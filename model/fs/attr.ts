/**
 * Attribute changes: chmod(2), chown(2), lchown(2), utimes(2), all through one notifyChange() as
 * Linux routes them through fs/attr.c:notify_change() → setattr_prepare() → setattr_copy().
 */
import { capable } from './creds.js';
import { done, isErrno, refuse, type Step } from './errno.js';
import { S_IALLUGO, S_ISGID, S_ISUID } from './mode.js';
import { lookupPath, target, type Ctx } from './namei.js';
import { inGroupOrCapable, mayChmod, mayChown, mayUtimes, shouldDropSgid, shouldDropSuidSgid } from './permission.js';
import { putInode, tick, type Inode } from './store.js';
import type { Creds, Errno, Syscall } from './types.js';

/** An iattr: what to change. `kill*` are ATTR_KILL_SUID/ATTR_KILL_SGID. */
export interface Attr {
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly killSuid?: boolean;
  readonly killSgid?: boolean;
}

/**
 * The setuid/setgid bits a write or truncate by `c` clears. Linux: setattr_should_drop_suidgid() (root
 * keeps them). Darwin chmod(2): "Writing or changing the owner of a file turns off the set-user-id and
 * set-group-id bits unless the user is the super-user".
 */
export function killPrivs(ctx: Ctx, c: Creds, inode: Inode): number {
  if (ctx.personality === 'linux') return shouldDropSuidSgid(c, inode);
  return inode.kind === 'file' && !capable(c) ? inode.mode & (S_ISUID | S_ISGID) : 0;
}

/**
 * Applies `attr` to `inode` or refuses. Linux fs/attr.c:notify_change() turns ATTR_KILL_* into a mode
 * change; setattr_prepare() then checks chown_ok/chgrp_ok (EPERM), owner-or-CAP_FOWNER for any mode
 * change (EPERM), and drops S_ISGID when the caller is neither in the (new) group nor CAP_FSETID.
 */
export function notifyChange(c: Creds, inode: Inode, attr: Attr): Inode | Errno {
  let mode = attr.mode;
  if (attr.killSuid && inode.mode & S_ISUID) mode = inode.mode & ~S_ISUID;
  if (attr.killSgid && inode.mode & S_ISGID) mode = (mode ?? inode.mode) & ~S_ISGID;
  const denied = mayChown(c, inode, attr.uid ?? -1, attr.gid ?? -1);
  if (denied) return denied;
  const gid = attr.gid ?? inode.gid;
  if (mode !== undefined) {
    const refused = mayChmod(c, inode);
    if (refused) return refused;
    if (!inGroupOrCapable(c, gid)) mode &= ~S_ISGID;
  }
  return { ...inode, uid: attr.uid ?? inode.uid, gid, mode: mode ?? inode.mode };
}

function change(ctx: Ctx, c: Creds, syscall: Syscall, path: string, follow: boolean, attrOf: (i: Inode) => Attr): Step<void> {
  const last = lookupPath(ctx, c, path, follow);
  if (isErrno(last)) return refuse(last, syscall, path);
  const changed = notifyChange(c, target(last), attrOf(target(last)));
  if (isErrno(changed)) return refuse(changed, syscall, path);
  return done(undefined, putInode(tick(ctx.s), changed));
}

/** chmod(2): follows symlinks; the 12 mode bits; owner or root. Linux fs/open.c:chmod_common(). */
export function chmod(ctx: Ctx, c: Creds, path: string, mode: number): Step<void> {
  return change(ctx, c, 'chmod', path, true, () => ({ mode: mode & S_IALLUGO }));
}

/**
 * The iattr of chown(2)/lchown(2). Linux fs/open.c:chown_common(): -1 leaves an id unchanged; on a
 * non-directory it always asks to clear S_ISUID (for root too) and S_ISGID per setattr_should_drop_sgid().
 * Darwin chown(2): the bits are cleared only when the caller is not the super-user.
 */
export function chownAttr(ctx: Ctx, c: Creds, inode: Inode, uid: number, gid: number): Attr {
  const ids = { ...(uid === -1 ? {} : { uid }), ...(gid === -1 ? {} : { gid }) };
  if (inode.kind === 'dir') return ids;
  if (ctx.personality === 'darwin') return { ...ids, killSuid: !capable(c), killSgid: !capable(c) };
  return { ...ids, killSuid: true, killSgid: shouldDropSgid(c, inode) !== 0 };
}

/** chown(2): follows symlinks. */
export function chown(ctx: Ctx, c: Creds, path: string, uid: number, gid: number): Step<void> {
  return change(ctx, c, 'chown', path, true, (i) => chownAttr(ctx, c, i, uid, gid));
}

/** lchown(2): changes a symlink itself. */
export function lchown(ctx: Ctx, c: Creds, path: string, uid: number, gid: number): Step<void> {
  return change(ctx, c, 'lchown', path, false, (i) => chownAttr(ctx, c, i, uid, gid));
}

/** utimes(2) with explicit times: owner or CAP_FOWNER, else EPERM (setattr_prepare ATTR_TIMES_SET). */
export function utimes(ctx: Ctx, c: Creds, path: string, atime: number, mtime: number): Step<void> {
  const last = lookupPath(ctx, c, path, true);
  if (isErrno(last)) return refuse(last, 'utimes', path);
  const denied = mayUtimes(c, target(last));
  if (denied) return refuse(denied, 'utimes', path);
  return done(undefined, putInode(tick(ctx.s), { ...target(last), atime, mtime }));
}
