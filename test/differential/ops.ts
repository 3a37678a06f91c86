/**
 * The syscalls the differential test issues, how the model runs them, and the one-line outcome both
 * sides are compared on (ok plus the value for reads, or the errno).
 */
import type { Creds, FsKernel, FsResult, OpenFlags, Stat } from '../../model/fs/index.js';
import { CAST, type Who } from './cast.js';

export type Op =
  | { readonly op: 'mkdir' | 'mkdirP' | 'chmod'; readonly who: Who; readonly path: string; readonly mode: number }
  | {
      readonly op: 'open'; readonly who: Who; readonly path: string; readonly flags: OpenFlags; readonly mode: number;
      readonly then: 'write' | 'read' | 'none'; readonly data: string;
    }
  | { readonly op: 'writeFile'; readonly who: Who; readonly path: string; readonly data: string; readonly mode: number }
  | {
      readonly op: 'readFile' | 'unlink' | 'rmdir' | 'readlink' | 'stat' | 'lstat' | 'readdir';
      readonly who: Who; readonly path: string;
    }
  | { readonly op: 'rename'; readonly who: Who; readonly path: string; readonly to: string }
  | { readonly op: 'symlink'; readonly who: Who; readonly path: string; readonly target: string }
  | { readonly op: 'chown' | 'lchown'; readonly who: Who; readonly path: string; readonly uid: number; readonly gid: number }
  | { readonly op: 'utimes'; readonly who: Who; readonly path: string; readonly atime: number; readonly mtime: number };

const oct = (m: number): string => '0' + m.toString(8).padStart(3, '0');

/** `alice open("/tmp/x", O_WRONLY|O_CREAT, 0644) write "hi"`: strace-like, for reports. */
export function showOp(o: Op): string {
  const q = JSON.stringify;
  switch (o.op) {
    case 'mkdir': case 'mkdirP': case 'chmod': return `${o.who} ${o.op}(${q(o.path)}, ${oct(o.mode)})`;
    case 'open': {
      const fl = [o.flags.access, ...Object.entries(o.flags).filter(([k, v]) => k !== 'access' && v === true).map(([k]) => k)];
      const then = o.then === 'write' ? ` + write ${q(o.data)}` : o.then === 'read' ? ' + read' : '';
      return `${o.who} open(${q(o.path)}, ${fl.join('|')}, ${oct(o.mode)})${then}`;
    }
    case 'writeFile': return `${o.who} writeFile(${q(o.path)}, ${q(o.data)}, ${oct(o.mode)})`;
    case 'rename': return `${o.who} rename(${q(o.path)}, ${q(o.to)})`;
    case 'symlink': return `${o.who} symlink(${q(o.target)}, ${q(o.path)})`;
    case 'chown': case 'lchown': return `${o.who} ${o.op}(${q(o.path)}, ${o.uid}, ${o.gid})`;
    case 'utimes': return `${o.who} utimes(${q(o.path)}, ${o.atime}, ${o.mtime})`;
    default: return `${o.who} ${o.op}(${q(o.path)})`;
  }
}

/** The comparable part of a stat: type, mode bits, owners, nlink, and size where it is not file-system specific. */
export function showStat(s: Pick<Stat, 'kind' | 'mode' | 'uid' | 'gid' | 'size' | 'nlink'>): string {
  const size = s.kind === 'dir' ? '' : ` size=${s.size}`;
  return `${s.kind} ${oct(s.mode)} ${s.uid}:${s.gid}${size} nlink=${s.nlink}`;
}

export function showValue(v: unknown): string {
  if (v === undefined) return 'ok';
  if (typeof v === 'string') return `ok ${JSON.stringify(v)}`;
  if (Array.isArray(v)) return `ok [${v.join(',')}]`;
  return `ok ${showStat(v as Stat)}`;
}

function show<T>(r: FsResult<T>, value: (v: T) => unknown = (v) => v): string {
  return r.ok ? showValue(value(r.value)) : r.error.errno;
}

function openThen(k: FsKernel, c: Creds, o: Extract<Op, { op: 'open' }>): string {
  const r = k.open(c, o.path, o.flags, o.mode);
  if (!r.ok) return r.error.errno;
  let then = '';
  if (o.then === 'write') then = `; write ${show(k.write(c, r.value, o.data), (n) => String(n))}`;
  if (o.then === 'read') then = `; read ${show(k.read(c, r.value))}`;
  k.close(c, r.value);
  return `ok${then}`;
}

/** Runs `o` on the model and renders its outcome. */
export function runModel(k: FsKernel, o: Op): string {
  const c = CAST[o.who];
  switch (o.op) {
    case 'mkdir': return show(k.mkdir(c, o.path, o.mode));
    case 'mkdirP': return show(k.mkdirP(c, o.path, o.mode));
    case 'chmod': return show(k.chmod(c, o.path, o.mode));
    case 'open': return openThen(k, c, o);
    case 'writeFile': return show(k.writeFile(c, o.path, o.data, o.mode));
    case 'readFile': return show(k.readFile(c, o.path));
    case 'unlink': return show(k.unlink(c, o.path));
    case 'rmdir': return show(k.rmdir(c, o.path));
    case 'readlink': return show(k.readlink(c, o.path));
    case 'stat': return show(k.stat(c, o.path));
    case 'lstat': return show(k.lstat(c, o.path));
    case 'readdir': return show(k.readdir(c, o.path));
    case 'rename': return show(k.rename(c, o.path, o.to));
    case 'symlink': return show(k.symlink(c, o.target, o.path));
    case 'chown': return show(k.chown(c, o.path, o.uid, o.gid));
    case 'lchown': return show(k.lchown(c, o.path, o.uid, o.gid));
    case 'utimes': return show(k.utimes(c, o.path, o.atime, o.mtime));
  }
}
