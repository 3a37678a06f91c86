/**
 * The kernel object: holds the current state, runs every syscall through the observer seam, and
 * commits a syscall's next state in one assignment. All rules live in the syscall modules.
 */
import { chmod, chown, lchown, utimes } from './attr.js';
import { mkdir, symlink } from './create.js';
import type { Step } from './errno.js';
import { close, read, readFile, write, writeFile } from './fd.js';
import { mkdirP } from './mkdir-p.js';
import type { Ctx } from './namei.js';
import { open } from './open.js';
import { lstat, readdir, readlink, stat } from './query.js';
import { rmdir, unlink } from './remove.js';
import { rename } from './rename.js';
import { changedUnder, has, hash, tree } from './snapshot.js';
import { emptyState, toVolume, type FsState } from './store.js';
import {
  SyscallAborted,
  type Creds, type FsKernel, type FsResult, type FsSnapshot, type OpenFlags, type Personality, type Stat,
  type Syscall, type SyscallObserver, type SyscallRecord, type TreeEntry,
} from './types.js';

/** How a kernel is configured; fixed for its lifetime. */
export interface KernelOptions {
  readonly personality?: Personality;
  /** fs.protected_symlinks (Linux default 0; many distributions set 1). Linux only. */
  readonly protectedSymlinks?: boolean;
  /** fs.protected_regular (Linux default 0; systemd sets 1). Linux only. */
  readonly protectedRegular?: 0 | 1 | 2;
}

interface Box extends FsSnapshot {
  readonly state: FsState;
}

export class Kernel implements FsKernel {
  readonly personality: Personality;
  private state: FsState = emptyState();
  private observers: readonly SyscallObserver[] = [];
  private readonly config: Omit<Ctx, 's'>;

  constructor(opts: KernelOptions = {}) {
    this.personality = opts.personality ?? 'linux';
    const linux = this.personality === 'linux';
    this.config = {
      personality: this.personality,
      protectedSymlinks: linux && opts.protectedSymlinks === true,
      protectedRegular: linux ? (opts.protectedRegular ?? 0) : 0,
    };
  }

  /** Observers see the call before (and may abort it) and after, with its outcome. */
  private run<T>(syscall: Syscall, creds: Creds, args: SyscallRecord['args'], body: (ctx: Ctx) => Step<T>): FsResult<T> {
    const observers = this.observers;
    // Stryker disable next-line BlockStatement: the recorded path below gives the same result and state (observed.spec runs every rule case both ways); this branch only skips building records
    if (observers.length === 0) {
      // nobody watching (the explorer's steps): no call record, no result copy
      const c = this.config;
      const step = body({ s: this.state, personality: c.personality, protectedSymlinks: c.protectedSymlinks, protectedRegular: c.protectedRegular });
      if (step.next) this.state = step.next;
      return step.result;
    }
    const call: SyscallRecord = { syscall, creds, args };
    for (const o of observers) if (o('before', call) === 'abort') throw new SyscallAborted(call);
    const step = body({ ...this.config, s: this.state });
    if (step.next) this.state = step.next;
    const r = step.result;
    const result = r.ok ? ({ ok: true } as const) : ({ ok: false, errno: r.error.errno } as const);
    for (const o of observers) o('after', { ...call, result });
    return r;
  }

