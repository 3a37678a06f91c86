/** A design left out of the series: store-path commands stop printing "don't know how to build" for an invalid path. */
import type { Design } from '../design.js';

export default {
  name: 'print-missing-built-only',
  summary: 'nix store delete and other store-path commands stop printing "don\'t know how to build these paths" for a path that is not valid (left out of the series)',
  upstream: 'patches/not-in-series/0001-print-missing-built-only.patch',
  hooks: {
    // build2 passes only DerivedPath::Built entries to printMissing
    storeDeleteMessages: (at) => at.lines.filter((l) => !l.startsWith("don't know how to build these paths:")),
  },
} satisfies Design;
