/**
 * Where the floating CA stranded-output wedge applies on Linux: the built-in scenarios that vary
 * makeDerivationBuilder's inputs (sandbox = relaxed with __noChroot, sandbox-fallback without
 * namespaces, fallback off, a diverted store), explored exhaustively with one fault per run, under
 * upstream and under the recommended series. Verdicts come from the explorer; nothing here names
 * a trace.
 */
import { describe, expect, it } from 'vitest';
import type { FaultKind, Scenario } from '../../model/nix/index.js';
import { drvOf, initialWorld, parseVariant, usesChroot } from '../../model/nix/index.js';
import type { ExploreResult } from '../../model/verify/index.js';
import { explore } from '../../model/verify/index.js';
import { divertedStore, relaxedNoChroot, sandboxFallback, sandboxUnavailable, seed487 } from '../../sim/scenarios/builtin.js';

function run(scenario: Scenario, variant: string, fault: FaultKind): ExploreResult {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return explore(scenario, { variant: v.variant, faults: [fault], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
}

const broken = (r: ExploreResult): string[] => [...new Set(r.counterexamples.map((c) => c.invariant))].sort();

function chrooted(s: Scenario): boolean {
  const v = parseVariant('upstream');
  if (!v.ok) throw new Error('upstream');
  const w = initialWorld(s, v.variant);
  return usesChroot(w.ctx, drvOf(w.ctx, 'godyn'));
}

describe('Linux builds without a chroot wedge as darwin does', () => {
  for (const s of [relaxedNoChroot, sandboxFallback]) {
    it(`${s.name}: no chroot, and upstream wedges (NoWedge violated) under an interrupt, as seed-487 does`, () => {
      expect(s.settings.platform).toBe('linux');
      expect(chrooted(s)).toBe(false);
      const r = run(s, 'upstream', 'interrupt');
      expect(r.complete).toBe(true);
      expect(broken(r)).toEqual(broken(run(seed487, 'upstream', 'interrupt')));
      expect(broken(r)).toContain('NoWedge');
      const cx = r.counterexamples.find((c) => c.invariant === 'NoWedge');
      expect(cx?.events.some((e) => e.type === 'interrupt')).toBe(true);
    });

    for (const fault of ['interrupt', 'crash', 'builderFailure'] as const) {
      it(`${s.name}: the recommended series holds every invariant under ${fault} (exhaustive)`, () => {
        const r = run(s, 'recommended', fault);
        expect(r.complete).toBe(true);
        expect(broken(r)).toEqual([]);
      });
    }
  }
});

describe('a diverted store forces the chroot even with sandbox = false', () => {
  it('diverted-store: chrooted, and upstream holds every invariant under each fault (exhaustive)', () => {
    expect(divertedStore.settings.sandbox).toBe(false);
    expect(chrooted(divertedStore)).toBe(true);
    for (const fault of ['interrupt', 'crash', 'builderFailure'] as const) {
      const r = run(divertedStore, 'upstream', fault);
      expect(r.complete).toBe(true);
      expect(broken(r), fault).toEqual([]);
    }
  });

  it('diverted-store: the recommended series holds too', () => {
    for (const fault of ['interrupt', 'crash', 'builderFailure'] as const) {
      const r = run(divertedStore, 'recommended', fault);
      expect(r.complete).toBe(true);
      expect(broken(r), fault).toEqual([]);
    }
  });
});

describe('sandbox-fallback = false without namespaces refuses every build', () => {
  for (const variant of ['upstream', 'recommended']) {
    it(`${variant}: only NoWedge fails (no build can succeed), nothing is stranded or left behind`, () => {
      for (const fault of ['interrupt', 'crash', 'builderFailure'] as const) {
        const r = run(sandboxUnavailable, variant, fault);
        expect(r.complete).toBe(true);
        expect(broken(r), fault).toEqual(['NoWedge']);
        expect(r.counterexamples.find((c) => c.invariant === 'NoWedge')?.message).toMatch(/kernel namespaces that are required for sandboxing/);
      }
    });
  }
});
