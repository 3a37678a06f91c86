/** Verification over the Nix model: invariants, exhaustive bounded exploration, random walks. */
export { INVARIANTS, checkTransition, checkQuiescent, cleanContent } from './invariants.js';
export type { InvariantName, Violation } from './invariants.js';
export { explore, freeScenario } from './explore.js';
export type { ExploreOptions, ExploreResult, Counterexample } from './explore.js';
export { randomCheck, runSchedule, scheduleArbitrary } from './random.js';
export type { RandomOptions, RandomResult, Outcome } from './random.js';
