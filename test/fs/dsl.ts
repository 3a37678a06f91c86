/** Shorthand for writing syscalls in rule cases: `alice.open('/tmp/x', 'w|creat|excl')`. */
import type { OpenFlags } from '../../model/fs/index.js';
import type { Who } from '../differential/cast.js';
import type { Op } from '../differential/ops.js';

type FlagName = Exclude<keyof OpenFlags, 'access'>;
const FLAG_NAMES: readonly string[] = ['creat', 'excl', 'trunc', 'append', 'nofollow', 'directory'] satisfies FlagName[];

/** `'rw|creat|trunc'` → { access: 'rw', creat: true, trunc: true }. */
export function flags(spec: string): OpenFlags {
  const [access, ...rest] = spec.split('|');
  if (access !== 'r' && access !== 'w' && access !== 'rw') throw new Error('bad access mode in ' + spec);
  const f: { -readonly [K in keyof OpenFlags]: OpenFlags[K] } = { access };
  for (const name of rest) {
    if (!FLAG_NAMES.includes(name)) throw new Error(`unknown open flag ${name}`);
    f[name as FlagName] = true;
  }
  return f;
}

interface OpenOpts { readonly mode?: number; readonly write?: string; readonly read?: boolean }

export function as(who: Who) {
  return {
    mkdir: (path: string, mode = 0o777): Op => ({ op: 'mkdir', who, path, mode }),
    mkdirP: (path: string, mode = 0o755): Op => ({ op: 'mkdirP', who, path, mode }),
    chmod: (path: string, mode: number): Op => ({ op: 'chmod', who, path, mode }),
    open: (path: string, spec: string, o: OpenOpts = {}): Op => ({
      op: 'open', who, path, flags: flags(spec), mode: o.mode ?? 0o666,
      then: o.write !== undefined ? 'write' : o.read ? 'read' : 'none', data: o.write ?? '',
    }),
    writeFile: (path: string, data: string, mode = 0o666): Op => ({ op: 'writeFile', who, path, data, mode }),
    readFile: (path: string): Op => ({ op: 'readFile', who, path }),
    unlink: (path: string): Op => ({ op: 'unlink', who, path }),
    rmdir: (path: string): Op => ({ op: 'rmdir', who, path }),
    readlink: (path: string): Op => ({ op: 'readlink', who, path }),
    stat: (path: string): Op => ({ op: 'stat', who, path }),
    lstat: (path: string): Op => ({ op: 'lstat', who, path }),
    readdir: (path: string): Op => ({ op: 'readdir', who, path }),
    rename: (path: string, to: string): Op => ({ op: 'rename', who, path, to }),
    symlink: (target: string, path: string): Op => ({ op: 'symlink', who, path, target }),
    chown: (path: string, uid: number, gid: number): Op => ({ op: 'chown', who, path, uid, gid }),
    lchown: (path: string, uid: number, gid: number): Op => ({ op: 'lchown', who, path, uid, gid }),
    utimes: (path: string, atime: number, mtime: number): Op => ({ op: 'utimes', who, path, atime, mtime }),
  };
}

export const root = as('root');
export const alice = as('alice');
export const bob = as('bob');
export const carol = as('carol');
