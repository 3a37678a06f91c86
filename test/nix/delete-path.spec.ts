import { describe, expect, it } from 'vitest';
import type { FsKernel } from '../../model/fs/index.js';
import { createKernel, creds, ROOT } from '../../model/fs/index.js';
import type { DeleteProgress } from '../../model/nix/delete-path.js';
import { deletePathStep, startDelete } from '../../model/nix/delete-path.js';
import type { DeleteJob } from '../../model/nix/index.js';

function kernel(): FsKernel {
  const fs = createKernel();
  fs.mkdir(ROOT, '/s', 0o755);
  return fs;
}

/** Runs a job step by step; `between` runs after every step that leaves the job unfinished. */
function drive(fs: FsKernel, c: ReturnType<typeof creds>, job: DeleteJob, between: (n: number) => void = () => undefined): { steps: number; last: DeleteProgress } {
  let j = job;
  for (let n = 1; n < 100; n++) {
    const p = deletePathStep(fs, c, j);
    if (p.kind === 'finished') return { steps: n, last: p };
    between(n);
    j = p.job;
  }
  throw new Error('deletion did not finish');
}

describe('_deletePath, one syscall per step (libutil/unix/file-system.cc l.134-227)', () => {
  it('ends with the rmdir of its root: the step that removes the root is the last', () => {
    const fs = kernel();
    fs.mkdir(ROOT, '/s/d', 0o755);
    fs.writeFile(ROOT, '/s/d/f', 'x', 0o644);
    const { steps, last } = drive(fs, ROOT, startDelete('/s/d'));
    expect(steps).toBe(2); // unlink f, rmdir d
    expect(last).toEqual({ kind: 'finished' });
    expect(fs.lstat(ROOT, '/s/d').ok).toBe(false);
  });

  it('leaves alone a path re-created at its root after it removed it (it removes what it walked and returns)', () => {
    const fs = kernel();
    fs.mkdir(ROOT, '/s/d', 0o755);
    fs.writeFile(ROOT, '/s/d/f', 'x', 0o644);
    // a rebuild re-creates the path right after the step that removed it
    let job: DeleteJob = startDelete('/s/d');
    for (let rebuilt = false; ; ) {
      const p = deletePathStep(fs, ROOT, job);
      if (!rebuilt && !fs.lstat(ROOT, '/s/d').ok) {
        fs.mkdir(ROOT, '/s/d', 0o755);
        fs.writeFile(ROOT, '/s/d/new', 'rebuilt', 0o644);
        rebuilt = true;
      }
      if (p.kind === 'finished') break;
      job = p.job;
    }
    expect(fs.readFile(ROOT, '/s/d/new')).toEqual({ ok: true, value: 'rebuilt' });
  });

  it('does not descend into an entry added to a directory after it listed it: the rmdir fails ENOTEMPTY and that is the error', () => {
    const fs = kernel();
    fs.mkdir(ROOT, '/s/d', 0o755);
    fs.writeFile(ROOT, '/s/d/a', 'x', 0o644);
    fs.writeFile(ROOT, '/s/d/b', 'x', 0o644);
    const { last } = drive(fs, ROOT, startDelete('/s/d'), (n) => {
      if (n === 1) fs.writeFile(ROOT, '/s/d/late', 'x', 0o644);
    });
    expect(last.kind === 'finished' && last.error?.errno).toBe('ENOTEMPTY');
    expect(fs.lstat(ROOT, '/s/d/late').ok).toBe(true);
  });

  it('a failed chmod throws at once and wins over an unlink error remembered before it', () => {
    // as uid 1000: x/a cannot be unlinked (x is 2000's, 0755): EACCES, remembered, the walk goes on;
    // y (2000's, 0500) cannot be made u+rwx: EPERM, thrown at once (l.186-193), which is what deletePath reports
    const fs = kernel();
    const u = creds(1000, 100, [100], 0o022);
    fs.mkdir(ROOT, '/s/w', 0o755);
    fs.chown(ROOT, '/s/w', 1000, 100);
    for (const [dir, mode] of [['x', 0o755], ['y', 0o755]] as const) {
      fs.mkdir(ROOT, `/s/w/${dir}`, 0o755);
      fs.writeFile(ROOT, `/s/w/${dir}/f`, 'x', 0o644);
      fs.chown(ROOT, `/s/w/${dir}/f`, 2000, 100);
      fs.chown(ROOT, `/s/w/${dir}`, 2000, 100);
      fs.chmod(ROOT, `/s/w/${dir}`, mode);
    }
    fs.chmod(ROOT, '/s/w/y', 0o500);
    const { last } = drive(fs, u, startDelete('/s/w'));
    expect(last.kind === 'finished' && last.error).toMatchObject({ errno: 'EPERM', syscall: 'chmod', path: '/s/w/y' });
  });

  it('keeps going after a failed unlink and reports the first failure at the end', () => {
    const fs = kernel();
    const u = creds(1000, 100, [100], 0o022);
    fs.mkdir(ROOT, '/s/w', 0o755);
    fs.chown(ROOT, '/s/w', 1000, 100);
    fs.mkdir(ROOT, '/s/w/x', 0o755);
    fs.writeFile(ROOT, '/s/w/x/f', 'x', 0o644);
    fs.chown(ROOT, '/s/w/x', 2000, 100);
    fs.writeFile(u, '/s/w/z', 'mine', 0o644);
    const { last } = drive(fs, u, startDelete('/s/w'));
    expect(last.kind === 'finished' && last.error).toMatchObject({ errno: 'EACCES', syscall: 'unlink', path: '/s/w/x/f' });
    expect(fs.lstat(ROOT, '/s/w/z').ok).toBe(false);
  });
});
