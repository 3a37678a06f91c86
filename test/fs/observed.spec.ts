/**
 * The kernel has two paths through a syscall: a bare one for the explorer (no observer) and a recorded
 * one for traces and repro scripts. Both must apply the same rules, and the record must say exactly
 * which call was made: traces, fault plans and the shell scripts generated from them are built from it.
 */
import { describe, expect, it } from 'vitest';
import { createKernel, openFlagsString, populateOrThrow, type FsError, type FsResult, type Kernel, type SyscallRecord } from '../../model/fs/index.js';
import { CAST, INITIAL_TREE } from '../differential/cast.js';
import { runModel, showOp, type Op } from '../differential/ops.js';
import { attrRules } from './cases/attr.js';
import { createRules } from './cases/create.js';
import { darwinRules } from './cases/darwin.js';
import { ioRules } from './cases/io.js';
import { mkdirPRules } from './cases/mkdir-p.js';
import { openRules } from './cases/open.js';
import { protectedRules } from './cases/protected.js';
import { removeRules } from './cases/remove.js';
import { renameRules } from './cases/rename.js';
import { stickyRules } from './cases/sticky.js';
import { walkRules } from './cases/walk.js';
import type { RuleGroup } from './rule-case.js';

const GROUPS: readonly RuleGroup[] = [
  ...attrRules, ...createRules, ...darwinRules, ...ioRules, ...mkdirPRules, ...openRules,
  ...protectedRules, ...removeRules, ...renameRules, ...stickyRules, ...walkRules,
];

/** What the record of `o`'s first call must carry, written out per call rather than derived from the kernel. */
function expectedRecord(o: Op): Pick<SyscallRecord, 'syscall' | 'args'> {
  switch (o.op) {
    case 'mkdir': case 'mkdirP': case 'chmod': return { syscall: o.op, args: [o.path, o.mode] };
    case 'open': return { syscall: 'open', args: [o.path, openFlagsString(o.flags), o.mode] };
    case 'writeFile': return { syscall: 'writeFile', args: [o.path, o.data, o.mode] };
    case 'readFile': case 'unlink': case 'rmdir': case 'readlink': case 'stat': case 'lstat': case 'readdir':
      return { syscall: o.op, args: [o.path] };
    case 'rename': return { syscall: 'rename', args: [o.path, o.to] };
    case 'symlink': return { syscall: 'symlink', args: [o.target, o.path] };
    case 'chown': case 'lchown': return { syscall: o.op, args: [o.path, o.uid, o.gid] };
    case 'utimes': return { syscall: 'utimes', args: [o.path, o.atime, o.mtime] };
  }
}

/** `o`'s first call, made directly, with its raw result (the error as the kernel builds it). */
function rawCall(k: Kernel, o: Op): FsResult<unknown> {
  const c = CAST[o.who];
  switch (o.op) {
    case 'mkdir': return k.mkdir(c, o.path, o.mode);
    case 'mkdirP': return k.mkdirP(c, o.path, o.mode);
    case 'chmod': return k.chmod(c, o.path, o.mode);
    case 'open': return k.open(c, o.path, o.flags, o.mode);
    case 'writeFile': return k.writeFile(c, o.path, o.data, o.mode);
    case 'readFile': return k.readFile(c, o.path);
    case 'unlink': return k.unlink(c, o.path);
    case 'rmdir': return k.rmdir(c, o.path);
    case 'readlink': return k.readlink(c, o.path);
    case 'stat': return k.stat(c, o.path);
    case 'lstat': return k.lstat(c, o.path);
    case 'readdir': return k.readdir(c, o.path);
    case 'rename': return k.rename(c, o.path, o.to);
    case 'symlink': return k.symlink(c, o.target, o.path);
    case 'chown': return k.chown(c, o.path, o.uid, o.gid);
    case 'lchown': return k.lchown(c, o.path, o.uid, o.gid);
    case 'utimes': return k.utimes(c, o.path, o.atime, o.mtime);
  }
}

/** The error a refused `o` must carry: messages (e.g. a GC's "cannot unlink '…'") print its path. */
function expectedError(o: Op, errno: string): FsError {
  if (o.op === 'rename') return { errno, syscall: 'rename', path: o.path, dest: o.to } as FsError;
  if (o.op === 'symlink') return { errno, syscall: 'symlink', path: o.path, dest: o.target } as FsError;
  return { errno, syscall: o.op, path: o.path } as FsError;
}

