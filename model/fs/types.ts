/**
 * The public contract of the filesystem kernel. The kernel is a POSIX model: it knows users,
 * groups, modes, the sticky bit and symlinks, and nothing about Nix.
 */

/** errno values the kernel can return, as Linux names them. */
export type Errno =
  | 'EACCES'
  | 'EPERM'
  | 'EEXIST'
  | 'ENOENT'
  | 'ENOTDIR'
  | 'EISDIR'
  | 'ENOTEMPTY'
  | 'ELOOP'
  | 'EINVAL'
  | 'EXDEV'
  | 'EBADF';

/** The syscalls the kernel models, named as in POSIX (`mkdirP` is coreutils `mkdir -p`). */
export type Syscall =
  | 'mkdir'
  | 'mkdirP'
  | 'open'
  | 'read'
  | 'write'
  | 'close'
  | 'writeFile'
  | 'readFile'
  | 'unlink'
  | 'rmdir'
  | 'rename'
  | 'symlink'
  | 'readlink'
  | 'stat'
  | 'lstat'
  | 'readdir'
  | 'chmod'
  | 'chown'
  | 'lchown'
  | 'utimes';

/** A failed syscall: errno, the call and the path it was made on (and the second path for rename/symlink). */
export interface FsError {
  readonly errno: Errno;
  readonly syscall: Syscall;
  readonly path: string;
  readonly dest?: string;
}

/** Every syscall returns a result; an expected errno is a value, never an exception. */
export type FsResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: FsError };

/**
 * The credentials and per-process state a syscall runs with: effective uid/gid (Linux fsuid/fsgid),
 * supplementary groups, the umask and the root directory. uid 0 holds every capability
 * (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN ...), as root does on a stock kernel.
 */
export interface Creds {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
  readonly umask: number;
  /**
   * The process's root directory after chroot(2), as a path from the real root; absent: `/`. Every
   * path, relative or absolute, and every absolute symlink body resolves from it, and `..` never
   * leaves it (Linux fs->root: set_root, follow_dotdot in fs/namei.c). Its ancestors are not searched.
   */
  readonly root?: string;
}

/** Which kernel's rules apply where Linux and Darwin differ (new-inode group, unlink of a directory). */
export type Personality = 'linux' | 'darwin';

export type FileKind = 'file' | 'dir' | 'symlink';

/** stat(2) as the model keeps it. `mode` holds the 12 permission bits (suid, sgid, sticky, rwx×3), not the type. */
export interface Stat {
  readonly kind: FileKind;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly size: number;
  readonly ino: number;
  readonly nlink: number;
  readonly mtime: number;
}

/** open(2) flags as a record: access mode plus the O_* flags the model supports. */
export interface OpenFlags {
  readonly access: 'r' | 'w' | 'rw';
  readonly creat?: boolean;
  readonly excl?: boolean;
  readonly trunc?: boolean;
  readonly append?: boolean;
  readonly nofollow?: boolean;
  readonly directory?: boolean;
}

/** One entry of a canonical tree listing: what `ls -lR` would show, sorted by path. */
export interface TreeEntry {
  readonly path: string;
  readonly kind: FileKind;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** File content, or the symlink target; absent for directories. */
  readonly content?: string;
}

/** A syscall as the observation seam sees it: who made it, on what, and (after) what it returned. */
export interface SyscallRecord {
  readonly syscall: Syscall;
  readonly creds: Creds;
  readonly args: readonly (string | number | boolean)[];
  readonly result?: { readonly ok: true } | { readonly ok: false; readonly errno: Errno };
}

/**
 * Called before and after every syscall. Returning 'abort' before a call stops the world there:
 * the call is not performed and the kernel throws {@link SyscallAborted}.
 */
export type SyscallObserver = (phase: 'before' | 'after', call: SyscallRecord) => 'abort' | undefined;

/** Thrown (not returned) when an observer aborts a syscall: a control-flow signal, not an errno. */
export class SyscallAborted extends Error {
  constructor(readonly call: SyscallRecord) {
    super(`syscall ${call.syscall} aborted by observer`);
    this.name = 'SyscallAborted';
  }
}

/** An opaque, immutable copy of the whole filesystem (tree, contents, metadata, open descriptors, clock). */
export interface FsSnapshot {
  readonly __brand: 'FsSnapshot';
}

/** The kernel: every syscall is made as someone. */
export interface FsKernel {
  readonly personality: Personality;

  mkdir(c: Creds, path: string, mode: number): FsResult<void>;
  /** coreutils `mkdir -p`: an existing directory (after following symlinks) is success even if the caller cannot write it. */
  mkdirP(c: Creds, path: string, mode: number): FsResult<void>;
  open(c: Creds, path: string, flags: OpenFlags, mode?: number): FsResult<number>;
  /** Reads from the descriptor's offset to the end of the file and advances the offset. */
  read(c: Creds, fd: number): FsResult<string>;
  write(c: Creds, fd: number, data: string): FsResult<number>;
  close(c: Creds, fd: number): FsResult<void>;
  /** open(O_WRONLY|O_CREAT|O_TRUNC, mode) + write + close, as `echo data > path` does. */
  writeFile(c: Creds, path: string, data: string, mode?: number): FsResult<void>;
  readFile(c: Creds, path: string): FsResult<string>;
  unlink(c: Creds, path: string): FsResult<void>;
  rmdir(c: Creds, path: string): FsResult<void>;
  rename(c: Creds, from: string, to: string): FsResult<void>;
  symlink(c: Creds, target: string, linkPath: string): FsResult<void>;
  readlink(c: Creds, path: string): FsResult<string>;
  stat(c: Creds, path: string): FsResult<Stat>;
  lstat(c: Creds, path: string): FsResult<Stat>;
  /** Entry names, sorted, without `.` and `..`. */
  readdir(c: Creds, path: string): FsResult<string[]>;
  chmod(c: Creds, path: string, mode: number): FsResult<void>;
  /** uid or gid -1 leaves that id unchanged, as chown(2). */
  chown(c: Creds, path: string, uid: number, gid: number): FsResult<void>;
  lchown(c: Creds, path: string, uid: number, gid: number): FsResult<void>;
  utimes(c: Creds, path: string, atime: number, mtime: number): FsResult<void>;

  /** Every entry under `root` (inclusive), sorted by path, read without permission checks. */
  tree(root?: string): TreeEntry[];
  /** Whether tree(path) lists anything, without listing it (invariants ask this of every valid path at every step). */
  has(path: string): boolean;
  snapshot(): FsSnapshot;
  restore(s: FsSnapshot): void;
  /**
   * The paths under `roots` (inclusive) whose tree() entry (kind, mode, owners, content) differs
   * between `before` and now, or that exist in one of them only: the diff of two tree() listings,
   * without building them. Sorted as strings compare.
   */
  changedSince(before: FsSnapshot, roots: readonly string[]): string[];
  /** A canonical hash of the tree (structure, kinds, modes, owners, contents, link targets; not inode numbers or times). */
  hash(): string;
  /** Installs an observer on the syscall seam; returns a function that removes it. */
  observe(o: SyscallObserver): () => void;
}
