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

/**
 * Internal rule results are `T | Errno`; T is never a string, so this tells them apart. A switch, not
 * a module-level Set: the test runner loads this module once, so a mutant of a table built at load
 * time would never be exercised.
 */
export function isErrno(x: unknown): x is Errno {
  switch (x) {
    case 'EACCES': case 'EPERM': case 'EEXIST': case 'ENOENT': case 'ENOTDIR': case 'EISDIR':
    case 'ENOTEMPTY': case 'ELOOP': case 'EINVAL': case 'EXDEV': case 'EBADF':
      return true;
    default:
      return false;
  }
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
  // Stryker disable next-line ConditionalExpression: `next: undefined` and no `next` read alike (the kernel tests `step.next`)
  return next === undefined ? { result: ok(value) } : { result: ok(value), next };
}

export function refuse<T>(errno: Errno, syscall: Syscall, path: string, dest?: string): Step<T> {
  return { result: fail(errno, syscall, path, dest) };
}
