/** Not ours: an open upstream PR. */
import type { Design } from '../design.js';

export default {
  name: 'floating-ca-same-scratch-path',
  summary: 'NixOS/nix#16465 (open): a floating CA output always builds at makeFallbackPath(outputName), even when a realisation is known',
  upstream: 'NixOS/nix#16465 (open)',
  hooks: {
    // a rebuild or a --check sees the same $out as the first build
    scratchPath: (at) => (at.drv.kind === 'ca-floating' ? at.drv.fallbackPath : undefined),
  },
} satisfies Design;
