/** Building FsResult values; an expected errno is data, never an exception. */
import type { FsState } from './store.js';
import type { Errno, FsError, FsResult, Syscall } from './types.js';

export function ok<T>(value: T): FsResult<T> {
  return { ok: true, value };
}

export function fail<T>(errno: Errno, syscall: Syscall, path: string, dest?: string): FsResult<T> {
  const error: FsError = dest === undefined ? { errno, syscall, path } : { errno, syscall, path, dest };
  return { ok: false, error };
}

const ERRNOS: ReadonlySet<string> = new Set<Errno>([
  'EACCES', 'EPERM', 'EEXIST', 'ENOENT', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY', 'ELOOP', 'EINVAL', 'EXDEV', 'EBADF',
]);

/** Internal rule results are `T | Errno`; T is never a string, so this tells them apart. */
export function isErrno(x: unknown): x is Errno {
  return typeof x === 'string' && ERRNOS.has(x);
}

/**
 * What a syscall implementation returns: its result and, when it changed anything, the whole next
 * state. The kernel commits `next` in one assignment, so a refused call cannot leave partial effects.
 */
export interface Step<T> {
  readonly result: FsResult<T>;
  readonly next?: FsState;
}

export function done<T>(value: T, next?: FsState): Step<T> {
  return next === undefined ? { result: ok(value) } : { result: ok(value), next };
}

export function refuse<T>(errno: Errno, syscall: Syscall, path: string, dest?: string): Step<T> {
  return { result: fail(errno, syscall, path, dest) };
}
