/** Verification over the Nix model: invariants, exhaustive bounded exploration, random walks, checked paths. */
export { INVARIANTS, checkTransition, checkQuiescent, cleanContent } from './invariants.js';
export type { InvariantName, Violation } from './invariants.js';
export { explore, freeScenario, idle } from './explore.js';
export type { ExploreOptions, ExploreResult, ExploreLimit, Counterexample } from './explore.js';
export { walkStates } from './walk.js';
export type { FrontierOptions, WalkBounds, WalkLimit, WalkResult, WalkVisitor } from './walk.js';
export { randomCheck, runSchedule, scheduleArbitrary } from './random.js';
export type { RandomOptions, RandomResult, Outcome } from './random.js';
export { checkPath } from './check-path.js';
export type { PathCheck, PathCheckOptions, PathViolation } from './check-path.js';
export { LevelMerge, ownerOf, Partition, splitInThisThread } from './partition.js';
export type { Claim, KeyedViolation, LevelReport, Moved, NextLevel, PartitionOptions } from './partition.js';
