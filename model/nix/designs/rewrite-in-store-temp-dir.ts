/** Not ours: upstream's own fix, in 2.35.0. */
import type { Design } from '../design.js';

export default {
  name: 'rewrite-in-store-temp-dir',
  summary: 'upstream commit d027dc38e8 (Nix 2.35): the hash-rewrite copy goes to a store temp dir, not <scratch>.tmp',
  upstream: 'NixOS/nix commit d027dc38e8 (NixOS/nix#15860), in 2.35.0',
  hooks: {
    hashRewrite: () => 'storeTempDir',
  },
} satisfies Design;
