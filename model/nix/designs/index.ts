/**
 * The built-in designs, one file each, in the order names list them (`a+b` is canonicalised to this
 * order), and the named set `recommended`. A design of your own is a file like these, loaded with
 * `outpath explore --design FILE`.
 */
import type { Design } from '../design.js';
import cleanupDeletesScratch from './cleanup-deletes-scratch.js';
import floatingCaSameScratchPath from './floating-ca-same-scratch-path.js';
import prepareDeletesStaleScratch from './prepare-deletes-stale-scratch.js';
import printMissingBuiltOnly from './print-missing-built-only.js';
import recommended from './recommended.js';
import rewriteInStoreTempDir from './rewrite-in-store-temp-dir.js';
import storeDeleteExplains from './store-delete-explains.js';
import tempRootFinalPath from './temp-root-final-path.js';
import tempRootScratch from './temp-root-scratch.js';

export const BUILTIN_DESIGNS: readonly Design[] = [
  prepareDeletesStaleScratch,
  tempRootScratch,
  storeDeleteExplains,
  tempRootFinalPath,
  cleanupDeletesScratch,
  printMissingBuiltOnly,
  rewriteInStoreTempDir,
  floatingCaSameScratchPath,
];

export const RECOMMENDED_SET = recommended;
