/**
 * One line per variant for `outpath variants`. Keyed by slug, so a variant added to the model
 * without a line here does not compile.
 */
import type { VariantSlug } from '../model/nix/index.js';
import { RECOMMENDED, VARIANT_SLUGS } from '../model/nix/index.js';

const SLUG_DOCS: Readonly<Record<VariantSlug, string>> = {
  'prepare-deletes-stale-scratch': 'startBuild deletes a leftover at the scratch path of a floating CA output before the build (patch 0001)',
  'temp-root-scratch': 'startBuild adds a temp root on every scratch path (the --check fallback path too), so GC cannot delete an output being built (patch 0002)',
  'store-delete-explains': 'nix store delete says what happens to an argument that is not valid: removed if present and not in use (patch 0003)',
  'temp-root-final-path': 'registerOutputs adds a temp root on the final path before moving the output there (patch 0004)',
  'cleanup-deletes-scratch': 'cleanupBuild deletes an unregistered floating CA scratch path (a design left out of the series)',
  'print-missing-built-only': 'nix store delete and other store-path commands stop printing "don\'t know how to build these paths" for a path that is not valid (left out of the series)',
  'floating-ca-same-scratch-path': 'NixOS/nix#16465 (open): a floating CA output always builds at makeFallbackPath(outputName), even when a realisation is known',
  'rewrite-in-store-temp-dir': "upstream commit d027dc38e8 (Nix 2.35): the hash-rewrite copy goes to a store temp dir, not <scratch>.tmp",
};

/** Every named variant with its line: upstream, recommended, then each slug. */
export function variantDocs(): readonly (readonly [string, string])[] {
  return [
    ['upstream', 'Nix 2.34.8 as it is'],
    ['recommended', `the series the model shows necessary and sufficient: ${RECOMMENDED.join(' + ')}`],
    ...VARIANT_SLUGS.map((s) => [s, SLUG_DOCS[s]] as const),
  ];
}
