/** Patch 0002: startBuild roots every scratch path, so the collector cannot delete an output while it is built. */
import type { Design } from '../design.js';

export default {
  name: 'temp-root-scratch',
  summary: 'startBuild adds a temp root on every scratch path (the --check fallback path too), so GC cannot delete an output being built (patch 0002)',
  upstream: 'patches/0002-temp-root-scratch.patch',
  hooks: {
    afterScratchChosen: (at) => ({ tempRoots: [at.scratch], note: 'addTempRoot(scratch)' }),
  },
} satisfies Design;
