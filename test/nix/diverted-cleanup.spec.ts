/**
 * ChrootDerivationBuilder::cleanupBuild (chroot-derivation-builder.cc @2.34.8 l.157-176) in a
 * diverted store: it looks for a failed build's known output inside the chroot at the output's real
 * path (l.169-170), which a diverted store prefixes with its root, while the builder wrote it at its
 * store path there (l.114). So nothing is moved out, and the unfinished output goes with the chroot;
 * with the store in its usual place the same build leaves it at its path. Measured on 2.34.8
 * daemons (docs/fidelity.md, ia-interrupted-diverted and ia-interrupted-sandbox).
 */
import { describe, expect, it } from 'vitest';
import type { Scenario, Settings } from '../../model/nix/index.js';
import { drvOf, runScripted, SRC, UPSTREAM } from '../../model/nix/index.js';
import { GODYN } from '../../sim/scenarios/common.js';

function interruptedIa(settings: Partial<Settings>, program = GODYN): Scenario {
  return {
    name: 'ia-interrupted',
    doc: 'an input-addressed build interrupted after its first write',
    settings: { platform: 'linux', sandbox: false, buildUsers: 4, keepFailed: false, nixVersion: '2.34.8', ...settings },
    derivations: [{ id: 'ia', name: 'godyn-ia', kind: 'input-addressed', program }],
    actors: [{ id: 'a1', kind: 'build', drv: 'ia', fault: { kind: 'interrupt', before: 'builderAction', nth: 2 } }],
  };
}

function afterRun(s: Scenario): { exists: boolean; cleanup: { note: string; source: string } | undefined } {
  const r = runScripted(s, UPSTREAM);
  const out = drvOf(r.world.ctx, 'ia').knownPath;
  if (out === undefined) throw new Error('an input-addressed output has a known path');
  const cleanup = r.steps.find((x) => x.event.actor === 'a1' && x.event.type === 'cleanupBuild' && x.note.includes('.chroot'));
  return { exists: r.world.ctx.fs.lstat(r.world.ctx.daemon, out).ok, cleanup: cleanup && { note: cleanup.note, source: cleanup.source } };
}

describe('cleanupBuild of an interrupted input-addressed chroot build', () => {
  it('with sandbox = true in /nix/store: moves the unfinished output out of the chroot to its path', () => {
    const r = afterRun(interruptedIa({ sandbox: true }));
    expect(r.exists).toBe(true);
    expect(r.cleanup?.note).toMatch(/moved \/nix\/store\/\S+-godyn-ia out of the chroot/);
    expect(r.cleanup?.source).toBe(SRC.chrootCleanup);
  });

  it('in a diverted store (chrooted although sandbox = false): looks for it at its real path in the chroot, moves nothing', () => {
    const r = afterRun(interruptedIa({ divertedStore: true }));
    expect(r.exists).toBe(false);
    expect(r.cleanup?.note).toMatch(/not moved out of the chroot: looked for at \S+\.chroot\/root\/diverted-root\/nix\/store\/\S+-godyn-ia/);
    expect(r.cleanup?.source).toBe(SRC.chrootCleanupDiverted);
  });

  it('in a diverted store with sandbox = true too: the diversion, not the setting, decides', () => {
    expect(afterRun(interruptedIa({ divertedStore: true, sandbox: true })).exists).toBe(false);
  });

  it('unsandboxed in /nix/store: no chroot, so the builder wrote the output at its path and it stays', () => {
    const r = afterRun(interruptedIa({}));
    expect(r.exists).toBe(true);
    expect(r.cleanup).toBeUndefined();
  });
});
