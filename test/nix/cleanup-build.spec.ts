/**
 * What is left once a build ends (derivation-builder.cc cleanupBuild, ~PathLocks), and what the
 * variants change at that point and in the commands that follow.
 */
import { describe, expect, it } from 'vitest';
import type { Run } from '../../model/nix/index.js';
import { STORE_DIR } from '../../model/nix/index.js';
import { darwinDaemonCrash, duplicateCaOutput, seed487 } from '../../sim/scenarios/builtin.js';
import { build, outcome, run, scratchOf, traceOf } from './helpers.js';

const BUILD_DIR = '/nix/var/nix/builds';

function entries(r: Run, dir: string): string[] {
  const l = r.world.ctx.fs.readdir(r.world.ctx.daemon, dir);
  return l.ok ? l.value : [];
}

/** The tree right after `actor`'s last step. */
function afterLastStepOf(r: Run, actor: string): readonly { path: string; mode: number }[] {
  const i = r.steps.map((s) => s.event.actor).lastIndexOf(actor);
  return r.steps[i]?.after ?? [];
}

describe('cleanupBuild: the build directory', () => {
  it('should remove every build directory, of the failed, interrupted and successful builds alike', () => {
    const r = run(seed487);
    const t = traceOf(r);
    expect([outcome(r, 'a1'), outcome(r, 'a2'), outcome(r, 'a3')], t).toEqual(['interrupted', 'failure', 'success']);
    expect(r.steps.filter((s) => s.event.type === 'createTempDir'), t).toHaveLength(3);
    expect(entries(r, BUILD_DIR), t).toEqual([]);
  });

  it('should keep a failed build\'s directory, made readable, under keep-failed, and still remove a successful one\'s', () => {
    const r = run({ ...seed487, settings: { ...seed487.settings, keepFailed: true } });
    const t = traceOf(r);
    const kept = [build(r, 'a1').tmpDir, build(r, 'a2').tmpDir];
    expect(entries(r, BUILD_DIR).map((n) => `${BUILD_DIR}/${n}`).sort(), t).toEqual([...kept].sort());
    for (const dir of kept) {
      const st = r.world.ctx.fs.lstat(r.world.ctx.daemon, dir ?? '');
      expect(st.ok && st.value.mode, t).toBe(0o755);
    }
    expect(kept, t).not.toContain(build(r, 'a3').tmpDir);
  });

  it('should delete the lock file of a successful build and keep an interrupted one\'s', () => {
    const r = run(seed487);
    const locks = entries(r, STORE_DIR).filter((n) => n.endsWith('.lock'));
    expect(locks, traceOf(r)).toEqual([]);
    const interrupted = run({ ...seed487, actors: seed487.actors.filter((a) => a.id === 'a1') });
    expect(entries(interrupted, STORE_DIR).filter((n) => n.endsWith('.lock')), traceOf(interrupted)).toHaveLength(1);
  });
});

describe('cleanup-deletes-scratch (patches/not-in-series/0004)', () => {
  it('should delete the unregistered scratch output when the goal is interrupted, so the retry as another user succeeds', () => {
    const r = run(seed487, 'cleanup-deletes-scratch');
    const t = traceOf(r);
    const scratch = scratchOf(r, 'godyn');
    expect(outcome(r, 'a1'), t).toBe('interrupted');
    expect(afterLastStepOf(r, 'a1').some((e) => e.path === scratch), t).toBe(false);
    expect(build(r, 'a2').uid, t).toBe(30002);
    expect(outcome(r, 'a2'), t).toBe('success');
  });

  it('should leave the scratch output of upstream in place after the same interrupt', () => {
    const r = run(seed487);
    expect(afterLastStepOf(r, 'a1').some((e) => e.path === scratchOf(r, 'godyn')), traceOf(r)).toBe(true);
  });

  it('should leave a successful build\'s scratch copy alone (Nix 2.8 keeps it when the output was already valid)', () => {
    const on28 = { ...duplicateCaOutput, settings: { ...duplicateCaOutput.settings, nixVersion: '2.8' as const }, actors: duplicateCaOutput.actors.slice(0, 2) };
    const r = run(on28, 'cleanup-deletes-scratch');
    const t = traceOf(r);
    expect([outcome(r, 'b1'), outcome(r, 'b2')], t).toEqual(['success', 'success']);
    expect(afterLastStepOf(r, 'b2').some((e) => e.path === scratchOf(r, 'e2')), t).toBe(true);
  });

  it('should not run on a crash, which runs no cleanup at all', () => {
    const r = run(darwinDaemonCrash, 'cleanup-deletes-scratch');
    expect(outcome(r, 'a1'), traceOf(r)).toBe('crashed');
    expect(afterLastStepOf(r, 'a1').some((e) => e.path === scratchOf(r, 'godyn')), traceOf(r)).toBe(true);
  });
});

describe('store-delete-explains (patches/0003)', () => {
  const output = (r: Run): string => {
    const del = r.world.state.actors.find((a) => a.id === 'delete');
    return del?.kind === 'storeDelete' ? (del.result?.output ?? []).join('\n') : '';
  };

  it('should say what happens to an argument that is not valid (and leave printMissing\'s line to print-missing-built-only)', () => {
    const r = run(seed487, 'store-delete-explains');
    const scratch = scratchOf(r, 'godyn');
    expect(output(r), traceOf(r)).toContain(`path '${scratch}' is not valid; it will be removed if present and not in use`);
    expect(output(r), traceOf(r)).toMatch(/don't know how to build/);
    const both = run(seed487, 'store-delete-explains+print-missing-built-only');
    expect(output(both), traceOf(both)).toContain(`path '${scratch}' is not valid`);
    expect(output(both), traceOf(both)).not.toMatch(/don't know how to build/);
  });

  it('should print upstream\'s misleading line without the patch', () => {
    const r = run(seed487);
    expect(output(r), traceOf(r)).toContain(`don't know how to build these paths:\n  ${scratchOf(r, 'godyn')}`);
    expect(output(r), traceOf(r)).not.toMatch(/is not valid; it will be removed/);
  });
});
