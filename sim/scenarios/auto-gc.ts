/**
 * The automatic GC (min-free / max-free) started by a build's own daemon worker while it builds
 * (model/nix/auto-gc.ts): the same collector as `nix store gc`, beside the build instead of in
 * another process, and ending with that process.
 */
import type { Platform, Scenario } from '../../model/nix/index.js';
import { DARWIN, GODYN } from './common.js';

const CA = { id: 'godyn', name: 'godyn-compile-glob-match', kind: 'ca-floating', program: GODYN } as const;

/** A floating CA build whose worker starts its auto-GC between the builder's second and third command. */
function autoGcDuringCaBuild(name: string, platform: Platform, doc: string): Scenario {
  return {
    name,
    doc,
    settings: { ...DARWIN, platform },
    derivations: [CA],
    actors: [
      // listed first: at the point, the scripted run starts the GC before the build goes on
      { id: 'autogc', kind: 'gc', autoGcOf: 'a1', during: { actor: 'a1', before: 'builderAction', nth: 2 } },
      { id: 'a1', kind: 'build', drv: 'godyn' },
    ],
    explore: { faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1 },
  };
}

export const autoGcDuringCaBuildLinux = autoGcDuringCaBuild(
  'auto-gc-during-ca-build',
  'linux',
  "Linux, sandbox off: free space falls below min-free while a floating CA build runs, and the build's own daemon worker starts the automatic GC from its worker loop. Running beside the build, it finds the scratch path invalid and not a temp root and deletes the in-progress output, as nix store gc would; an interrupt or a crash of the build ends the GC with it.",
);

export const autoGcDuringCaBuildDarwin = autoGcDuringCaBuild(
  'auto-gc-during-ca-build-darwin',
  'darwin',
  'auto-gc-during-ca-build on darwin, where a crash leaves the builder running: the auto-GC dies with the daemon worker, the builder does not.',
);
