/** Patch 0003: `nix store delete` says what happens to an argument that is not valid. */
import type { Design } from '../design.js';

export default {
  name: 'store-delete-explains',
  summary: 'nix store delete says what happens to an argument that is not valid: removed if present and not in use (patch 0003)',
  upstream: 'patches/0003-store-delete-explains.patch',
  hooks: {
    // CmdStoreDelete::run, after build2's printMissing
    storeDeleteMessages: (at) =>
      at.command === 'nix store delete' && !at.valid ? [...at.lines, `path '${at.path}' is not valid; it will be removed if present and not in use`] : at.lines,
  },
} satisfies Design;
