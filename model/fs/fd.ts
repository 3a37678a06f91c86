/** Descriptor syscalls (read, write, close) and the whole-file helpers built on open(2). */
import { killPrivs } from './attr.js';
import { done, refuse, type Step } from './errno.js';
import type { Ctx } from './namei.js';
import { open } from './open.js';
import { closeFd, getInode, putInode, tick, updateFd } from './store.js';
import type { Creds } from './types.js';

/** read(2) to end of file from the offset. EBADF: not open or not open for reading; EISDIR: a directory. */
export function read(ctx: Ctx, _c: Creds, fd: number): Step<string> {
  const file = ctx.s.fds.get(fd);
  if (!file?.readable) return refuse('EBADF', 'read', String(fd));
  const inode = getInode(ctx.s, file.ino);
  if (inode.kind === 'dir') return refuse('EISDIR', 'read', String(fd));
  const content = inode.kind === 'file' ? inode.content : '';
  const data = content.slice(file.offset);
  return done(data, updateFd(ctx.s, fd, { ...file, offset: Math.max(file.offset, content.length) }));
}

/**
 * write(2) at the offset (at the end with O_APPEND), zero-filling a gap. A non-empty write by a caller
 * without CAP_FSETID clears setuid/setgid (Linux file_remove_privs()); an empty write changes nothing.
 */
export function write(ctx: Ctx, c: Creds, fd: number, data: string): Step<number> {
  const file = ctx.s.fds.get(fd);
  if (!file?.writable) return refuse('EBADF', 'write', String(fd));
  const inode = getInode(ctx.s, file.ino);
  if (inode.kind !== 'file') return refuse('EBADF', 'write', String(fd));
  if (data.length === 0) return done(0);
  const pos = file.append ? inode.content.length : file.offset;
  const head = inode.content.slice(0, pos).padEnd(pos, '\0');
  const content = head + data + inode.content.slice(pos + data.length);
  const s = tick(ctx.s);
  const written = { ...inode, content, mtime: s.clock, mode: inode.mode & ~killPrivs(ctx, c, inode) };
  return done(data.length, updateFd(putInode(s, written), fd, { ...file, offset: pos + data.length }));
}

/** close(2): EBADF when not open; the last close of an unlinked file frees it. */
export function close(ctx: Ctx, _c: Creds, fd: number): Step<void> {
  if (!ctx.s.fds.has(fd)) return refuse('EBADF', 'close', String(fd));
  return done(undefined, closeFd(ctx.s, fd));
}

/** `echo data > path`: open(O_WRONLY|O_CREAT|O_TRUNC, mode), write, close; errors as open/write report them. */
export function writeFile(ctx: Ctx, c: Creds, path: string, data: string, mode = 0o666): Step<void> {
  const opened = open(ctx, c, path, { access: 'w', creat: true, trunc: true }, mode);
  if (!opened.result.ok || !opened.next) return refuse(opened.result.ok ? 'EBADF' : opened.result.error.errno, 'writeFile', path);
  const fd = opened.result.value;
  const wrote = write({ ...ctx, s: opened.next }, c, fd, data);
  if (!wrote.result.ok) return refuse(wrote.result.error.errno, 'writeFile', path);
  return done(undefined, closeFd(wrote.next ?? opened.next, fd));
}

/** `cat path`: open(O_RDONLY), read, close. A directory opens but reads as EISDIR. */
export function readFile(ctx: Ctx, c: Creds, path: string): Step<string> {
  const opened = open(ctx, c, path, { access: 'r' });
  if (!opened.result.ok || !opened.next) return refuse(opened.result.ok ? 'EBADF' : opened.result.error.errno, 'readFile', path);
  const got = read({ ...ctx, s: opened.next }, c, opened.result.value);
  if (!got.result.ok) return refuse(got.result.error.errno, 'readFile', path);
  return done(got.result.value); // open + read + close of a file without O_TRUNC leaves the state as it was
}
