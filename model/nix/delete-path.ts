/**
 * Nix: libutil/unix/file-system.cc _deletePath @2.34.8, one mutating syscall per step.
 * _deletePath calls checkInterrupt() on entry and before each directory entry, so an interrupt
 * can land between any two of these steps. It lstat()s without following symlinks, makes a
 * directory u+rwx before descending, keeps going after an unlink error and rethrows the first.
 */
import type { Creds, FsError, FsKernel } from '../fs/index.js';
import type { DeleteJob } from './types.js';

export type DeleteProgress =
  | { readonly kind: 'stepped'; readonly job: DeleteJob }
  | { readonly kind: 'finished'; readonly error?: FsError };

type Next =
  | { readonly kind: 'gone' }
  | { readonly kind: 'skipped' }
  | { readonly kind: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly kind: 'unlink' | 'rmdir'; readonly path: string }
  | { readonly kind: 'error'; readonly error: FsError };

const PERM_MASK = 0o700;

/** The next syscall _deletePath would make under `path`, found depth-first in readdir order. */
function nextAction(fs: FsKernel, c: Creds, path: string, failed: readonly string[]): Next {
  const st = fs.lstat(c, path);
  if (!st.ok) return st.error.errno === 'ENOENT' ? { kind: 'gone' } : { kind: 'error', error: st.error };
  if (failed.includes(path)) return { kind: 'skipped' };
  if (st.value.kind !== 'dir') return { kind: 'unlink', path };
  if ((st.value.mode & PERM_MASK) !== PERM_MASK) return { kind: 'chmod', path, mode: st.value.mode | PERM_MASK };
  const entries = fs.readdir(c, path);
  if (!entries.ok) return { kind: 'error', error: entries.error };
  for (const name of entries.value) {
    const n = nextAction(fs, c, `${path}/${name}`, failed);
    if (n.kind !== 'gone' && n.kind !== 'skipped') return n;
  }
  return { kind: 'rmdir', path };
}

export function startDelete(root: string, followTop = false): DeleteJob {
  return followTop ? { root, failed: [], followTop } : { root, failed: [] };
}

/** Where a symlink at `path` points (the planted bug follows it; upstream never does). */
function resolveTop(fs: FsKernel, c: Creds, path: string): string {
  const l = fs.readlink(c, path);
  if (!l.ok) return path;
  return l.value.startsWith('/') ? l.value : `${path.slice(0, path.lastIndexOf('/'))}/${l.value}`;
}

/** Performs the next step of `job` as `c`. A failed unlink/rmdir is remembered and skipped, as upstream. */
export function deletePathStep(fs: FsKernel, c: Creds, job: DeleteJob): DeleteProgress {
  const n = nextAction(fs, c, job.followTop ? resolveTop(fs, c, job.root) : job.root, job.failed);
  const finish = (): DeleteProgress => (job.firstError ? { kind: 'finished', error: job.firstError } : { kind: 'finished' });
  switch (n.kind) {
    case 'gone':
    case 'skipped':
      return finish();
    case 'error':
      return { kind: 'finished', error: job.firstError ?? n.error };
    case 'chmod': {
      const r = fs.chmod(c, n.path, n.mode);
      // upstream throws at once when it cannot make a directory accessible
      if (!r.ok) return { kind: 'finished', error: job.firstError ?? r.error };
      return { kind: 'stepped', job };
    }
    case 'unlink':
    case 'rmdir': {
      const r = n.kind === 'unlink' ? fs.unlink(c, n.path) : fs.rmdir(c, n.path);
      if (r.ok || r.error.errno === 'ENOENT') return { kind: 'stepped', job };
      return { kind: 'stepped', job: { ...job, failed: [...job.failed, n.path], firstError: job.firstError ?? r.error } };
    }
  }
}

/** Runs a whole deletion at once (for steps upstream cannot interrupt, e.g. cleanup while unwinding). */
export function deletePathAll(fs: FsKernel, c: Creds, root: string): FsError | undefined {
  let job = startDelete(root);
  for (;;) {
    const p = deletePathStep(fs, c, job);
    if (p.kind === 'finished') return p.error;
    job = p.job;
  }
}
