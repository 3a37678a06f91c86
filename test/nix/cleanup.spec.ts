import { describe, expect, it } from 'vitest';
import type { Scenario, World } from '../../model/nix/index.js';
import { apply, enabledEvents, isDone, NIXBLD_GID } from '../../model/nix/index.js';
import { seed487 } from '../../sim/scenarios/builtin.js';
import { buildIn as build, oneCaBuild as caBuild, runUntil, take, world } from './stepping.js';

describe('the final-path lock of a floating CA output (derivation-builder.cc l.1845-1851)', () => {
  it('is deleted when an interrupt unwinds registerOutputs after taking it (setDeletion(true); ~PathLocks -> deleteLockFile)', () => {
    const w = world(caBuild());
    runUntil(w, 'a1', (a) => a.finalLock !== undefined);
    const lock = build(w, 'a1').finalLock ?? '';
    expect(w.ctx.fs.lstat(w.ctx.daemon, lock).ok).toBe(true);
    take(w, { type: 'interrupt', actor: 'a1' });
    expect(w.ctx.fs.lstat(w.ctx.daemon, lock).ok).toBe(false);
    expect(w.state.locks[lock]).toBeUndefined();
    runUntil(w, 'a1', (a) => isDone(a));
    expect(w.ctx.fs.lstat(w.ctx.daemon, lock).ok).toBe(false);
  });

  it('is left behind by a daemon crash (no destructor runs; the kernel only drops the flock)', () => {
    const w = world(caBuild());
    runUntil(w, 'a1', (a) => a.finalLock !== undefined);
    const lock = build(w, 'a1').finalLock ?? '';
    take(w, { type: 'crash', actor: 'a1' });
    expect(w.ctx.fs.lstat(w.ctx.daemon, lock).ok).toBe(true);
    expect(w.state.locks[lock]).toBeUndefined();
  });
});

describe('cleanup-deletes-scratch, as its patch does it (else if (!settings.keepFailed), in cleanupBuild(false))', () => {
  const interrupted = (keepFailed: boolean): World => {
    const w = world(caBuild(keepFailed), 'cleanup-deletes-scratch');
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 2);
    take(w, { type: 'interrupt', actor: 'a1' });
    runUntil(w, 'a1', (a) => isDone(a));
    return w;
  };

  it('deletes the unregistered scratch output of an interrupted build', () => {
    const w = interrupted(false);
    expect(w.ctx.fs.lstat(w.ctx.daemon, build(w, 'a1').scratch ?? '').ok).toBe(false);
  });

  it('keeps it, with the build directory, under keep-failed', () => {
    const w = interrupted(true);
    const a = build(w, 'a1');
    expect(w.ctx.fs.lstat(w.ctx.daemon, a.scratch ?? '').ok).toBe(true);
    expect(w.ctx.fs.lstat(w.ctx.daemon, a.tmpDir ?? '').ok).toBe(true);
  });

  it('deletes the scratch output before it chmods the build directory (the patch runs first in cleanupBuild)', () => {
    const w = world(caBuild(), 'cleanup-deletes-scratch');
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 2);
    take(w, { type: 'interrupt', actor: 'a1' });
    const steps: string[] = [];
    for (let i = 0; i < 100 && !isDone(build(w, 'a1')); i++) {
      const e = enabledEvents(w.ctx, w.state).find((x) => x.actor === 'a1');
      if (!e) break;
      const r = apply(w, e);
      if (r.ok) for (const c of r.step.syscalls) steps.push(`${c.syscall} ${String(c.args[0])}`);
    }
    const a = build(w, 'a1');
    const scratchGone = steps.findIndex((x) => x === `rmdir ${a.scratch ?? ''}`);
    const tmpChmod = steps.findIndex((x) => x === `chmod ${a.tmpDir ?? ''}`);
    expect(scratchGone).toBeGreaterThanOrEqual(0);
    expect(tmpChmod).toBeGreaterThan(scratchGone);
  });

  it('seed-487 under keep-failed: the interrupted attempt\'s output is kept, so the retry as another user still wedges', () => {
    const s: Scenario = { ...seed487, settings: { ...seed487.settings, keepFailed: true } };
    const w = world(s, 'cleanup-deletes-scratch');
    for (let i = 0; i < 2000; i++) {
      const [e] = enabledEvents(w.ctx, w.state);
      if (!e) break;
      take(w, e);
    }
    expect(build(w, 'a1').phase.kind === 'done' && build(w, 'a1').phase).toMatchObject({ outcome: { kind: 'interrupted' } });
    expect(build(w, 'a2').phase).toMatchObject({ kind: 'done', outcome: { kind: 'failure' } });
  });
});

describe('canonicalisePathMetaData_ (posix-fs-canonicalise.cc l.44-123)', () => {
  it('lchowns only entries not owned by the daemon (l.111): on darwin the root-made rewrite copy keeps the store\'s group', () => {
    const s: Scenario = { ...caBuild(), settings: { ...caBuild().settings, platform: 'darwin' } };
    const w = world(s);
    runUntil(w, 'a1', (a) => isDone(a));
    const [path] = Object.keys(w.state.valid);
    const st = w.ctx.fs.lstat(w.ctx.daemon, path ?? '');
    // BSD semantics: restorePath's mkdir in /nix/store (root:nixbld) takes the directory's group
    expect(st.ok && [st.value.uid, st.value.gid]).toEqual([0, NIXBLD_GID]);
  });
});
