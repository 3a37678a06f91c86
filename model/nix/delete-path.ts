/**
 * Nix: libutil/unix/file-system.cc _deletePath @2.34.8 (l.134-227), one mutating syscall per step.
 * The walk is explicit: a stack of what the recursion has still to do. Each entry is visited once
 * (checkInterrupt, lstat without following, unlink or make u+rwx and list), and a directory is
 * removed right after its last entry, so the deletion ends with its last rmdir and never touches a
 * path created at the root after that. A failed unlink/rmdir is remembered and the walk goes on;
 * a failed lstat, chmod or listing throws at once and wins over a remembered error, as upstream.
 */
import type { Creds, FsError, FsKernel } from '../fs/index.js';
import type { DeleteJob, DeleteTask } from './types.js';

export type DeleteProgress =
  | { readonly kind: 'stepped'; readonly job: DeleteJob }
  | { readonly kind: 'finished'; readonly error?: FsError };

const PERM_MASK = 0o700;

export function startDelete(root: string, followTop = false): DeleteJob {
  const todo: readonly DeleteTask[] = [{ kind: 'visit', path: root }];
  return followTop ? { root, todo, followTop } : { root, todo };
}

/**
 * Whether upstream passes a checkInterrupt() before the job's next syscall: on entering an entry
 * (file-system.cc l.140) and before each directory entry, "." first (l.204). Not before the rmdir that follows a
 * directory's last entry: the readdir loop ends without one.
 */
export function atInterruptPoint(job: DeleteJob): boolean {
  return job.todo[0]?.kind !== 'rmdir';
}

/** Where a symlink at `path` points (the planted bug follows it; upstream never does). */
function resolveTop(fs: FsKernel, c: Creds, path: string): string {
  const l = fs.readlink(c, path);
  if (!l.ok) return path;
  return l.value.startsWith('/') ? l.value : `${path.slice(0, path.lastIndexOf('/'))}/${l.value}`;
}

type Outcome =
  | { readonly kind: 'continue'; readonly todo: readonly DeleteTask[] }
  | { readonly kind: 'mutated'; readonly todo: readonly DeleteTask[]; readonly error?: FsError }
  | { readonly kind: 'thrown'; readonly error: FsError };

/** One task of the walk: what it does, and what is left to do after it. */
function perform(fs: FsKernel, c: Creds, job: DeleteJob, task: DeleteTask, rest: readonly DeleteTask[]): Outcome {
  switch (task.kind) {
    case 'visit': {
      const path = job.followTop && task.path === job.root ? resolveTop(fs, c, task.path) : task.path;
      const st = fs.lstat(c, path);
      if (!st.ok) return st.error.errno === 'ENOENT' ? { kind: 'continue', todo: rest } : { kind: 'thrown', error: st.error };
      if (st.value.kind !== 'dir') return remove(fs.unlink(c, path), rest);
      if ((st.value.mode & PERM_MASK) === PERM_MASK) return { kind: 'continue', todo: [{ kind: 'list', path }, ...rest] };
      // "while making directory accessible for deletion": thrown at once (file-system.cc l.186-193)
      const r = fs.chmod(c, path, st.value.mode | PERM_MASK);
      return r.ok ? { kind: 'mutated', todo: [{ kind: 'list', path }, ...rest] } : { kind: 'thrown', error: r.error };
    }
    case 'list': {
      const entries = fs.readdir(c, task.path);
      if (!entries.ok) return { kind: 'thrown', error: entries.error };
      const visits = entries.value.map((name): DeleteTask => ({ kind: 'visit', path: `${task.path}/${name}` }));
      return { kind: 'continue', todo: [...visits, { kind: 'rmdir', path: task.path }, ...rest] };
    }
    case 'rmdir':
      return remove(fs.rmdir(c, task.path), rest);
  }
}

/** unlinkat (file-system.cc l.215-226): ENOENT is success; any other error is kept (the first one) and the walk goes on. */
function remove(r: { readonly ok: true } | { readonly ok: false; readonly error: FsError }, rest: readonly DeleteTask[]): Outcome {
  if (r.ok || r.error.errno === 'ENOENT') return { kind: 'mutated', todo: rest };
  return { kind: 'mutated', todo: rest, error: r.error };
}

/** Performs the job's tasks as `c` up to and including its next mutating syscall. */
export function deletePathStep(fs: FsKernel, c: Creds, job: DeleteJob): DeleteProgress {
  let todo = job.todo;
  for (;;) {
    const [task, ...rest] = todo;
    if (task === undefined) return job.firstError ? { kind: 'finished', error: job.firstError } : { kind: 'finished' };
    const o = perform(fs, c, job, task, rest);
    if (o.kind === 'thrown') return { kind: 'finished', error: o.error };
    todo = o.todo;
    if (o.kind === 'continue') continue;
    const firstError = job.firstError ?? o.error;
    if (todo.length === 0) return firstError ? { kind: 'finished', error: firstError } : { kind: 'finished' };
    return { kind: 'stepped', job: { ...job, todo, ...(firstError ? { firstError } : {}) } };
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
