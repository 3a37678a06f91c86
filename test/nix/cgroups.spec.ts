/**
 * use-cgroups (linux-derivation-builder.cc ChrootLinuxDerivationBuilder: prepareUser l.330-373,
 * prepareSandbox l.375-386, killSandbox l.822-834; libutil/linux/cgroup.cc destroyCgroup l.79-151):
 * where a build's cgroup comes from and goes, what a crash or an interrupt leaves, and whether a
 * leftover ever stops a later build.
 */
import { describe, expect, it } from 'vitest';
import type { ActorSpec, Run, Scenario } from '../../model/nix/index.js';
import type { TreeEntry } from '../../model/fs/index.js';
import { apply, CGROUP_RECORD_DIR, enabledEvents, FIRST_BUILD_UID, initialWorld, parseVariant, ROOT_CGROUP } from '../../model/nix/index.js';
import { cgroupMkdir, cgroupRmdir, createKernel, ROOT } from '../../model/fs/index.js';
import { explore } from '../../model/verify/index.js';
import { parseScenario } from '../../sim/scenario-schema.js';
import { cgroupsCrashRetry, cgroupsInterrupted, cgroupsSingleUser } from '../../sim/scenarios/cgroups.js';
import { linuxSandbox } from '../../sim/scenarios/builtin.js';
import { build, outcome, run, traceOf } from './helpers.js';

const UID1 = FIRST_BUILD_UID;
const UID2 = FIRST_BUILD_UID + 1;
const cg = (name: string): string => `${ROOT_CGROUP}/${name}`;
const record = (uid: number): string => `${CGROUP_RECORD_DIR}/${String(uid)}`;

/** The observed tree right after the first step of `type` by `actor`. */
function after(r: Run, type: string, actor: string): readonly TreeEntry[] {
  const step = r.steps.find((s) => s.event.type === type && s.event.actor === actor);
  if (!step) throw new Error(`no ${type}(${actor}) in the run`);
  return step.after;
}

const has = (tree: readonly TreeEntry[], path: string): boolean => tree.some((e) => e.path === path);
const contentOf = (tree: readonly TreeEntry[], path: string): string | undefined => tree.find((e) => e.path === path)?.content;
const at = (r: Run, path: string): boolean => r.world.ctx.fs.lstat(ROOT, path).ok;

describe('a crash after prepareSandbox (cgroups-crash-retry)', () => {
  const r = run(cgroupsCrashRetry);

  it('leaves the cgroup, owned by the build user, and the record naming it', () => {
    const t = after(r, 'crash', 'a1');
    const dir = t.find((e) => e.path === cg(`nix-build-uid-${String(UID1)}`));
    expect(dir, traceOf(r)).toMatchObject({ kind: 'dir', uid: UID1, mode: 0o755 });
    expect(t.find((e) => e.path === `${cg(`nix-build-uid-${String(UID1)}`)}/cgroup.procs`)?.uid).toBe(UID1);
    expect(contentOf(t, record(UID1))).toBe(cg(`nix-build-uid-${String(UID1)}`));
  });

  it('another build user builds beside the leftover, which stays', () => {
    expect(build(r, 'a2').uid).toBe(UID2);
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
    const t = after(r, 'acquireUser', 'a3');
    // a2's own cgroup went when its builder exited; the crashed one is still there until a3 takes uid 1
    expect(has(after(r, 'builderExit', 'a2'), cg(`nix-build-uid-${String(UID1)}`))).toBe(true);
    expect(has(after(r, 'builderExit', 'a2'), cg(`nix-build-uid-${String(UID2)}`))).toBe(false);
    expect(has(t, cg(`nix-build-uid-${String(UID1)}`))).toBe(false);
  });

  it('the next build as the same user destroys the recorded cgroup and builds', () => {
    expect(build(r, 'a3').uid).toBe(UID1);
    expect(outcome(r, 'a3'), traceOf(r)).toBe('success');
    const note = r.steps.find((s) => s.event.type === 'acquireUser' && s.event.actor === 'a3')?.note ?? '';
    expect(note).toContain(`destroyed cgroup ${cg(`nix-build-uid-${String(UID1)}`)} (recorded in ${record(UID1)})`);
    // nothing of a build's cgroup is left at the end (the daemon's own sub-cgroup stays); the records stay (upstream never deletes them)
    expect(r.world.ctx.fs.readdir(ROOT, ROOT_CGROUP)).toMatchObject({ ok: true, value: ['cgroup.kill', 'cgroup.procs', 'cgroup.threads', 'nix-daemon'] });
    expect(at(r, record(UID1)) && at(r, record(UID2))).toBe(true);
  });

  it('a leftover with its record gone is destroyed all the same: prepareUser kills its own path first (killSandbox(false))', () => {
    const v = parseVariant('upstream');
    if (!v.ok) throw new Error('variant');
    const w = initialWorld({ ...cgroupsCrashRetry, actors: [cgroupsCrashRetry.actors[0] as ActorSpec, { id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] }] }, v.variant);
    for (;;) {
      const [e] = enabledEvents(w.ctx, w.state);
      if (!e) break;
      if (e.type === 'start' && e.actor === 'a2') w.ctx.fs.unlink(ROOT, record(UID1));
      const step = apply(w, e);
      if (!step.ok) throw new Error(step.reason);
    }
    const a2 = w.state.actors.find((a) => a.id === 'a2');
    expect(a2?.kind === 'build' && a2.phase.kind === 'done' ? a2.phase.outcome.kind : '').toBe('success');
    expect(w.ctx.fs.lstat(ROOT, cg(`nix-build-uid-${String(UID1)}`)).ok).toBe(false);
  });
});

