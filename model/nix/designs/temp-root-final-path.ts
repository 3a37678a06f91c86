/** Patch 0004: registerOutputs roots the final path before moving the output there. */
import type { Design } from '../design.js';

export default {
  name: 'temp-root-final-path',
  summary: 'registerOutputs adds a temp root on the final path before moving the output there (patch 0004)',
  upstream: 'patches/0004-temp-root-final-path.patch',
  hooks: {
    // so the collector cannot take the final path between the move and the registration
    beforeMove: (at) => ({ tempRoots: [at.finalPath] }),
  },
} satisfies Design;
