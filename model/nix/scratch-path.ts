/**
 * Nix: derivation-builder.cc DerivationBuilderImpl::startBuild @2.34.8, the scratch-path ternary
 * (l.784-797): where the builder writes an output, given what checkPathValidity knows of it.
 *
 * - no known path (floating CA, no realisation): makeFallbackPath(outputName), the same for every
 *   attempt;
 * - a chroot (no hash rewriting needed), or a known path that is absent (or corrupt, when not
 *   repairing): the known path itself;
 * - otherwise the known path is valid (a `--check`) or corrupt under `--repair` (l.791-797: "If we
 *   are repairing ... we'll need to use a temporary path", although acquireResources has deleted
 *   the corrupt copy by then): makeFallbackPath(knownPath), the hash-rewrite fallback path.
 */
import type { Ctx, DrvInfo } from './context.js';
import { usesChroot } from './context.js';
import { chosenScratch } from './hooks.js';
import { makeFallbackPathOf } from './store-path.js';
import type { BuildMode, KnownOutput } from './types.js';

/** The ternary, then the designs' scratchPath hook (NixOS/nix#16465's design changes the choice here). */
export function scratchPathFor(ctx: Ctx, d: DrvInfo, known: KnownOutput | undefined, mode?: BuildMode): string {
  return chosenScratch(ctx, d, known, upstreamScratch(ctx, d, known, mode));
}

function upstreamScratch(ctx: Ctx, d: DrvInfo, known: KnownOutput | undefined, mode: BuildMode | undefined): string {
  if (!known) return d.fallbackPath;
  if (usesChroot(ctx, d) || known.status === 'absent') return known.path;
  if (known.status === 'corrupt' && mode !== 'repair') return known.path;
  return makeFallbackPathOf(d.drvPath, known.path);
}
