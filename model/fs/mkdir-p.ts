/**
 * `mkdir -p -m MODE PATH` as GNU coreutils 9.1 runs it (verified with strace on Debian 12): for each
 * ancestor, mkdir(2) with 0777 under the umask minus u+wx (mkdir.c:make_ancestor), then chdir into it
 * (gnulib mkancesdirs.c); for the last component, mkdir(2) and, when the mode is not already exact,
 * chmod (mkdir-p.c:make_dir_parents, dirchownmod.c). An existing directory, also through a symlink, is
 * success even when the caller could not create it.
 */
import { mkdir } from './create.js';
import { notifyChange } from './attr.js';
import { done, isErrno, refuse, type Step } from './errno.js';
import { MAY_EXEC } from './mode.js';
import { lookupPath, target, type Ctx } from './namei.js';
import { genericPermission } from './permission.js';
import { putInode, tick, type FsState } from './store.js';
import type { Creds, Errno } from './types.js';

/** chdir(2): the path must name a searchable directory. Linux fs/open.c:SYSCALL_DEFINE1(chdir). */
function chdirCheck(ctx: Ctx, c: Creds, path: string): Errno | null {
  const last = lookupPath(ctx, c, path, true);
  if (isErrno(last)) return last;
  const inode = target(last);
  if (inode.kind !== 'dir') return 'ENOTDIR';
  return genericPermission(c, inode, MAY_EXEC);
}

/** One ancestor: mkdir, then chdir; a chdir ENOENT is reported as mkdir's errno (mkancesdirs). */
function makeAncestor(ctx: Ctx, c: Creds, path: string, name: string): FsState | Errno {
  let s = ctx.s;
  let mkdirErrno: Errno | null = null;
  if (name !== '..') {
    const made = mkdir(ctx, { ...c, umask: c.umask & ~0o300 }, path, 0o777);
    if (made.result.ok) s = made.next ?? s;
    else mkdirErrno = made.result.error.errno;
  }
  const chdirErrno = chdirCheck({ ...ctx, s }, c, path);
  if (chdirErrno) return mkdirErrno && chdirErrno === 'ENOENT' ? mkdirErrno : chdirErrno;
  return s;
}

/**
 * The mode fix-up after creating the last directory. With a 4-digit octal -m, the bits -m controls
 * are rwx, sticky, and setuid/setgid only where MODE sets them (gnulib modechange.c), so an inherited
 * setgid survives unless MODE names it. chmod runs only if those bits differ (dirchownmod.c).
 */
function fixMode(ctx: Ctx, c: Creds, path: string, mode: number): FsState | Errno {
  const last = lookupPath(ctx, c, path, false);
  if (isErrno(last)) return last;
  const inode = target(last);
  const modeBits = (mode & 0o6000) | 0o1777;
  if (((inode.mode ^ mode) & modeBits) === 0) return ctx.s;
  const changed = notifyChange(c, inode, { mode: mode | (inode.mode & 0o7777 & ~modeBits) });
  if (isErrno(changed)) return changed;
  return putInode(tick(ctx.s), changed);
}

/**
 * After mkdir of the last component failed: an existing directory (stat follows symlinks) is success.
 * When mkdir said EEXIST but stat fails other than ENOENT/ENOTDIR (a symlink loop, say), coreutils
 * reports stat's errno ("cannot stat"); otherwise mkdir's. Observed with coreutils 9.1.
 */
function existingDir(ctx: Ctx, c: Creds, path: string, mkdirErrno: Errno): FsState | Errno {
  if (mkdirErrno === 'ENOENT') return mkdirErrno;
  const found = lookupPath(ctx, c, path, true);
  if (!isErrno(found)) return target(found).kind === 'dir' ? ctx.s : mkdirErrno;
  return mkdirErrno === 'EEXIST' && found !== 'ENOENT' && found !== 'ENOTDIR' ? found : mkdirErrno;
}

/**
 * The last component: mkdir (group/other write held back while special bits are pending), then the
 * mode. A numeric -m sets the umask to MODE's complement for this mkdir (coreutils mkdir.c
 * umask_self), so the caller's umask never narrows MODE: strace shows `umask(022); mkdir("d", 0755)`
 * for `-m 0755` under umask 077.
 */
function makeLast(ctx: Ctx, c: Creds, path: string, mode: number): FsState | Errno {
  const special = (mode & 0o7000) !== 0;
  const made = mkdir(ctx, { ...c, umask: ~mode & 0o777 }, path, special ? mode & ~0o022 : mode);
  if (!made.result.ok) return existingDir(ctx, c, path, made.result.error.errno);
  const s = made.next ?? ctx.s;
  if (!special && (mode & 0o777) === 0) return s;
  return fixMode({ ...ctx, s }, c, path, mode);
}

/** `mkdir -p -m MODE PATH` (MODE given as 4 octal digits). Trailing slashes are ignored. */
export function mkdirP(ctx: Ctx, c: Creds, path: string, mode: number): Step<void> {
  const names = path.split('/').filter((n) => n !== '');
  const prefix = path.startsWith('/') ? '/' : '';
  let s = ctx.s;
  for (let i = 0; i < names.length - 1; i++) {
    const name = names[i] ?? '';
    if (name === '.') continue;
    const at = makeAncestor({ ...ctx, s }, c, prefix + names.slice(0, i + 1).join('/'), name);
    if (isErrno(at)) return { ...refuse(at, 'mkdirP', path), ...(s === ctx.s ? {} : { next: s }) };
    s = at;
  }
  const last = makeLast({ ...ctx, s }, c, prefix + names.join('/') || '/', mode & 0o7777);
  if (isErrno(last)) return { ...refuse(last, 'mkdirP', path), ...(s === ctx.s ? {} : { next: s }) };
  return last === ctx.s ? done(undefined) : done(undefined, last);
}
