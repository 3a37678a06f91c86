/**
 * The scenarios the real-daemon oracle runs (`outpath repro --validation`): each one's own
 * scripted run, sequentialised, on Linux with sandbox = false and the model's `nix-2.8`
 * personality (Debian's nix-bin is 2.8.0), with expectations for upstream and for the backport.
 */
import type { Scenario } from '../../model/nix/index.js';
import { duplicateCaOutput, iaTwin, sameUserRetry, seed487, singleUser } from '../scenarios/builtin.js';
import { GODYN } from '../scenarios/common.js';
import type { Converted } from './from-trace.js';
import { planFromEvents, scriptedEvents } from './from-trace.js';
import type { ReproPlan } from './plan.js';

/** The variant the 2.8 backport implements (patches/backport/nix-2.8). */
export const BACKPORT_VARIANT = 'prepare-deletes-stale-scratch+temp-root-scratch';
export const VALIDATION_VARIANTS = ['upstream', BACKPORT_VARIANT] as const;

const REAL = { platform: 'linux', sandbox: false, nixVersion: '2.8' } as const;

/** An interrupted floating-CA build, then one recovery command on its stranded scratch dir, then a retry as another user. */
function recovery(name: string, command: 'nix store delete' | 'nix-store --delete' | 'gc'): Scenario {
  const drv = 'godyn';
  const cmd =
    command === 'gc'
      ? ({ id: 'recover', kind: 'gc', after: ['a1'] } as const)
      : ({ id: 'recover', kind: 'storeDelete', command, target: { drv, which: 'scratch' }, after: ['a1'] } as const);
  return {
    name,
    doc: `Recovery: '${command === 'gc' ? 'nix store gc' : command}' on the scratch dir an interrupted floating CA build stranded, then a retry as another build user.`,
    settings: { ...seed487.settings, ...REAL },
    derivations: [{ id: drv, name: 'godyn-recover', kind: 'ca-floating', program: GODYN }],
    actors: [
      { id: 'a1', kind: 'build', drv, fault: { kind: 'interrupt', before: 'builderAction', nth: 2 } },
      cmd,
      { id: 'other', kind: 'holdUser', after: ['recover'], releaseAfter: ['a2'] },
      { id: 'a2', kind: 'build', drv, after: ['other'] },
    ],
  };
}

/** The same-user retry with a builder that uses plain `mkdir $out`: EEXIST on the leftover, and it carries on. */
const plainMkdir: Scenario = {
  ...sameUserRetry,
  name: 'plain-mkdir-retry',
  doc: 'Same-user retry of a builder that does plain `mkdir $out` (no -p): EEXIST on the stranded dir; without set -e it carries on and the stale file leaks.',
  settings: { ...sameUserRetry.settings, ...REAL },
  derivations: sameUserRetry.derivations.map((d) => ({ ...d, name: 'godyn-mkdir', program: d.program.map((a) => (a.op === 'mkdirP' ? { op: 'mkdir' as const, path: a.path } : a)) })),
};

export const VALIDATION_SCENARIOS: readonly Scenario[] = [
  { ...seed487, settings: { ...seed487.settings, ...REAL } },
  { ...sameUserRetry, settings: { ...sameUserRetry.settings, ...REAL } },
  { ...iaTwin, settings: { ...iaTwin.settings, ...REAL } },
  { ...singleUser, settings: { ...singleUser.settings, ...REAL } },
  recovery('recovery-nix-store-delete', 'nix store delete'),
  recovery('recovery-nix-store--delete', 'nix-store --delete'),
  recovery('recovery-nix-store-gc', 'gc'),
  plainMkdir,
  // exercises the nix-2.8 personality: 2.8 keeps the canonicalised scratch copy when the CA result is already valid
  { ...duplicateCaOutput, settings: { ...duplicateCaOutput.settings, ...REAL } },
];

export function validationPlans(): Converted<ReproPlan>[] {
  return VALIDATION_SCENARIOS.map((s) => planFromEvents(s, scriptedEvents(s), VALIDATION_VARIANTS));
}