  mkdir(c: Creds, path: string, mode: number) { return this.run('mkdir', c, [path, mode], (x) => mkdir(x, c, path, mode)); }
  mkdirP(c: Creds, path: string, mode: number) { return this.run('mkdirP', c, [path, mode], (x) => mkdirP(x, c, path, mode)); }
  open(c: Creds, path: string, flags: OpenFlags, mode?: number) {
    const args = [path, openFlagsString(flags), ...(mode === undefined ? [] : [mode])];
    return this.run('open', c, args, (x) => open(x, c, path, flags, mode));
  }
  read(c: Creds, fd: number) { return this.run('read', c, [fd], (x) => read(x, c, fd)); }
  write(c: Creds, fd: number, data: string) { return this.run('write', c, [fd, data], (x) => write(x, c, fd, data)); }
  close(c: Creds, fd: number) { return this.run('close', c, [fd], (x) => close(x, c, fd)); }
  writeFile(c: Creds, path: string, data: string, mode?: number) {
    const args = [path, data, ...(mode === undefined ? [] : [mode])];
    return this.run('writeFile', c, args, (x) => writeFile(x, c, path, data, mode));
  }
  readFile(c: Creds, path: string) { return this.run('readFile', c, [path], (x) => readFile(x, c, path)); }
  unlink(c: Creds, path: string) { return this.run('unlink', c, [path], (x) => unlink(x, c, path)); }
  rmdir(c: Creds, path: string) { return this.run('rmdir', c, [path], (x) => rmdir(x, c, path)); }
  rename(c: Creds, from: string, to: string) { return this.run('rename', c, [from, to], (x) => rename(x, c, from, to)); }
  symlink(c: Creds, target: string, linkPath: string) {
    return this.run('symlink', c, [target, linkPath], (x) => symlink(x, c, target, linkPath));
  }
  readlink(c: Creds, path: string) { return this.run('readlink', c, [path], (x) => readlink(x, c, path)); }
  stat(c: Creds, path: string): FsResult<Stat> { return this.run('stat', c, [path], (x) => stat(x, c, path)); }
  lstat(c: Creds, path: string): FsResult<Stat> { return this.run('lstat', c, [path], (x) => lstat(x, c, path)); }
  readdir(c: Creds, path: string) { return this.run('readdir', c, [path], (x) => readdir(x, c, path)); }
  chmod(c: Creds, path: string, mode: number) { return this.run('chmod', c, [path, mode], (x) => chmod(x, c, path, mode)); }
  chown(c: Creds, path: string, uid: number, gid: number) {
    return this.run('chown', c, [path, uid, gid], (x) => chown(x, c, path, uid, gid));
  }
  lchown(c: Creds, path: string, uid: number, gid: number) {
    return this.run('lchown', c, [path, uid, gid], (x) => lchown(x, c, path, uid, gid));
  }
  utimes(c: Creds, path: string, atime: number, mtime: number) {
    return this.run('utimes', c, [path, atime, mtime], (x) => utimes(x, c, path, atime, mtime));
  }

  tree(root = '/'): TreeEntry[] { return tree(this.state, root); }
  has(path: string): boolean { return has(this.state, path); }
  /** O(1): the state is immutable, so a snapshot is a reference to it. */
  snapshot(): FsSnapshot { return Object.freeze({ __brand: 'FsSnapshot', state: this.state } as Box); }
  restore(s: FsSnapshot): void {
    const state = (s as Partial<Box>).state;
    if (!state) throw new Error('model bug: restore() of an object that snapshot() did not return');
    this.state = state;
  }
  hash(): string { return hash(this.state); }
  changedSince(before: FsSnapshot, roots: readonly string[]): string[] {
    const then = (before as Partial<Box>).state;
    if (!then) throw new Error('model bug: changedSince() of an object that snapshot() did not return');
    const out = new Set<string>();
    for (const root of roots) changedUnder(then, this.state, root, out);
    return [...out].sort();
  }
  observe(o: SyscallObserver): () => void {
    this.observers = [...this.observers, o];
    return () => { this.observers = this.observers.filter((x) => x !== o); };
  }
  /**
   * A memfs Volume holding a copy of the current tree, for code that wants the Node fs API to inspect a
   * state. Reads through it run memfs's own checks (not POSIX, against the real process uid), so it is
   * a view, never an authority.
   */
  toVolume(): ReturnType<typeof toVolume> { return toVolume(this.state); }
}

/** `O_WRONLY|O_CREAT|O_EXCL` as strace prints it, for observers and traces. */
export function openFlagsString(f: OpenFlags): string {
  const access = { r: 'O_RDONLY', w: 'O_WRONLY', rw: 'O_RDWR' }[f.access];
  const extra: [boolean | undefined, string][] = [
    [f.creat, 'O_CREAT'], [f.excl, 'O_EXCL'], [f.trunc, 'O_TRUNC'], [f.append, 'O_APPEND'],
    [f.nofollow, 'O_NOFOLLOW'], [f.directory, 'O_DIRECTORY'],
  ];
  return [access, ...extra.filter(([on]) => on === true).map(([, name]) => name)].join('|');
}

export function createKernel(opts: KernelOptions = {}): Kernel {
  return new Kernel(opts);
}
