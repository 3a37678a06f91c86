/**
 * One credential's hands on the real kernel. Forked as root by oracle.ts, it drops to the uid, gid,
 * supplementary groups and umask it is told (setgroups before setgid before setuid: fork's own
 * uid/gid options never call setgroups), then runs each op it receives with plain syscalls and
 * answers with the same one-line outcome the model side renders.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { OpenFlags } from '../../model/fs/index.js';
import { showStat, showValue, type Op } from './ops.js';

interface Init { readonly kind: 'init'; readonly uid: number; readonly gid: number; readonly groups: number[]; readonly umask: number }
interface Run { readonly kind: 'op'; readonly id: number; readonly root: string; readonly op: Op }

const C = fs.constants;

function flagBits(f: OpenFlags): number {
  let n = f.access === 'r' ? C.O_RDONLY : f.access === 'w' ? C.O_WRONLY : C.O_RDWR;
  if (f.creat) n |= C.O_CREAT;
  if (f.excl) n |= C.O_EXCL;
  if (f.trunc) n |= C.O_TRUNC;
  if (f.append) n |= C.O_APPEND;
  if (f.nofollow) n |= C.O_NOFOLLOW;
  if (f.directory) n |= C.O_DIRECTORY;
  return n;
}

function readAll(fd: number): string {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  for (let n = fs.readSync(fd, buf, 0, buf.length, null); n > 0; n = fs.readSync(fd, buf, 0, buf.length, null)) {
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks).toString('utf8');
}

const MESSAGES: Record<string, string> = {
  'File exists': 'EEXIST', 'Not a directory': 'ENOTDIR', 'Permission denied': 'EACCES',
  'No such file or directory': 'ENOENT', 'Too many levels of symbolic links': 'ELOOP',
  'Operation not permitted': 'EPERM', 'Is a directory': 'EISDIR',
};

/** Real coreutils `mkdir -p -m MODE`, run with this worker's credentials and umask. */
function mkdirP(path: string, mode: number): string {
  try {
    const m = mode.toString(8).padStart(4, '0');
    execFileSync('mkdir', ['-p', '-m', m, '--', path], { env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' }, stdio: ['ignore', 'ignore', 'pipe'] });
    return 'ok';
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '');
    const msg = /: ([^:]+)\n?$/.exec(stderr)?.[1]?.trim() ?? stderr;
    return MESSAGES[msg] ?? `mkdir said: ${stderr.trim()}`;
  }
}

function openThen(p: string, o: Extract<Op, { op: 'open' }>): string {
  const fd = fs.openSync(p, flagBits(o.flags), o.mode);
  let then = '';
  try {
    if (o.then === 'write') then = `; write ${attempt(() => String(fs.writeSync(fd, o.data)))}`;
    if (o.then === 'read') then = `; read ${attempt(() => readAll(fd))}`;
  } finally {
    fs.closeSync(fd);
  }
  return `ok${then}`;
}

function attempt(f: () => unknown): string {
  try {
    return showValue(f());
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

function run(root: string, o: Op): string {
  const real = (p: string): string => root + (p.startsWith('/') ? p : `/${p}`);
  const mapTarget = (t: string): string => (t.startsWith('/') ? root + t : t);
  const unmap = (t: string): string => (t === root ? '/' : t.startsWith(root + '/') ? t.slice(root.length) : t);
  const statOf = (p: string, follow: boolean): string => {
    const s = follow ? fs.statSync(p) : fs.lstatSync(p);
    const kind = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'file';
    const size = kind === 'symlink' ? unmap(fs.readlinkSync(p)).length : s.size;
    return `ok ${showStat({ kind, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size, nlink: s.nlink })}`;
  };
  const p = real(o.path);
  try {
    switch (o.op) {
      case 'mkdir': fs.mkdirSync(p, o.mode); return 'ok';
      case 'mkdirP': return mkdirP(p, o.mode);
      case 'chmod': fs.chmodSync(p, o.mode); return 'ok';
      case 'open': return openThen(p, o);
      case 'writeFile': fs.writeFileSync(p, o.data, { mode: o.mode }); return 'ok';
      case 'readFile': return showValue(fs.readFileSync(p, 'utf8'));
      case 'unlink': fs.unlinkSync(p); return 'ok';
      case 'rmdir': fs.rmdirSync(p); return 'ok';
      case 'readlink': return showValue(unmap(fs.readlinkSync(p)));
      case 'stat': return statOf(p, true);
      case 'lstat': return statOf(p, false);
      case 'readdir': return showValue(fs.readdirSync(p).sort());
      case 'rename': fs.renameSync(p, real(o.to)); return 'ok';
      case 'symlink': fs.symlinkSync(mapTarget(o.target), p); return 'ok';
      case 'chown': fs.chownSync(p, o.uid, o.gid); return 'ok';
      case 'lchown': fs.lchownSync(p, o.uid, o.gid); return 'ok';
      case 'utimes': fs.utimesSync(p, o.atime, o.mtime); return 'ok';
    }
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
}

process.on('message', (msg: Init | Run) => {
  if (msg.kind === 'init') {
    const { setgroups, setgid, setuid } = process;
    if (!setgroups || !setgid || !setuid) throw new Error('the oracle worker needs POSIX credentials calls');
    setgroups(msg.groups);
    setgid(msg.gid);
    setuid(msg.uid);
    process.umask(msg.umask);
    process.send?.({ kind: 'ready', uid: process.geteuid?.(), groups: process.getgroups?.() });
    return;
  }
  process.send?.({ kind: 'result', id: msg.id, outcome: run(msg.root, msg.op) });
});