describe('a refused syscall', () => {
  const cases = GROUPS.flatMap((g) => g.cases.map((c) => [`${g.describe}: ${c.it}`, c] as const))
    .filter(([, c]) => c.steps.some(([, want]) => !want.startsWith('ok')));

  it.each(cases)('should name its call, errno and paths in the error: %s', (_, c) => {
    const k = createKernel(c.kernel ?? {});
    populateOrThrow(k, c.tree ?? INITIAL_TREE);
    for (const [op, want] of c.steps) {
      if (want.startsWith('ok')) { runModel(k, op); continue; }
      const r = rawCall(k, op);
      // strict: an error without a second path has no `dest` key at all
      expect(r.ok ? 'ok' : r.error, showOp(op)).toStrictEqual(expectedError(op, want));
    }
  });

  it('should name the descriptor of a refused read, write or close', () => {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    const { alice } = CAST;
    const ro = k.open(alice, '/tmp/a-file', { access: 'r' });
    const dir = k.open(alice, '/tmp', { access: 'r', directory: true });
    if (!ro.ok || !dir.ok) throw new Error('setup');
    const err = (r: FsResult<unknown>) => (r.ok ? 'ok' : r.error);
    expect(err(k.write(alice, ro.value, 'x'))).toEqual({ errno: 'EBADF', syscall: 'write', path: String(ro.value) });
    expect(err(k.read(alice, dir.value))).toEqual({ errno: 'EISDIR', syscall: 'read', path: String(dir.value) });
    expect(err(k.read(alice, 99))).toEqual({ errno: 'EBADF', syscall: 'read', path: '99' });
    expect(err(k.close(alice, 42))).toEqual({ errno: 'EBADF', syscall: 'close', path: '42' });
  });
});

describe('a syscall with an observer attached', () => {
  const cases = GROUPS.flatMap((g) => g.cases.map((c) => [`${g.describe}: ${c.it}`, c] as const));

  it.each(cases)('should have the outcome it has without one: %s', (_, c) => {
    const k = createKernel(c.kernel ?? {});
    populateOrThrow(k, c.tree ?? INITIAL_TREE);
    const records: SyscallRecord[] = [];
    k.observe((phase, call) => { if (phase === 'after') records.push(call); return undefined; });
    for (const [op, want] of c.steps) {
      records.length = 0;
      const before = k.hash();
      const got = runModel(k, op);
      expect(got, showOp(op)).toBe(want);
      if (!got.startsWith('ok') && op.op !== 'mkdirP') expect(k.hash(), `${showOp(op)} failed but changed the tree`).toBe(before);
      const first = records[0];
      expect(first, showOp(op)).toMatchObject({ ...expectedRecord(op), creds: CAST[op.who] });
      // the outcome as a record carries it: ok, or the errno alone
      expect(first?.result, showOp(op)).toEqual(got.startsWith('ok') ? { ok: true } : { ok: false, errno: got });
    }
  });
});

describe('syscall records', () => {
  const { alice } = CAST;
  function recorded(f: (k: Kernel) => void): SyscallRecord[] {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    const out: SyscallRecord[] = [];
    k.observe((phase, call) => { if (phase === 'after') out.push(call); return undefined; });
    f(k);
    return out;
  }

  it('should name each descriptor call and its arguments', () => {
    const calls = recorded((k) => {
      const fd = k.open(alice, '/tmp/new', { access: 'rw', creat: true, excl: true }, 0o640);
      if (!fd.ok) throw new Error(fd.error.errno);
      k.write(alice, fd.value, 'hi');
      k.read(alice, fd.value);
      k.close(alice, fd.value);
    });
    expect(calls.map((c) => [c.syscall, ...c.args])).toEqual([
      ['open', '/tmp/new', 'O_RDWR|O_CREAT|O_EXCL', 0o640], ['write', 3, 'hi'], ['read', 3], ['close', 3],
    ]);
  });

  it('should leave out the mode of an open or writeFile that gives none', () => {
    const calls = recorded((k) => { k.open(alice, '/tmp/a-file', { access: 'r' }); k.writeFile(alice, '/tmp/w', 'x'); });
    expect(calls.map((c) => c.args)).toEqual([['/tmp/a-file', 'O_RDONLY'], ['/tmp/w', 'x']]);
  });
});

describe('openFlagsString', () => {
  it('should print the access mode alone when no other flag is set', () => {
    expect(openFlagsString({ access: 'r' })).toBe('O_RDONLY');
    expect(openFlagsString({ access: 'w' })).toBe('O_WRONLY');
    expect(openFlagsString({ access: 'rw', creat: false, excl: false })).toBe('O_RDWR');
  });

  it('should print every flag that is set, as strace orders them', () => {
    expect(openFlagsString({ access: 'w', creat: true, excl: true, trunc: true, append: true, nofollow: true, directory: true }))
      .toBe('O_WRONLY|O_CREAT|O_EXCL|O_TRUNC|O_APPEND|O_NOFOLLOW|O_DIRECTORY');
    expect(openFlagsString({ access: 'r', nofollow: true, directory: true })).toBe('O_RDONLY|O_NOFOLLOW|O_DIRECTORY');
    expect(openFlagsString({ access: 'w', trunc: true })).toBe('O_WRONLY|O_TRUNC');
    expect(openFlagsString({ access: 'w', append: true })).toBe('O_WRONLY|O_APPEND');
  });
});
