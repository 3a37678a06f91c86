/**
 * The permission rules, one per Linux function, each returning the errno it would (or null). No rule
 * mutates anything; syscalls call them as guards before their single state change.
 */
import { capable, inGroupP } from './creds.js';
import { MAY_EXEC, MAY_READ, MAY_WRITE, S_ISGID, S_ISUID, S_ISVTX, S_IWGRP, S_IWOTH, S_IXGRP, S_IXUGO } from './mode.js';
import type { DirInode, Inode } from './store.js';
import type { Creds, Errno } from './types.js';

/** The owner/group/other class check; exactly one class applies. Linux fs/namei.c:acl_permission_check(). */
export function aclPermissionCheck(c: Creds, inode: Inode, mask: number): boolean {
  const want = mask & 7;
  const bits = c.uid === inode.uid ? inode.mode >> 6 : inGroupP(c, inode.gid) ? inode.mode >> 3 : inode.mode;
  return (want & ~bits & 7) === 0;
}

/**
 * DAC check with the CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH overrides: root may read, write and search
 * anything, but executes a non-directory only if some x bit is set. Linux fs/namei.c:generic_permission().
 */
export function genericPermission(c: Creds, inode: Inode, mask: number): Errno | null {
  if (aclPermissionCheck(c, inode, mask)) return null;
  if (!capable(c)) return 'EACCES';
  if (inode.kind === 'dir') return null;
  if ((mask & MAY_EXEC) === 0 || (inode.mode & S_IXUGO) !== 0) return null;
  return 'EACCES';
}

/** Search permission on each directory a path walk passes through. Linux fs/namei.c:may_lookup(). */
export function mayLookup(c: Creds, dir: DirInode): Errno | null {
  return genericPermission(c, dir, MAY_EXEC);
}

/** May `c` create `existing`'s name in `dir`? EEXIST comes before EACCES. Linux fs/namei.c:may_create(). */
export function mayCreate(c: Creds, dir: DirInode, existing: Inode | undefined): Errno | null {
  if (existing) return 'EEXIST';
  return genericPermission(c, dir, MAY_WRITE | MAY_EXEC);
}

/** In a sticky directory only the entry's owner, the directory's owner or CAP_FOWNER may remove it. Linux fs/namei.c:__check_sticky(). */
export function checkSticky(c: Creds, dir: DirInode, inode: Inode): boolean {
  if ((dir.mode & S_ISVTX) === 0) return false;
  if (inode.uid === c.uid || dir.uid === c.uid) return false;
  return !capable(c);
}

/**
 * May `c` remove `victim` from `dir` (unlink, rmdir, rename source or target)? EACCES (w+x on dir)
 * before EPERM (sticky) before the type checks. Linux fs/namei.c:may_delete().
 */
export function mayDelete(c: Creds, dir: DirInode, victim: Inode, isdir: boolean): Errno | null {
  const denied = genericPermission(c, dir, MAY_WRITE | MAY_EXEC);
  if (denied) return denied;
  if (checkSticky(c, dir, victim)) return 'EPERM';
  if (isdir && victim.kind !== 'dir') return 'ENOTDIR';
  if (!isdir && victim.kind === 'dir') return 'EISDIR';
  return null;
}

/** The owner, or CAP_FOWNER. Linux fs/inode.c:inode_owner_or_capable(). */
export function inodeOwnerOrCapable(c: Creds, inode: Inode): boolean {
  return c.uid === inode.uid || capable(c);
}

/** Member of `gid`, or CAP_FSETID: decides whether S_ISGID survives. Linux fs/inode.c:in_group_or_capable(). */
export function inGroupOrCapable(c: Creds, gid: number): boolean {
  return inGroupP(c, gid) || capable(c);
}

/** chmod (and any mode change): owner or CAP_FOWNER, else EPERM. Linux fs/attr.c:setattr_prepare() ATTR_MODE. */
export function mayChmod(c: Creds, inode: Inode): Errno | null {
  return inodeOwnerOrCapable(c, inode) ? null : 'EPERM';
}

/**
 * chown: only CAP_CHOWN changes the owner (the owner may "change" it to itself); the owner may change
 * the group to one of its own groups. uid/gid -1 means unchanged. Linux fs/attr.c:chown_ok(), chgrp_ok().
 */
export function mayChown(c: Creds, inode: Inode, uid: number, gid: number): Errno | null {
  if (capable(c)) return null;
  const owner = c.uid === inode.uid;
  if (uid !== -1 && !(owner && uid === inode.uid)) return 'EPERM';
  if (gid !== -1 && !(owner && (gid === inode.gid || inGroupP(c, gid)))) return 'EPERM';
  return null;
}

