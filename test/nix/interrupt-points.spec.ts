import { describe, expect, it } from 'vitest';
import { drvOf, isDone } from '../../model/nix/index.js';
import { buildIn, faultsFor, oneCaBuild, runUntil, take, world } from './stepping.js';

const registering = (kind: string, job: boolean) => (a: ReturnType<typeof buildIn>): boolean =>
  a.phase.kind === 'registering' && a.phase.step.kind === kind && (a.job !== undefined) === job;

describe('interrupts land only at upstream check points (checkInterrupt); crashes anywhere', () => {
  it('not between movePath(actualPath, destPath) and registerValidPaths (derivation-builder.cc l.1870-1948)', () => {
    const w = world(oneCaBuild());
    runUntil(w, 'a1', registering('register', false));
    expect(faultsFor(w, 'a1')).toEqual(['crash']);
  });

  it('not between deletePath(actualPath) and movePath(tmpPath, actualPath) of the hash rewrite (l.1644-1645)', () => {
    const w = world(oneCaBuild());
    runUntil(w, 'a1', registering('rewriteMove', false));
    expect(faultsFor(w, 'a1')).toEqual(['crash']);
  });

  it('but at the entry of that deletePath (_deletePath l.140), before anything is deleted', () => {
    const w = world(oneCaBuild());
    runUntil(w, 'a1', registering('rewriteMove', true));
    expect(faultsFor(w, 'a1')).toEqual(['interrupt', 'crash']);
  });

  it('not between createTempDir and chownToBuilder, nor before the scratch-path loop (startBuild l.760-825)', () => {
    const w = world(oneCaBuild());
    runUntil(w, 'a1', (a) => a.phase.kind === 'chownToBuilder');
    expect(faultsFor(w, 'a1')).toEqual(['crash']);
    take(w, { type: 'chownToBuilder', actor: 'a1' });
    expect(faultsFor(w, 'a1')).toEqual(['crash']);
  });

  it('not before the rmdir that follows a directory\'s last entry (the readdir loop ends without one, l.203-215)', () => {
    // an input-addressed build finds an invalid leftover at its output path: "removing invalid path"
    const w = world({
      ...oneCaBuild(),
      derivations: [{ id: 'ia', name: 'ia', kind: 'input-addressed', program: [{ op: 'mkdirP', path: '' }] }],
      initial: [{ at: { drv: 'ia', which: 'final' }, owner: 'builder1', mode: '755', files: { a: 'x', b: 'y' } }],
      actors: [{ id: 'a1', kind: 'build', drv: 'ia' }],
    });
    const stops: boolean[] = [];
    runUntil(w, 'a1', (a) => {
      if (a.phase.kind === 'deleteInvalidOutputs' && a.job) stops.push(faultsFor(w, 'a1').includes('interrupt'));
      return a.phase.kind === 'acquireUser';
    });
    // entering the dir (with the unlink of a), before b, yes; before the rmdir of the emptied dir, no
    expect(stops).toEqual([true, true, false]);
  });

  it('during the deletePath of cleanupBuild(true) on success: unprepareBuild runs it, not a destructor', () => {
    const w = world(oneCaBuild());
    runUntil(w, 'a1', (a) => a.phase.kind === 'cleanup' && a.job !== undefined);
    expect(faultsFor(w, 'a1')).toContain('interrupt');
    take(w, { type: 'interrupt', actor: 'a1' });
    runUntil(w, 'a1', (a) => isDone(a));
    const a = buildIn(w, 'a1');
    expect(a.phase).toMatchObject({ kind: 'done', outcome: { kind: 'interrupted' } });
    // the output is registered; the goal's lock file stays (setDeletion(true) is never reached), the temp dir goes
    expect(Object.keys(w.state.valid)).toHaveLength(1);
    expect(w.ctx.fs.lstat(w.ctx.daemon, a.tmpDir ?? '').ok).toBe(false);
    expect(w.ctx.fs.lstat(w.ctx.daemon, drvOf(w.ctx, 'godyn').lockPath).ok).toBe(true);
  });

  it('never during the destructor\'s cleanup (no Interrupted while an exception is in flight)', () => {
    const w = world(oneCaBuild());
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 1);
    take(w, { type: 'interrupt', actor: 'a1' });
    runUntil(w, 'a1', (a) => {
      if (a.phase.kind === 'cleanup') expect(faultsFor(w, 'a1')).toEqual(['crash']);
      return isDone(a);
    });
  });
});