describe('an interrupt between the record and the mkdir (cgroups-interrupted)', () => {
  const r = run(cgroupsInterrupted);

  it('leaves the record and no cgroup; the retry as the same user builds', () => {
    const t = after(r, 'interrupt', 'a1');
    expect(contentOf(t, record(UID1)), traceOf(r)).toBe(cg(`nix-build-uid-${String(UID1)}`));
    expect(has(t, cg(`nix-build-uid-${String(UID1)}`))).toBe(false);
    expect(outcome(r, 'a1')).toBe('interrupted');
    expect(build(r, 'a2').uid).toBe(UID1);
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
  });
});

describe('no build users (cgroups-single-user)', () => {
  const r = run(cgroupsSingleUser);

  it('names each cgroup after its worker, records none, and leaves the crashed worker\'s for good', () => {
    expect(has(after(r, 'prepareScratch', 'a1'), cg('nix-build-pid-a1-0')), traceOf(r)).toBe(true);
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
    expect(at(r, cg('nix-build-pid-a1-0'))).toBe(true);
    expect(at(r, cg('nix-build-pid-a2-0'))).toBe(false);
    expect(at(r, CGROUP_RECORD_DIR)).toBe(false);
    // chownToBuilder does nothing without a build user: root keeps it
    expect(r.world.ctx.fs.lstat(ROOT, cg('nix-build-pid-a1-0'))).toMatchObject({ ok: true, value: { uid: 0 } });
  });
});