/** Explicit timestamps: owner or CAP_FOWNER. Linux fs/attr.c:setattr_prepare() ATTR_*TIME_SET. */
export function mayUtimes(c: Creds, inode: Inode): Errno | null {
  return inodeOwnerOrCapable(c, inode) ? null : 'EPERM';
}

/** The type checks and DAC check open(2) makes on the inode it reached. Linux fs/namei.c:may_open(). */
export function mayOpen(c: Creds, inode: Inode, accMode: number): Errno | null {
  if (inode.kind === 'symlink') return 'ELOOP';
  if (inode.kind === 'dir' && accMode & MAY_WRITE) return 'EISDIR';
  // Stryker disable next-line all: the model has no execve, so open(2) never asks for MAY_EXEC; kept to mirror may_open
  if (inode.kind === 'dir' && accMode & MAY_EXEC) return 'EACCES';
  return genericPermission(c, inode, accMode & (MAY_READ | MAY_WRITE | MAY_EXEC));
}

/**
 * fs.protected_symlinks: a symlink in a sticky world-writable directory is followed only by its owner,
 * or when the directory's owner owns it. Root is not exempt. Linux fs/namei.c:may_follow_link().
 */
export function mayFollowLink(c: Creds, dir: DirInode, link: Inode, enabled: boolean): Errno | null {
  if (!enabled || link.uid === c.uid) return null;
  if ((dir.mode & (S_ISVTX | S_IWOTH)) !== (S_ISVTX | S_IWOTH)) return null;
  if (dir.uid === link.uid) return null;
  return 'EACCES';
}

/**
 * O_CREAT on an existing non-directory in a sticky directory, owned by neither the caller nor the
 * directory's owner: EACCES when the directory is world-writable, or group-writable at level 2. The
 * sysctl (fs.protected_regular) only gates regular files; a symlink (reached with O_NOFOLLOW) is
 * always checked, which the differential test confirmed. Root is not exempt. Linux
 * fs/namei.c:may_create_in_sticky().
 */
export function mayCreateInSticky(c: Creds, dir: DirInode, inode: Inode, level: 0 | 1 | 2): Errno | null {
  if ((dir.mode & S_ISVTX) === 0) return null;
  if (inode.kind === 'file' && level === 0) return null;
  if (inode.uid === dir.uid || inode.uid === c.uid) return null;
  if (dir.mode & S_IWOTH) return 'EACCES';
  if (dir.mode & S_IWGRP && inode.kind === 'file' && level >= 2) return 'EACCES';
  return null;
}

/**
 * Which of S_ISUID/S_ISGID a write, truncate or chown by `c` must clear on a regular file: suid always,
 * sgid when group-exec is set or the caller is outside the file's group; nothing for CAP_FSETID.
 * Linux fs/attr.c:setattr_should_drop_suidgid().
 */
export function shouldDropSuidSgid(c: Creds, inode: Inode): number {
  // Stryker disable next-line ConditionalExpression: only writes and truncations of regular files call this
  if (inode.kind !== 'file') return 0;
  if (capable(c)) return 0;
  return (inode.mode & S_ISUID) | shouldDropSgid(c, inode);
}

/** S_ISGID is cleared when group-exec is set or the caller is not in the group (nor CAP_FSETID). Linux fs/attr.c:setattr_should_drop_sgid(). */
export function shouldDropSgid(c: Creds, inode: Inode): number {
  // Stryker disable next-line ConditionalExpression: the caller clears the bit it gets back, and clearing an unset S_ISGID changes nothing
  if ((inode.mode & S_ISGID) === 0) return 0;
  if (inode.mode & S_IXGRP) return S_ISGID;
  return inGroupOrCapable(c, inode.gid) ? 0 : S_ISGID;
}

/**
 * A new non-directory created with S_ISGID|S_IXGRP in a setgid directory of a group the caller is not
 * in loses S_ISGID. Linux fs/inode.c:mode_strip_sgid().
 */
export function modeStripSgid(c: Creds, dir: DirInode, mode: number): number {
  if ((mode & (S_ISGID | S_IXGRP)) !== (S_ISGID | S_IXGRP)) return mode;
  if ((dir.mode & S_ISGID) === 0) return mode;
  return inGroupOrCapable(c, dir.gid) ? mode : mode & ~S_ISGID;
}
