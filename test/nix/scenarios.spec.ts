import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { narText } from '../../model/nix/index.js';
import { cleanContent } from '../../model/verify/index.js';
import {
  concurrentGc,
  concurrentSameDrv,
  gcDuringRegistration,
  darwinDaemonCrash,
  iaTwin,
  interruptDuringRegistration,
  linuxSandbox,
  sameUserRetry,
  seed487,
  singleUser,
} from '../../sim/scenarios/builtin.js';
import { build, outcome, run, scratchOf, traceOf } from './helpers.js';

describe('seed-487: the reported wedge', () => {
  // each test runs the scenario itself, so mutation testing's per-test coverage sees which test ran what
  const seed = () => {
    const r = run(seed487);
    return { r, t: traceOf(r), fs: r.world.ctx.fs };
  };

  it('strands a build-user-owned directory at the scratch path after the interrupt', () => {
    const { r, t } = seed();
    expect(outcome(r, 'a1'), t).toBe('interrupted');
    expect(build(r, 'a1').uid, t).toBe(30001);
  });

  it('retries as another build user, whose mkdir -p succeeds and whose writes fail EACCES', () => {
    const { r, t } = seed();
    const a2 = build(r, 'a2');
    expect(a2.uid, t).toBe(30002);
    expect(a2.scratch, t).toBe(build(r, 'a1').scratch);
    expect(a2.calls.map((c) => (c.ok ? 'ok' : c.errno)), t).toEqual(['ok', 'EACCES', 'EACCES']);
    expect(outcome(r, 'a2'), t).toBe('failure');
    const p = a2.phase;
    expect(p.kind === 'done' && 'message' in p.outcome ? p.outcome.message : '', t).toMatch(/failed with exit code 2/);
  });

  it('path-info says invalid; nix store delete prints the misleading line and removes the directory', () => {
    const { r, t } = seed();
    const info = r.world.state.actors.find((a) => a.id === 'info');
    const del = r.world.state.actors.find((a) => a.id === 'delete');
    expect(info?.kind === 'pathInfo' && info.result?.exitOk, t).toBe(false);
    expect(del?.kind === 'storeDelete' && del.result?.output.join('\n'), t).toMatch(/don't know how to build these paths/);
    expect(del?.kind === 'storeDelete' && del.result?.removed, t).toBe(true);
  });

  it('the retry after the delete succeeds with a clean output', () => {
    const { r, t, fs } = seed();
    expect(outcome(r, 'a3'), t).toBe('success');
    const p = build(r, 'a3').phase;
    const path = p.kind === 'done' && p.outcome.kind === 'success' ? p.outcome.path : '';
    expect(narText(fs, path), t).toBe(cleanContent(r.world, 'godyn'));
  });

  it('heals under prepare-deletes-stale-scratch: the retry as another user succeeds', () => {
    const fixed = run(seed487, 'prepare-deletes-stale-scratch');
    expect(outcome(fixed, 'a2'), traceOf(fixed)).toBe('success');
  });
});

describe('relatives of the wedge', () => {
  it('input-addressed twin is immune: "removing invalid path" before the retry', () => {
    const r = run(iaTwin);
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
    expect(r.steps.some((s) => s.note.includes('removing invalid path')), traceOf(r)).toBe(true);
  });

  it('linux with sandbox is immune: the chroot is deleted before and after', () => {
    const r = run(linuxSandbox);
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
    expect(r.world.ctx.fs.lstat(r.world.ctx.daemon, scratchOf(r, 'godyn')).ok).toBe(false);
  });

  it('same-user retry succeeds but registers the stale file of the interrupted attempt', () => {
    const r = run(sameUserRetry);
    const t = traceOf(r);
    expect(build(r, 'a2').uid, t).toBe(build(r, 'a1').uid);
    expect(outcome(r, 'a2'), t).toBe('success');
    const p = build(r, 'a2').phase;
    const path = p.kind === 'done' && p.outcome.kind === 'success' ? p.outcome.path : '';
    expect(narText(r.world.ctx.fs, path), t).toContain('stale');
    expect(narText(r.world.ctx.fs, path), t).not.toBe(cleanContent(r.world, 'godyn'));
  });

  it('single-user (no build users) leaks the same stale file', () => {
    const r = run(singleUser);
    expect(build(r, 'a2').uid).toBe(0);
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
    const p = build(r, 'a2').phase;
    const path = p.kind === 'done' && p.outcome.kind === 'success' ? p.outcome.path : '';
    expect(narText(r.world.ctx.fs, path), traceOf(r)).toContain('stale');
  });

  it('interrupt during registration leaves a root-owned 0555 top dir; the retry fails EACCES as the same user', () => {
    const r = run(interruptDuringRegistration);
    const t = traceOf(r);
    const st = r.world.ctx.fs.lstat(r.world.ctx.daemon, scratchOf(r, 'godyn'));
    expect(st.ok && st.value.uid, t).toBe(0);
    expect(st.ok && st.value.mode, t).toBe(0o555);
    expect(build(r, 'a2').uid, t).toBe(build(r, 'a1').uid);
    expect(build(r, 'a2').calls.some((c) => c.errno === 'EACCES'), t).toBe(true);
    expect(outcome(r, 'a2'), t).toBe('failure');
  });

  it('concurrent GC deletes the in-progress output (no temp root on the scratch path)', () => {
    const r = run(concurrentGc);
    const t = traceOf(r);
    const gc = r.world.state.actors.find((a) => a.id === 'gc');
    expect(gc?.kind === 'gc' && gc.deleted, t).toContain(scratchOf(r, 'godyn'));
    expect(outcome(r, 'a1'), t).toBe('failure');
    const fixed = run(concurrentGc, 'temp-root-scratch');
    expect(outcome(fixed, 'a1'), traceOf(fixed)).toBe('success');
  });

  it('GC between the move to the final CA path and its registration deletes it; temp-root-final-path prevents it', () => {
    const r = run(gcDuringRegistration);
    const t = traceOf(r);
    const p = build(r, 'a1').phase;
    const path = p.kind === 'done' && p.outcome.kind === 'success' ? p.outcome.path : '';
    expect(path, t).not.toBe('');
    expect(r.world.state.valid[path], t).toBeDefined();
    expect(r.world.ctx.fs.lstat(r.world.ctx.daemon, path).ok, t).toBe(false);
    const fixed = run(gcDuringRegistration, 'temp-root-final-path');
    const q = build(fixed, 'a1').phase;
    const kept = q.kind === 'done' && q.outcome.kind === 'success' ? q.outcome.path : '';
    expect(fixed.world.ctx.fs.lstat(fixed.world.ctx.daemon, kept).ok, traceOf(fixed)).toBe(true);
  });

  it('a concurrent build of the same derivation waits for the output lock, then finds the output valid', () => {
    const r = run(concurrentSameDrv);
    const t = traceOf(r);
    expect(r.steps.some((s) => s.event.actor === 'a2' && s.event.type === 'start'), t).toBe(true);
    const a2 = build(r, 'a2');
    expect(a2.phase.kind === 'done' && a2.phase.outcome.kind === 'success' && a2.phase.outcome.skipped, t).toBe(true);
    expect(a2.calls, t).toEqual([]);
    expect(outcome(r, 'a1'), t).toBe('success');
  });

  it('darwin daemon crash: the builder keeps running as its uid while the retry starts, until prepareUser kills it', () => {
    const r = run(darwinDaemonCrash);
    const t = traceOf(r);
    expect(outcome(r, 'a1'), t).toBe('crashed');
    const crash = r.steps.findIndex((s) => s.event.type === 'crash');
    const start = r.steps.findIndex((s) => s.event.actor === 'a2' && s.event.type === 'start');
    expect(crash, t).toBeGreaterThanOrEqual(0);
    expect(start, t).toBeGreaterThan(crash);
    const take = r.steps.find((s) => s.event.actor === 'a2' && s.event.type === 'acquireUser');
    expect(take?.note, t).toMatch(/killed 1 stray process/);
    expect(build(r, 'a2').uid, t).toBe(build(r, 'a1').uid);
    expect(outcome(r, 'a2'), t).toBe('success');
    const linux = run({ ...darwinDaemonCrash, settings: { ...darwinDaemonCrash.settings, platform: 'linux' } });
    expect(linux.steps.some((s) => s.note.includes('keeps running')), traceOf(linux)).toBe(false);
  });
});

describe('nix store delete of an invalid path: the two message patches', () => {
  function deleteOutput(variant: string): string {
    const r = run(seed487, variant);
    const del = r.world.state.actors.find((a) => a.id === 'delete');
    return del?.kind === 'storeDelete' ? (del.result?.output.join('\n') ?? '') : '';
  }

  it('store-delete-explains adds a line saying what happens to the invalid argument; printMissing still speaks', () => {
    const out = deleteOutput('store-delete-explains');
    expect(out).toMatch(/path '\/nix\/store\/[^']+' is not valid; it will be removed if present and not in use/);
    expect(out).toMatch(/don't know how to build these paths/);
  });

  it('print-missing-built-only drops the "don\'t know how to build" line and adds none', () => {
    const out = deleteOutput('print-missing-built-only');
    expect(out).not.toMatch(/don't know how to build/);
    expect(out).not.toMatch(/is not valid/);
    expect(out).toMatch(/deleting '/);
  });

  it('store-delete-explains says nothing of a valid argument, which is deleted as a valid path', () => {
    const s: Scenario = {
      ...seed487,
      actors: [...seed487.actors, { id: 'delete-valid', kind: 'storeDelete', command: 'nix store delete', target: { drv: 'godyn', which: 'final' }, after: ['a3'] }],
    };
    const r = run(s, 'store-delete-explains');
    const del = r.world.state.actors.find((a) => a.id === 'delete-valid');
    const out = del?.kind === 'storeDelete' ? (del.result?.output.join('\n') ?? '') : '';
    expect(out, traceOf(r)).toMatch(/deleting '\/nix\/store\/[^']+'/);
    expect(out, traceOf(r)).not.toMatch(/is not valid/);
  });
});
