/**
 * npm run check:citations -- --nix-src DIR [--citations FILE]: checks every structured citation
 * (model/nix/citations.ts) against NixOS/nix at the pinned tag, read from DIR (a clone or a bare
 * git dir). Exit 0 all right, 1 some wrong (each named), 2 bad input. See sim/citations-command.ts.
 */
import { citationsCommand } from '../sim/citations-command.js';

const { exitCode, text } = citationsCommand(process.argv.slice(2));
(exitCode === 2 ? process.stderr : process.stdout).write(`${text}\n`);
process.exitCode = exitCode;
