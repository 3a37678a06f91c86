/**
 * makeDerivationBuilder's sandbox decision (derivation-builder.cc @2.34.8 l.2082-2148), case by
 * case as read in the source, and what the model does with it: a chroot, none, or the Error that
 * fails the build before it takes a build user.
 */
import { describe, expect, it } from 'vitest';
import type { SandboxDecision, SandboxInputs, Scenario } from '../../model/nix/index.js';
import { apply, drvInfo, drvOf, realScratch, sandboxDecision, usesChroot } from '../../model/nix/index.js';
import { GODYN } from '../../sim/scenarios/common.js';
import { buildIn, oneCaBuild, runAlone, runUntil, stepUntil, world } from './stepping.js';

const DRV = '/nix/store/00000000000000000000000000000000-x.drv';
const NO_CHROOT_MSG = `derivation '${DRV}' has '__noChroot' set, but that's not allowed when 'sandbox' is 'true'`;
const NAMESPACES_MSG = "this system does not support the kernel namespaces that are required for sandboxing; use '--no-sandbox' to disable sandboxing";
const DIVERTED_MSG = 'building using a diverted store is not supported on this platform';

type Expect = { useSandbox: boolean; chroot: boolean } | { error: string };

function decide(settings: Partial<SandboxInputs> & Pick<SandboxInputs, 'platform' | 'sandbox'>, noChroot = false): Expect {
  const d: SandboxDecision = sandboxDecision(settings, noChroot ? { noChroot } : {}, DRV);
  return d.kind === 'error' ? { error: d.message } : { useSandbox: d.useSandbox, chroot: d.chroot };
}

const CHROOT = { useSandbox: true, chroot: true };
const NONE = { useSandbox: false, chroot: false };
const SEATBELT = { useSandbox: true, chroot: false };

describe('makeDerivationBuilder on Linux', () => {
  const linux = { platform: 'linux' } as const;
  const cases: [string, Partial<SandboxInputs> & { sandbox: SandboxInputs['sandbox'] }, boolean, Expect][] = [
    ['sandbox = false: no sandbox, LinuxDerivationBuilder (l.2104-2105, l.2141)', { sandbox: false }, false, NONE],
    ['sandbox = false ignores __noChroot (only smEnabled and smRelaxed read it, l.2091, l.2108)', { sandbox: false }, true, NONE],
    ['sandbox = true: ChrootLinuxDerivationBuilder (l.2090, l.2103, l.2137-2139)', { sandbox: true }, false, CHROOT],
    ['sandbox = true with __noChroot: an Error naming the drv (l.2091-2095)', { sandbox: true }, true, { error: NO_CHROOT_MSG }],
    ['sandbox = relaxed, a sandboxed type without __noChroot: chroot (l.2106-2108)', { sandbox: 'relaxed' }, false, CHROOT],
    ['sandbox = relaxed with __noChroot: no sandbox (l.2108)', { sandbox: 'relaxed' }, true, NONE],
    ['a diverted store with sandbox = false: chroot anyway (l.2111-2113)', { sandbox: false, divertedStore: true }, false, CHROOT],
    ['a diverted store overrides relaxed + __noChroot too (l.2113 sets useSandbox unconditionally)', { sandbox: 'relaxed', divertedStore: true }, true, CHROOT],
    ['no namespaces, sandbox-fallback unset (default true): no sandbox (l.2120, l.2124-2125)', { sandbox: true, mountAndPidNamespaces: false }, false, NONE],
    ['no namespaces, sandbox-fallback = true: no sandbox', { sandbox: true, mountAndPidNamespaces: false, sandboxFallback: true }, false, NONE],
    ['no namespaces, sandbox-fallback = false: an Error (l.2121-2123)', { sandbox: true, mountAndPidNamespaces: false, sandboxFallback: false }, false, { error: NAMESPACES_MSG }],
    ['namespaces present, sandbox-fallback = false: chroot (the fallback is read only without them, l.2120)', { sandbox: true, sandboxFallback: false }, false, CHROOT],
    ['no namespaces, sandbox = false, fallback off: no Error (`useSandbox &&` short-circuits the probe, l.2120)', { sandbox: false, mountAndPidNamespaces: false, sandboxFallback: false }, false, NONE],
    ['no namespaces, relaxed + __noChroot, fallback off: no Error (useSandbox already false)', { sandbox: 'relaxed', mountAndPidNamespaces: false, sandboxFallback: false }, true, NONE],
    ['no namespaces, relaxed without __noChroot, fallback off: an Error', { sandbox: 'relaxed', mountAndPidNamespaces: false, sandboxFallback: false }, false, { error: NAMESPACES_MSG }],
    ['a diverted store without namespaces, fallback on: no sandbox (the fallback comes after l.2113, at l.2124-2125)', { sandbox: false, divertedStore: true, mountAndPidNamespaces: false }, false, NONE],
    ['a diverted store without namespaces, fallback off: an Error', { sandbox: false, divertedStore: true, mountAndPidNamespaces: false, sandboxFallback: false }, false, { error: NAMESPACES_MSG }],
    ['sandbox = true + __noChroot without namespaces: the __noChroot Error comes first (l.2091 before l.2120)', { sandbox: true, mountAndPidNamespaces: false, sandboxFallback: false }, true, { error: NO_CHROOT_MSG }],
  ];
  for (const [name, settings, noChroot, want] of cases) {
    it(name, () => {
      expect(decide({ ...linux, ...settings }, noChroot)).toEqual(want);
    });
  }
});