describe('what a leftover cgroup does to later builds', () => {
  function cell(s: Scenario) {
    const v = parseVariant('upstream');
    if (!v.ok) throw new Error('variant');
    return explore(s, { variant: v.variant, faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
  }

  it.each([cgroupsCrashRetry, cgroupsInterrupted, cgroupsSingleUser])('$name: no fault anywhere on a1 wedges a later build (exhaustive)', (s) => {
    const c = cell(s);
    expect(c.limit).toBeNull();
    expect(c.counterexamples).toEqual([]);
  });

  it('with auto-allocate-uids the cgroup is named after the slot\'s uid and recorded the same way; nothing wedges either', () => {
    const s: Scenario = { ...cgroupsCrashRetry, name: 'cgroups-auto-uids', settings: { ...cgroupsCrashRetry.settings, autoAllocateUids: true } };
    const r = run(s);
    const slot0 = 872415232;
    expect(contentOf(after(r, 'crash', 'a1'), record(slot0)), traceOf(r)).toBe(cg(`nix-build-uid-${String(slot0)}`));
    expect(has(after(r, 'crash', 'a1'), cg(`nix-build-uid-${String(slot0)}`))).toBe(true);
    expect(['a2', 'a3'].map((id) => outcome(r, id))).toEqual(['success', 'success']);
    const c = cell(s);
    expect(c.limit).toBeNull();
    expect(c.counterexamples).toEqual([]);
  });

  it('a cgroup of the same name made between prepareUser and prepareSandbox fails the build with "creating cgroup …: EEXIST", and the chroot goes', () => {
    const v = parseVariant('upstream');
    if (!v.ok) throw new Error('variant');
    const w = initialWorld({ ...cgroupsInterrupted, actors: [{ id: 'a1', kind: 'build', drv: 'godyn' }] }, v.variant);
    for (;;) {
      const [e] = enabledEvents(w.ctx, w.state);
      if (!e) break;
      if (e.type === 'prepareScratch') cgroupMkdir(w.ctx.fs, ROOT, cg(`nix-build-uid-${String(UID1)}`), 0o755);
      const step = apply(w, e);
      if (!step.ok) throw new Error(step.reason);
    }
    const a1 = w.state.actors.find((a) => a.id === 'a1');
    const o = a1?.kind === 'build' && a1.phase.kind === 'done' ? a1.phase.outcome : undefined;
    expect(o).toMatchObject({ kind: 'failure', failure: 'sysError', errno: 'EEXIST', message: `creating cgroup '${cg(`nix-build-uid-${String(UID1)}`)}': EEXIST` });
    expect(w.ctx.fs.readdir(ROOT, '/nix/store')).toMatchObject({ ok: true });
    const store = w.ctx.fs.readdir(ROOT, '/nix/store');
    expect(store.ok ? store.value.filter((n) => n.endsWith('.chroot')) : ['?']).toEqual([]);
    // no builder ran, so killChild left the cgroup that was there alone
    expect(w.ctx.fs.lstat(ROOT, cg(`nix-build-uid-${String(UID1)}`)).ok).toBe(true);
  });
});

describe('killSandbox with a cgroup kills no process of the uid', () => {
  /** A __noChroot builder (relaxed: no sandbox, so no cgroup) that starts a process, then a sandboxed build drawing the same uid. */
  function survivorThenBoxed(useCgroups: boolean): Scenario {
    return {
      name: `survivor-${String(useCgroups)}`,
      doc: 'test',
      settings: { ...linuxSandbox.settings, sandbox: 'relaxed', useCgroups },
      derivations: [
        { id: 'make', name: 'make', kind: 'input-addressed', noChroot: true, program: [{ op: 'spawn' }, { op: 'mkdirP', path: '' }, { op: 'writeFile', path: 'late', content: 'x' }] },
        { id: 'boxed', name: 'boxed', kind: 'input-addressed', program: [{ op: 'mkdirP', path: '' }] },
      ],
      actors: [
        { id: 'a1', kind: 'build', drv: 'make', fault: { kind: 'crash', before: 'builderAction', nth: 1 } },
        { id: 'a2', kind: 'build', drv: 'boxed', after: ['a1'] },
      ],
    };
  }

  it('a survivor of an unsandboxed build outlives a cgroup build of its uid, and dies at one without cgroups', () => {
    const withCg = run(survivorThenBoxed(true));
    const without = run(survivorThenBoxed(false));
    expect(build(withCg, 'a2').uid).toBe(UID1);
    const noteOf = (r: Run): string => r.steps.find((s) => s.event.type === 'acquireUser' && s.event.actor === 'a2')?.note ?? '';
    expect(noteOf(without), traceOf(without)).toContain('killed 1 stray process');
    expect(noteOf(withCg), traceOf(withCg)).not.toContain('killed');
    expect(withCg.steps.some((s) => s.event.type === 'orphanAction')).toBe(true);
    expect(without.steps.some((s) => s.event.type === 'orphanAction')).toBe(false);
  });
});

describe('settings', () => {
  it('an unsandboxed Linux build ignores use-cgroups (LinuxDerivationBuilder has none)', () => {
    const r = run({ ...cgroupsInterrupted, settings: { ...cgroupsInterrupted.settings, sandbox: false } });
    expect(build(r, 'a1').cgroup).toBeUndefined();
    expect(r.steps.flatMap((s) => s.syscalls).filter((c) => String(c.args[0]).startsWith(ROOT_CGROUP))).toEqual([]);
  });

  it('without use-cgroups there is no cgroup fs at all', () => {
    const r = run(linuxSandbox);
    expect(at(r, '/sys')).toBe(false);
  });

  it('refuses use-cgroups on darwin, naming the field', () => {
    const bad = { ...cgroupsInterrupted, settings: { ...cgroupsInterrupted.settings, platform: 'darwin', sandbox: false } };
    const r = parseScenario(JSON.parse(JSON.stringify(bad)) as unknown);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/settings\.useCgroups.*Linux only/s);
  });
});

describe('cgroup2 directories (model/fs)', () => {
  it('mkdir makes the interface files, root-owned; rmdir takes them along', () => {
    const k = createKernel({ personality: 'linux' });
    k.mkdir(ROOT, '/cg', 0o755);
    expect(cgroupMkdir(k, ROOT, '/cg/a', 0o755).ok).toBe(true);
    expect(k.tree('/cg/a').map((e) => [e.path, e.mode & 0o7777, e.uid])).toEqual([
      ['/cg/a', 0o755, 0],
      ['/cg/a/cgroup.kill', 0o200, 0],
      ['/cg/a/cgroup.procs', 0o644, 0],
      ['/cg/a/cgroup.threads', 0o644, 0],
    ]);
    expect(cgroupMkdir(k, ROOT, '/cg/a', 0o755)).toMatchObject({ ok: false, error: { errno: 'EEXIST' } });
    expect(cgroupRmdir(k, ROOT, '/cg/a').ok).toBe(true);
    expect(k.tree('/cg/a')).toEqual([]);
  });

  it('a child cgroup keeps its parent (ENOTEMPTY here, EBUSY on Linux)', () => {
    const k = createKernel({ personality: 'linux' });
    k.mkdir(ROOT, '/cg', 0o755);
    cgroupMkdir(k, ROOT, '/cg/a', 0o755);
    cgroupMkdir(k, ROOT, '/cg/a/b', 0o755);
    expect(cgroupRmdir(k, ROOT, '/cg/a')).toMatchObject({ ok: false, error: { errno: 'ENOTEMPTY' } });
  });
});
