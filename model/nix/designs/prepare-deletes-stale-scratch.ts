/** Patch 0001: startBuild deletes whatever sits at a floating CA output's scratch path before the build, as it does for a known output. */
import type { Design } from '../design.js';

export default {
  name: 'prepare-deletes-stale-scratch',
  summary: 'startBuild deletes a leftover at the scratch path of a floating CA output before the build (patch 0001)',
  upstream: 'patches/0001-prepare-deletes-stale-scratch.patch',
  hooks: {
    // the patch deletes the store path (printStorePath), as the known-output deletion does: with a
    // chroot that is the host's copy, which only an earlier build without one can have left
    afterScratchChosen: (at) => (at.known ? undefined : { deletePath: at.scratch, note: `removing stale scratch path '${at.scratch}'` }),
  },
} satisfies Design;
