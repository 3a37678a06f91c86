/**
 * The chroot of a Linux sandboxed build as chroot-derivation-builder.cc makes it: a 0700 parent the
 * builder never walks through, because its `/` is the chroot's root (enterChroot: pivot_root +
 * chroot). A co-tenant builder naming another build's scratch path reaches its own chroot's store.
 */
import { describe, expect, it } from 'vitest';
import type { ModelEvent, Scenario } from '../../model/nix/index.js';
import { apply, drvOf, enabledEvents, initialWorld, narText, parseVariant, realScratch, UPSTREAM } from '../../model/nix/index.js';
import type { TreeEntry } from '../../model/fs/index.js';
import { checkTransition, explore } from '../../model/verify/index.js';
import { hostilePlantSandbox, linuxSandbox } from '../../sim/scenarios/builtin.js';
import { build, outcome, run, scratchOf, traceOf } from './helpers.js';

const crashed: Scenario = {
  ...linuxSandbox,
  name: 'sandbox-crash',
  actors: [{ id: 'a1', kind: 'build', drv: 'godyn', fault: { kind: 'crash', before: 'builderAction', nth: 2 } }],
};

describe('the chroot as prepareSandbox makes it', () => {
  const r = run(crashed);
  const fs = r.world.ctx.fs;
  const d = drvOf(r.world.ctx, 'godyn');
  const mode = (p: string): string => {
    const st = fs.lstat(r.world.ctx.daemon, p);
    return st.ok ? `${st.value.mode.toString(8)} ${String(st.value.uid)}:${String(st.value.gid)}` : st.error.errno;
  };

  it('has a 0700 root-owned parent, a 0750 root:nixbld root and a 1775 root:nixbld store (l.70-119)', () => {
    const parent = `${d.drvPath}.chroot`;
    expect(mode(parent), traceOf(r)).toBe('700 0:0');
    expect(mode(`${parent}/root`)).toBe('750 0:30000');
    expect(mode(`${parent}/root/nix/store`)).toBe('1775 0:30000');
  });

  it('lets the builder create its $out through its own root: the output is in the chroot, owned by the build user', () => {
    const real = realScratch(r.world.ctx, d, scratchOf(r, 'godyn'));
    expect(real.startsWith(`${d.drvPath}.chroot/root/nix/store/`)).toBe(true);
    const st = fs.lstat(r.world.ctx.daemon, real);
    expect(st.ok && st.value.uid, traceOf(r)).toBe(build(r, 'a1').uid);
    expect(narText(fs, real)).toContain('pkg.a');
  });
});

describe('a co-tenant sandboxed builder', () => {
  it('plants in its own chroot, never in the victim’s: the victim builds clean in every interleaving', () => {
    const r = run(hostilePlantSandbox);
    const t = traceOf(r);
    const ctx = r.world.ctx;
    const evilRoot = `${drvOf(ctx, 'evil').drvPath}.chroot/root`;
    const plant = r.steps.find((s) => s.event.actor === 'evil' && s.note.includes('plant'));
    expect(plant?.syscalls.every((c) => c.creds.root === evilRoot), t).toBe(true);
    expect(outcome(r, 'a1'), t).toBe('success');
    const v = parseVariant('upstream');
    if (!v.ok) throw new Error('variant');
    const x = explore(hostilePlantSandbox, { variant: v.variant, faults: ['interrupt'], maxFaults: 0, maxDepth: 200, maxStates: 50_000 });
    expect(x.complete).toBe(true);
    expect(x.counterexamples.map((c) => `${c.invariant}: ${c.message}`)).toEqual([]);
  });
});

describe('InProgressOutputSafe for a sandboxed build', () => {
  it('is checked at the output inside the chroot', () => {
    const w = initialWorld(linuxSandbox, UPSTREAM);
    let e: ModelEvent | undefined;
    // run a1 until its builder is running
    for (;;) {
      const a1 = w.state.actors.find((a) => a.id === 'a1');
      if (a1?.kind === 'build' && a1.phase.kind === 'building') break;
      [e] = enabledEvents(w.ctx, w.state);
      if (!e) throw new Error('a1 never builds');
      apply(w, e);
    }
    const a1 = w.state.actors.find((a) => a.id === 'a1');
    if (a1?.kind !== 'build' || a1.scratch === undefined) throw new Error('a1 has no scratch path');
    const real = realScratch(w.ctx, drvOf(w.ctx, 'godyn'), a1.scratch);
    const before: TreeEntry[] = w.ctx.fs.tree('/nix/store');
    const after: TreeEntry[] = [...before, { path: real, kind: 'dir', mode: 0o755, uid: 30002, gid: 30000 }];
    const v = checkTransition(w, w.state, { event: { type: 'gcStep', actor: 'someone' }, note: '', source: '', syscalls: [], before, after });
    expect(v.map((x) => x.invariant)).toContain('InProgressOutputSafe');
  });
});

describe('a failed input-addressed build in a sandbox', () => {
  const ia: Scenario = {
    ...linuxSandbox,
    name: 'sandbox-ia-interrupted',
    derivations: [{ id: 'ia', name: 'godyn-ia', kind: 'input-addressed', program: linuxSandbox.derivations[0]?.program ?? [] }],
    actors: [
      { id: 'a1', kind: 'build', drv: 'ia', fault: { kind: 'interrupt', before: 'builderAction', nth: 2 } },
      { id: 'a2', kind: 'build', drv: 'ia', after: ['a1'] },
    ],
  };

  it('is moved out of the chroot to its store path (cleanupBuild l.163-173); the next build removes it as invalid', () => {
    const r = run(ia);
    const t = traceOf(r);
    const teardown = r.steps.find((s) => s.event.actor === 'a1' && s.note.includes('out of the chroot'));
    expect(teardown?.note, t).toMatch(/moved \/nix\/store\/\S+-godyn-ia out of the chroot/);
    expect(r.steps.some((s) => s.event.actor === 'a2' && s.note.includes('removing invalid path')), t).toBe(true);
    expect(outcome(r, 'a2'), t).toBe('success');
  });
});
