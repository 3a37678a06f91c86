/** open(2): the last lookup, the checks on what it found, creation and O_TRUNC. */
import { initOwner } from './create.js';
import { done, isErrno, refuse, type Step } from './errno.js';
import { MAY_READ, MAY_WRITE, S_IALLUGO } from './mode.js';
import { walk, type Ctx, type Last } from './namei.js';
import { mayCreate, mayCreateInSticky, mayOpen, modeStripSgid } from './permission.js';
import { killPrivs } from './attr.js';
import { createEntry, openFd, putInode, tick, type FsState, type Inode } from './store.js';
import type { Creds, Errno, OpenFlags } from './types.js';

/** The access mask open(2) checks: the access mode, plus MAY_WRITE for O_TRUNC. Linux fs/open.c:build_open_flags(). */
export function accMode(flags: OpenFlags): number {
  const read = flags.access === 'w' ? 0 : MAY_READ;
  const write = flags.access === 'r' && !flags.trunc ? 0 : MAY_WRITE;
  return read | write;
}

/**
 * The last lookup of open(2). Linux fs/namei.c:open_last_lookups(): with O_CREAT a trailing slash is
 * EISDIR before the name is looked up; O_EXCL implies O_NOFOLLOW (build_open_flags); a trailing
 * slash forces following and a directory.
 */
function openLast(ctx: Ctx, c: Creds, path: string, flags: OpenFlags): Last | Errno {
  const nofollow = flags.nofollow === true || (flags.creat === true && flags.excl === true);
  if (!flags.creat) return walk(ctx, c, path, nofollow ? 'nofollow' : 'follow');
  // Stryker disable next-line StringLiteral: walk() treats any mode but 'follow' and 'nofollow' as 'parent', so no input tells this literal from ''
  const first = walk(ctx, c, path, 'parent');
  if (isErrno(first)) return first;
  if (first.trailing || first.type !== 'norm') return 'EISDIR';
  if (first.child?.kind !== 'symlink' || nofollow) return first;
  const last = walk(ctx, c, path, 'follow');
  if (!isErrno(last) && last.type !== 'norm') return 'EISDIR';
  return last;
}

/**
 * The checks on an inode open(2) found. Linux fs/namei.c:do_open(): with O_CREAT, O_EXCL → EEXIST,
 * a directory → EISDIR, protected_regular (may_create_in_sticky) → EACCES; O_DIRECTORY (or a trailing
 * slash) on a non-directory → ENOTDIR; then may_open (ELOOP, EISDIR, EACCES).
 */
function mayOpenExisting(ctx: Ctx, c: Creds, last: Last, inode: Inode, flags: OpenFlags): Errno | null {
  if (flags.creat) {
    if (flags.excl) return 'EEXIST';
    if (inode.kind === 'dir') return 'EISDIR';
    const refused = mayCreateInSticky(c, last.dir, inode, ctx.protectedRegular);
    if (refused) return refused;
  }
  if ((flags.directory || last.trailing) && inode.kind !== 'dir') return 'ENOTDIR';
  return mayOpen(c, inode, accMode(flags));
}

function descriptor(s: FsState, inode: Inode, flags: OpenFlags): [FsState, number] {
  return openFd(s, {
    ino: inode.ino, readable: flags.access !== 'w', writable: flags.access !== 'r', append: flags.append === true, offset: 0,
  });
}

/**
 * open(2). O_CREAT|O_DIRECTORY is EINVAL (Linux ≥ 6.4, build_open_flags). A new file gets
 * `mode & 07777` minus the umask (and S_ISGID per mode_strip_sgid), is owned per inode_init_owner, and
 * skips the access check (FMODE_CREATED). O_TRUNC empties an existing regular file and, for a caller
 * without CAP_FSETID, clears setuid/setgid (do_truncate → dentry_needs_remove_privs).
 */
export function open(ctx: Ctx, c: Creds, path: string, flags: OpenFlags, mode = 0o666): Step<number> {
  if (flags.creat && flags.directory) return refuse('EINVAL', 'open', path);
  const last = openLast(ctx, c, path, flags);
  if (isErrno(last)) return refuse(last, 'open', path);
  const existing = last.child;
  if (!existing) {
    if (!flags.creat) return refuse('ENOENT', 'open', path);
    const denied = mayCreate(c, last.dir, undefined);
    if (denied) return refuse(denied, 'open', path);
    const perm = modeStripSgid(c, last.dir, mode & S_IALLUGO) & ~c.umask;
    const [s, inode] = createEntry(tick(ctx.s), last.dir.ino, last.name, {
      kind: 'file', content: '', ...initOwner(ctx, c, last.dir, 'file', perm),
    });
    const [next, fd] = descriptor(s, inode, flags);
    return done(fd, next);
  }
  const denied = mayOpenExisting(ctx, c, last, existing, flags);
  if (denied) return refuse(denied, 'open', path);
  let s = ctx.s;
  if (flags.trunc && existing.kind === 'file') {
    s = tick(s);
    s = putInode(s, { ...existing, content: '', mtime: s.clock, mode: existing.mode & ~killPrivs(ctx, c, existing) });
  }
  const [next, fd] = descriptor(s, existing, flags);
  return done(fd, next);
}