describe('makeDerivationBuilder on darwin: DarwinDerivationBuilder either way, never a chroot (l.2133-2135)', () => {
  const darwin = { platform: 'darwin' } as const;
  const cases: [string, Partial<SandboxInputs> & { sandbox: SandboxInputs['sandbox'] }, boolean, Expect][] = [
    ['sandbox = false: no sandbox (the minimal seatbelt profile)', { sandbox: false }, false, NONE],
    ['sandbox = true: sandboxed by a seatbelt profile, no chroot', { sandbox: true }, false, SEATBELT],
    ['sandbox = true with __noChroot: the same Error as on Linux (l.2091-2095 are not under #ifdef)', { sandbox: true }, true, { error: NO_CHROOT_MSG }],
    ['sandbox = relaxed: seatbelt without __noChroot', { sandbox: 'relaxed' }, false, SEATBELT],
    ['sandbox = relaxed with __noChroot: no sandbox', { sandbox: 'relaxed' }, true, NONE],
    ['a diverted store: an Error (l.2115, the #else of __linux__)', { sandbox: false, divertedStore: true }, false, { error: DIVERTED_MSG }],
    ['no namespaces and fallback off change nothing: the probe is Linux only (l.2119-2128)', { sandbox: true, mountAndPidNamespaces: false, sandboxFallback: false }, false, SEATBELT],
  ];
  for (const [name, settings, noChroot, want] of cases) {
    it(name, () => {
      expect(decide({ ...darwin, ...settings }, noChroot)).toEqual(want);
    });
  }

  it('over every combination of inputs: a chroot only on Linux and only when sandboxed, and no other Error messages', () => {
    const seen = new Set<string>();
    for (const platform of ['linux', 'darwin'] as const)
      for (const sandbox of [true, false, 'relaxed'] as const)
        for (const noChroot of [false, true])
          for (const divertedStore of [undefined, false, true])
            for (const mountAndPidNamespaces of [undefined, true, false])
              for (const sandboxFallback of [undefined, true, false]) {
                const settings = { platform, sandbox, ...(divertedStore !== undefined ? { divertedStore } : {}), ...(mountAndPidNamespaces !== undefined ? { mountAndPidNamespaces } : {}), ...(sandboxFallback !== undefined ? { sandboxFallback } : {}) };
                const d = decide(settings, noChroot);
                if ('error' in d) {
                  seen.add(d.error);
                  continue;
                }
                if (d.chroot) expect([platform, d.useSandbox]).toEqual(['linux', true]);
                if (platform === 'linux') expect(d.chroot).toBe(d.useSandbox);
              }
    expect([...seen].sort()).toEqual([DIVERTED_MSG, NO_CHROOT_MSG, NAMESPACES_MSG].sort());
  });
});

function linuxCa(settings: Partial<Scenario['settings']>, noChroot = false): Scenario {
  const s = oneCaBuild();
  return {
    ...s,
    settings: { ...s.settings, ...settings },
    derivations: [{ id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN, ...(noChroot ? { noChroot } : {}) }],
  };
}

