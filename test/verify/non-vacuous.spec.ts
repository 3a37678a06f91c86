import { describe, expect, it } from 'vitest';
import type { FaultKind, Scenario } from '../../model/nix/index.js';
import { parseVariant } from '../../model/nix/index.js';
import type { InvariantName } from '../../model/verify/index.js';
import { explore, INVARIANTS } from '../../model/verify/index.js';
import {
  concurrentGc,
  duplicateCaOutput,
  gcDuringRegistration,
  hostilePlantSingleUser,
  hostileScratch,
  linuxSandbox,
  sameUserRetry,
  seed487,
} from '../../sim/scenarios/builtin.js';

function violated(s: Scenario, variant: string, fault: FaultKind): InvariantName[] {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  return explore(s, { variant: v.variant, faults: [fault], maxFaults: 1, maxDepth: 200, maxStates: 50_000 }).counterexamples.map((c) => c.invariant);
}

/** For each invariant: a variant (or planted bug) that breaks it, and its counterpart that does not. */
const WITNESSES: Record<InvariantName, { scenario: Scenario; fault: FaultKind; breaks: string; holds: string }> = {
  NoWedge: { scenario: seed487, fault: 'interrupt', breaks: 'upstream', holds: 'recommended' },
  CleanOutput: { scenario: sameUserRetry, fault: 'interrupt', breaks: 'upstream', holds: 'recommended' },
  ValidPathsIntact: { scenario: gcDuringRegistration, fault: 'interrupt', breaks: 'upstream', holds: 'temp-root-final-path' },
  // Nix 2.8 keeps a canonicalised scratch copy when the CA result is already valid; 2.34 deletes it
  NoDebrisAfterRecovery: { scenario: { ...duplicateCaOutput, settings: { ...duplicateCaOutput.settings, nixVersion: '2.8' } }, fault: 'interrupt', breaks: 'upstream', holds: 'upstream' },
  DeleteStaysInTarget: {
    scenario: hostileScratch,
    fault: 'interrupt',
    breaks: 'prepare-deletes-stale-scratch+bug-delete-follows-symlinks',
    holds: 'prepare-deletes-stale-scratch',
  },
  InProgressOutputSafe: { scenario: concurrentGc, fault: 'interrupt', breaks: 'upstream', holds: 'temp-root-scratch' },
  NoForeignContent: { scenario: hostilePlantSingleUser, fault: 'interrupt', breaks: 'upstream', holds: 'recommended' },
};

describe('no invariant passes vacuously: the checker finds a violation of each', () => {
  for (const { name } of INVARIANTS) {
    const w = WITNESSES[name];
    it(`${name}: found on ${w.breaks} in ${w.scenario.name} under ${w.fault}`, () => {
      expect(violated(w.scenario, w.breaks, w.fault)).toContain(name);
    });
    if (w.holds !== w.breaks) {
      it(`${name}: holds on ${w.holds} in the same space`, () => {
        expect(violated(w.scenario, w.holds, w.fault)).not.toContain(name);
      });
    }
  }
  it('ValidPathsIntact: the planted bug bug-move-ignores-valid-final is found too', () => {
    expect(violated(duplicateCaOutput, 'bug-move-ignores-valid-final', 'interrupt')).toContain('ValidPathsIntact');
    expect(violated(duplicateCaOutput, 'upstream', 'interrupt')).not.toContain('ValidPathsIntact');
  });

  it('NoDebrisAfterRecovery holds on 2.34.8 in the same scenario (deletePath(actualPath) when the path is valid)', () => {
    expect(violated(duplicateCaOutput, 'upstream', 'interrupt')).not.toContain('NoDebrisAfterRecovery');
  });

  it('NoDebrisAfterRecovery holds on linux-sandbox under crashes (the next build wipes the chroot first)', () => {
    expect(violated(linuxSandbox, 'upstream', 'crash')).not.toContain('NoDebrisAfterRecovery');
  });
});
