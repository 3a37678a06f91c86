/** Credentials: who a syscall runs as. See types.ts {@link Creds}. */
import type { Creds } from './types.js';

/** uid 0, gid 0, umask 022: the superuser as a stock kernel sees it. */
export const ROOT: Creds = Object.freeze({ uid: 0, gid: 0, groups: Object.freeze([0]), umask: 0o022 });

/** Builds credentials; supplementary groups default to the primary group alone. */
export function creds(uid: number, gid: number, groups: readonly number[] = [gid], umask = 0o022): Creds {
  return Object.freeze({ uid, gid, groups: Object.freeze([...groups]), umask: umask & 0o777 });
}

/** The same process after chroot(2) into `root` (a path from the real root). Linux fs/open.c:SYSCALL_DEFINE1(chroot). */
export function chroot(c: Creds, root: string): Creds {
  return Object.freeze({ ...c, root });
}

/**
 * capable(CAP_*): the model has no capability sets, so uid 0 holds them all and no one else holds
 * any. Linux kernel/capability.c:capable(); the simplification is listed in docs/fs-model.md.
 */
export function capable(c: Creds): boolean {
  return c.uid === 0;
}

/** Is `gid` the caller's fsgid or one of its supplementary groups? Linux kernel/groups.c:in_group_p(). */
export function inGroupP(c: Creds, gid: number): boolean {
  return c.gid === gid || c.groups.includes(gid);
}
