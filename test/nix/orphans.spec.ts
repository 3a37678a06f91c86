/**
 * Processes a daemon crash leaves running. macOS has no death signal, so the builder survives as
 * whatever uid it had, root included. On Linux the builder gets PR_SET_PDEATHSIG (processes.cc
 * l.228), which fork(2) does not pass on: a process it started survives unless the build has a
 * chroot, whose PID namespace dies with its PID 1. Only killUser(uid), run when a build takes that
 * uid, ends a survivor; without build users nothing does.
 */
import { describe, expect, it } from 'vitest';
import type { BuilderAction, FaultKind, Scenario } from '../../model/nix/index.js';
import { parseVariant } from '../../model/nix/index.js';
import type { InvariantName } from '../../model/verify/index.js';
import { explore } from '../../model/verify/index.js';
import { DARWIN, GODYN } from '../../sim/scenarios/common.js';
import { darwinOrphanLowerUser, hostileReplant, hostileReplantSingleUser, linuxOrphanSubprocess } from '../../sim/scenarios/builtin.js';
import { outcome, run, traceOf } from './helpers.js';

const MAKE: readonly BuilderAction[] = [{ op: 'spawn' }, ...GODYN];

function crashThenRetry(settings: Scenario['settings'], program: readonly BuilderAction[], nth = 2): Scenario {
  return {
    name: 'crash-then-retry',
    doc: '',
    settings,
    derivations: [{ id: 'godyn', name: 'godyn', kind: 'ca-floating', program }],
    actors: [
      { id: 'a1', kind: 'build', drv: 'godyn', fault: { kind: 'crash', before: 'builderAction', nth } },
      { id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] },
    ],
  };
}

const LINUX = { ...DARWIN, platform: 'linux' } as const;

describe('who survives a daemon crash', () => {
  it('macOS without build users: the builder keeps running as root, and nothing ever kills it', () => {
    const r = run(crashThenRetry({ ...DARWIN, buildUsers: 0 }, GODYN));
    const t = traceOf(r);
    expect(r.steps.find((s) => s.event.type === 'crash')?.note, t).toMatch(/keeps running/);
    const take = r.steps.find((s) => s.event.actor === 'a2' && s.event.type === 'acquireUser');
    expect(take?.note, t).not.toMatch(/killed/);
    const stray = r.steps.filter((s) => s.event.type === 'orphanAction');
    expect(stray.length, t).toBeGreaterThan(0);
    expect(stray.every((s) => s.syscalls.every((c) => c.creds.uid === 0)), t).toBe(true);
    expect(stray.at(-1)?.note, t).toMatch(/exits/);
  });

  it('Linux without a sandbox: PR_SET_PDEATHSIG kills the builder, a process it started keeps running as its uid', () => {
    const r = run(crashThenRetry(LINUX, MAKE));
    const t = traceOf(r);
    const crash = r.steps.find((s) => s.event.type === 'crash');
    expect(crash?.note, t).toMatch(/the process it started keeps running/);
    expect(crash?.source, t).toMatch(/PR_SET_PDEATHSIG \(l\.228/);
    // the retry takes the same uid (first free): prepareUser's killUser ends it
    const take = r.steps.find((s) => s.event.actor === 'a2' && s.event.type === 'acquireUser');
    expect(take?.note, t).toMatch(/killed 1 stray process/);
    expect(outcome(r, 'a2'), t).toBe('success');
  });

  it('Linux without a sandbox: a builder that started nothing dies alone, leaving no process', () => {
    const r = run(crashThenRetry(LINUX, GODYN));
    expect(r.steps.find((s) => s.event.type === 'crash')?.note, traceOf(r)).toMatch(/the builder dies \(PR_SET_PDEATHSIG\)$/);
    expect(r.steps.some((s) => s.event.type === 'orphanAction'), traceOf(r)).toBe(false);
  });

  it('Linux with a sandbox: the PID namespace dies with the builder, and every process in it', () => {
    const r = run(crashThenRetry({ ...LINUX, sandbox: true }, MAKE));
    const t = traceOf(r);
    expect(r.steps.find((s) => s.event.type === 'crash')?.source, t).toMatch(/CLONE_NEWPID/);
    expect(r.steps.some((s) => s.event.type === 'orphanAction'), t).toBe(false);
  });

  it('Linux without build users: the process the builder started runs as root until its program ends', () => {
    const r = run(crashThenRetry({ ...LINUX, buildUsers: 0 }, MAKE));
    const t = traceOf(r);
    const take = r.steps.find((s) => s.event.actor === 'a2' && s.event.type === 'acquireUser');
    expect(take?.note, t).not.toMatch(/killed/);
    expect(r.steps.filter((s) => s.event.type === 'orphanAction').length, t).toBeGreaterThan(0);
  });
});

function violated(s: Scenario, variant: string, fault: FaultKind, maxFaults = 1): Map<InvariantName, string> {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  const r = explore(s, { variant: v.variant, faults: [fault], maxFaults, maxDepth: 200, maxStates: 50_000 });
  expect(r.complete).toBe(true);
  return new Map(r.counterexamples.map((c) => [c.invariant, `${c.message} [${c.events.map((e) => `${e.type}(${e.actor})`).join(' ')}]`]));
}

describe('finding: one crash, a lower build user, and a survivor that writes into the retry', () => {
  for (const s of [darwinOrphanLowerUser, linuxOrphanSubprocess]) {
    it(`${s.name}: the series still breaks InProgressOutputSafe with a single crash; nothing else`, () => {
      const crash = violated(s, 'recommended', 'crash');
      expect([...crash.keys()]).toEqual(['InProgressOutputSafe']);
      const cx = crash.get('InProgressOutputSafe') ?? '';
      expect(cx).toMatch(/^orphanAction\(a1~orphan\) changed .* while a2's builder was writing/);
      expect(cx.match(/crash\(/g)?.length).toBe(1);
      expect([...violated(s, 'recommended', 'interrupt').keys()]).toEqual([]);
    });
  }
});

describe('finding: without a sandbox, a plant made during the build beats the series’ delete', () => {
  it('multi-user: the victim cannot write its output (denial of service), nothing foreign is registered', () => {
    const v = violated(hostileReplant, 'recommended', 'interrupt', 0);
    expect([...v.keys()]).toEqual(['InProgressOutputSafe']);
    expect(v.get('InProgressOutputSafe')).toMatch(/^builderAction\(evil\) changed .*backdoor while a1's builder/);
  });

  it('single-user: the planted file is registered in the victim’s output', () => {
    const v = violated(hostileReplantSingleUser, 'recommended', 'interrupt', 0);
    expect([...v.keys()].sort()).toEqual(['CleanOutput', 'InProgressOutputSafe', 'NoForeignContent']);
    expect(v.get('NoForeignContent')).toMatch(/contains 'backdoor' planted by another derivation's builder/);
  });
});
