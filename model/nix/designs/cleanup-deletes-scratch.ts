/** A design left out of the series: cleanupBuild deletes an unregistered floating CA scratch output. */
import type { Design } from '../design.js';

export default {
  name: 'cleanup-deletes-scratch',
  summary: 'cleanupBuild deletes an unregistered floating CA scratch path (a design left out of the series)',
  upstream: 'patches/not-in-series/0001-cleanup-deletes-scratch.patch',
  hooks: {
    cleanupBuild: (at) => {
      if (at.outcome === 'success' || at.keepFailed) return undefined;
      if (at.known !== undefined || at.scratch === undefined || at.scratchOnHost === undefined || at.store.isValid(at.scratch)) return undefined;
      return { deletePath: at.scratchOnHost, note: `deleting unregistered scratch output '${at.scratchOnHost}'` };
    },
  },
} satisfies Design;