describe('a build whose sandbox settings makeDerivationBuilder refuses', () => {
  const refused = linuxCa({ sandbox: true }, true);

  it('fails with upstream\'s message at its acquireUser step, before it takes a build user (derivation-building-goal.cc l.913 before l.919)', () => {
    const w = world(refused);
    runUntil(w, 'a1', (a) => a.phase.kind === 'acquireUser');
    const r = apply(w, { type: 'acquireUser', actor: 'a1' });
    expect(r.ok && r.step.note).toMatch(/has '__noChroot' set, but that's not allowed when 'sandbox' is 'true'/);
    expect(buildIn(w, 'a1').uid).toBeUndefined();
    runAlone(w, 'a1');
    const a = buildIn(w, 'a1');
    expect(a.phase.kind === 'done' ? a.phase.outcome : undefined).toMatchObject({ kind: 'failure', failure: 'sandboxRefused', message: expect.stringContaining(drvOf(w.ctx, 'godyn').drvPath) as unknown });
    expect(a.tmpDir).toBeUndefined();
    expect(a.scratch).toBeUndefined();
    expect(w.state.userLeases).toEqual({});
    expect(w.state.locks).toEqual({});
    expect(w.ctx.fs.lstat(w.ctx.daemon, drvOf(w.ctx, 'godyn').fallbackPath).ok).toBe(false);
  });

  it('fails without waiting for a free build user: makeDerivationBuilder runs before startBuild waits for one', () => {
    const s: Scenario = {
      ...linuxCa({ sandbox: true, mountAndPidNamespaces: false, sandboxFallback: false, buildUsers: 1 }),
      actors: [
        { id: 'hold', kind: 'holdUser', releaseAfter: ['a1'] },
        { id: 'a1', kind: 'build', drv: 'godyn', after: ['hold'] },
      ],
    };
    const w = world(s);
    stepUntil(w, 'hold', (x) => x.state.actors.some((a) => a.id === 'hold' && a.kind === 'holdUser' && a.state === 'holding'));
    expect(Object.keys(w.state.userLeases)).toHaveLength(1);
    runAlone(w, 'a1');
    const a = buildIn(w, 'a1');
    expect(a.phase.kind === 'done' ? a.phase.outcome : undefined).toMatchObject({ failure: 'sandboxRefused', message: NAMESPACES_MSG });
  });

  it('__noChroot is an attribute of the .drv: it changes the drv path (and so the scratch path)', () => {
    const plain = drvInfo({ id: 'g', name: 'g', kind: 'ca-floating', program: GODYN });
    const noChroot = drvInfo({ id: 'g', name: 'g', kind: 'ca-floating', program: GODYN, noChroot: true });
    expect(noChroot.drvPath).not.toBe(plain.drvPath);
    expect(noChroot.fallbackPath).not.toBe(plain.fallbackPath);
  });
});

describe('the decision is per derivation', () => {
  it('under relaxed, a __noChroot build uses the host store and its neighbour a chroot', () => {
    const s: Scenario = {
      ...linuxCa({ sandbox: 'relaxed' }),
      derivations: [
        { id: 'free', name: 'free', kind: 'ca-floating', program: GODYN, noChroot: true },
        { id: 'boxed', name: 'boxed', kind: 'ca-floating', program: GODYN },
      ],
      actors: [
        { id: 'a1', kind: 'build', drv: 'free' },
        { id: 'a2', kind: 'build', drv: 'boxed' },
      ],
    };
    const w = world(s);
    const free = drvOf(w.ctx, 'free');
    const boxed = drvOf(w.ctx, 'boxed');
    expect([usesChroot(w.ctx, free), usesChroot(w.ctx, boxed)]).toEqual([false, true]);
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 1);
    runUntil(w, 'a2', (a) => a.phase.kind === 'building' && a.phase.pc === 1);
    // the __noChroot builder's mkdir -p made its scratch path in the host store; the other's is inside its chroot
    expect(w.ctx.fs.lstat(w.ctx.daemon, free.fallbackPath).ok).toBe(true);
    expect(realScratch(w.ctx, boxed, boxed.fallbackPath)).toBe(`${boxed.drvPath}.chroot/root${boxed.fallbackPath}`);
    expect(w.ctx.fs.lstat(w.ctx.daemon, boxed.fallbackPath).ok).toBe(false);
    expect(w.ctx.fs.lstat(w.ctx.daemon, realScratch(w.ctx, boxed, boxed.fallbackPath)).ok).toBe(true);
  });

  it('sandbox-fallback without namespaces: the builder runs in the host store, as with sandbox = false', () => {
    const w = world(linuxCa({ sandbox: true, mountAndPidNamespaces: false }));
    const d = drvOf(w.ctx, 'godyn');
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 1);
    expect(w.ctx.fs.lstat(w.ctx.daemon, `${d.drvPath}.chroot`).ok).toBe(false);
    expect(w.ctx.fs.lstat(w.ctx.daemon, d.fallbackPath).ok).toBe(true);
  });

  it('a diverted store with sandbox = false: the chroot is made (prepareSandbox) and the output lands inside it', () => {
    const w = world(linuxCa({ sandbox: false, divertedStore: true }));
    const d = drvOf(w.ctx, 'godyn');
    runUntil(w, 'a1', (a) => a.phase.kind === 'building' && a.phase.pc === 1);
    expect(w.ctx.fs.lstat(w.ctx.daemon, `${d.drvPath}.chroot/root${d.fallbackPath}`).ok).toBe(true);
    expect(w.ctx.fs.lstat(w.ctx.daemon, d.fallbackPath).ok).toBe(false);
  });
});
