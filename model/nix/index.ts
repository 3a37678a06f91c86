/** The Nix model's public surface: scenarios in, worlds, runs and traces out. */
export type * from './types.js';
export { BUILD_EVENT_TYPES, BUILD_PHASES, EVENT_TYPES } from './types.js';
export { VARIANT_SLUGS, RECOMMENDED, NAMED_VARIANTS, PLANTED_BUGS, parseVariant, variantName } from './variants.js';
export type { Variant, VariantSlug, PlantedBug } from './variants.js';
export { NIX_REV, NIX_TAG, SRC } from './sources.js';
export { initialWorld, apply, snapshotWorld, restoreWorld, hashWorld, extendWorld, runToQuiescence, observedTree } from './world.js';
export type { World } from './world.js';
export { runScripted, replayEvents, MAX_STEPS } from './run.js';
export type { Run } from './run.js';
export { enabledEvents, nextBuildEvent } from './enabled.js';
export type { EnabledOptions } from './enabled.js';
export { resolveRef, userName, groupName, drvOf, drvInfo, FIRST_BUILD_UID, NIXBLD_GID } from './context.js';
export type { Ctx, DrvInfo } from './context.js';
export { narText, narOf } from './content.js';
export { makeFallbackPath, STORE_DIR } from './store-path.js';
export { parsesAsStorePath, hashPartOf } from './store-path.js';
export { isDone } from './state.js';
export { canonicalJson } from './hash.js';
