/**
 * The bench's scenarios: seed-487 as shipped, and a larger one with free interleavings (three
 * concurrent builds and a GC, no `after` chains), plus the growth steps the cost-per-state table
 * compares against it. Bench-only: nothing here is a built-in scenario or a verdict.
 */
import type { ActorSpec, DerivationSpec, ExploreBounds, Scenario } from '../model/nix/index.js';
import { seed487 } from '../sim/scenarios/builtin.js';
import { DARWIN, GODYN } from '../sim/scenarios/common.js';

/** The report's floating CA derivation. */
const GODYN_DRV: DerivationSpec = { id: 'godyn', name: 'godyn-compile-glob-match', kind: 'ca-floating', program: GODYN };

/** A second, input-addressed derivation built alongside it (its output path is known, so its lock differs). */
const ZLIB_DRV: DerivationSpec = {
  id: 'zlib',
  name: 'zlib',
  kind: 'input-addressed',
  program: [
    { op: 'mkdirP', path: '' },
    { op: 'writeFile', path: 'libz.a', content: 'zlib archive' },
  ],
};

/** The size knobs of the larger scenario: how many builds (beyond the base three), build users, free faults. */
export interface TrioSize {
  /** Builds in all: the first three are godyn, godyn, zlib; every further one builds zlib again. */
  readonly builds: number;
  readonly buildUsers: number;
  readonly maxFaults: number;
}

export const TRIO_BASE: TrioSize = { builds: 3, buildUsers: 4, maxFaults: 1 };

const BUILD_DRVS = ['godyn', 'godyn', 'zlib'] as const;

/**
 * Two builds of the same floating CA derivation and one of an input-addressed one, all free to
 * interleave (no `after`), with `nix store gc` free to run at any point between their steps;
 * darwin, sandbox off, so the scratch path is in /nix/store. Interrupts may hit any build.
 */
export function concurrentTrio(size: TrioSize = TRIO_BASE): Scenario {
  const builds: ActorSpec[] = Array.from({ length: size.builds }, (_, i) => ({
    id: `b${String(i + 1)}`,
    kind: 'build',
    drv: BUILD_DRVS[i] ?? 'zlib',
  }));
  const explore: ExploreBounds = { faults: ['interrupt'], maxFaults: size.maxFaults };
  return {
    name: size === TRIO_BASE ? 'concurrent-trio' : `concurrent-trio(${trioLabel(size)})`,
    doc: 'darwin, sandbox off: two builds of one floating CA derivation and one of an input-addressed derivation, concurrent with nix store gc; an interrupt may land on any build.',
    settings: { ...DARWIN, buildUsers: size.buildUsers },
    derivations: [GODYN_DRV, ZLIB_DRV],
    actors: [...builds, { id: 'gc', kind: 'gc' }],
    explore,
  };
}

export function trioLabel(size: TrioSize): string {
  return `${String(size.builds)} builds, ${String(size.buildUsers)} users, ${String(size.maxFaults)} fault${size.maxFaults === 1 ? '' : 's'}`;
}

// ---------------------------------------------------------------- growth steps

/** The scenarios the bench measures. */
export const FAMILIES = ['seed-487', 'concurrent-trio'] as const;
export type Family = (typeof FAMILIES)[number];

/** One change at a time against the base: the cost-per-state table compares each to `base`. */
export const GROWTH_STEPS = ['base', '+1 build', '+1 user', '+1 fault'] as const;
export type GrowthStep = (typeof GROWTH_STEPS)[number];

/** A scenario as the bench explores it: free interrupts only, at most `maxFaults` of them. */
export interface Sized {
  readonly scenario: Scenario;
  readonly maxFaults: number;
  /** What the step changed, in words, for the tables. */
  readonly change: string;
}

/** seed-487 as shipped, one change at a time (its fault targets stay ['a1'], as shipped). */
function seedStep(step: GrowthStep): Sized {
  switch (step) {
    case 'base':
      return { scenario: seed487, maxFaults: 1, change: 'as shipped: 3 sequential builds, 4 users, interrupts on a1, ≤ 1 fault' };
    case '+1 build':
      return {
        scenario: { ...seed487, actors: [...seed487.actors, { id: 'a4', kind: 'build', drv: 'godyn', after: ['delete'] }] },
        maxFaults: 1,
        change: 'a4: a fourth build of godyn after the delete, racing a3',
      };
    case '+1 user':
      return { scenario: { ...seed487, settings: { ...seed487.settings, buildUsers: 5 } }, maxFaults: 1, change: '5 build users' };
    case '+1 fault':
      return { scenario: seed487, maxFaults: 2, change: 'maxFaults 2 (interrupts still only on a1)' };
  }
}

function trioStep(step: GrowthStep): Sized {
  switch (step) {
    case 'base':
      return { scenario: concurrentTrio(TRIO_BASE), maxFaults: 1, change: `${trioLabel(TRIO_BASE)}, gc` };
    case '+1 build':
      return { scenario: concurrentTrio({ ...TRIO_BASE, builds: 4 }), maxFaults: 1, change: 'b4: a second build of zlib' };
    case '+1 user':
      return { scenario: concurrentTrio({ ...TRIO_BASE, buildUsers: 5 }), maxFaults: 1, change: '5 build users' };
    case '+1 fault':
      return { scenario: concurrentTrio({ ...TRIO_BASE, maxFaults: 2 }), maxFaults: 2, change: 'maxFaults 2' };
  }
}

export function sized(family: Family, step: GrowthStep): Sized {
  return family === 'seed-487' ? seedStep(step) : trioStep(step);
}
