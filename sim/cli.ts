/**
 * `outpath`: the command-line tool, on commander. The only place with console and files; output
 * goes through the `Io` it is given, so tests run it in-process as well as as a real process
 * (sim/main.ts). Each subcommand is a module in sim/commands/ that registers itself; a new one is
 * one more entry in COMMANDS.
 *
 * Exit codes: 0 everything asked holds (exhaustively) / success, 1 a violation found (or a replay
 * not confirmed), 2 bad input (one line on stderr), 3 nothing violated but something inconclusive.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import type { CliContext, CommandModule, Io } from './commands/context.js';
import { UsageError } from './commands/context.js';
import { exploreCommand, MAIN_JOB } from './commands/explore.js';
import { designsCommand, scenariosCommand, variantsCommand } from './commands/listings.js';
import { DesignError } from '../model/nix/index.js';
import { DesignFileError } from './design-file.js';
import { patchesCommandModule } from './commands/patches.js';
import { replayCommand } from './commands/replay.js';
import { reproCommand } from './commands/repro.js';
import { runCommand } from './commands/run.js';
import { showCommand } from './commands/show.js';

export type { Io } from './commands/context.js';

const COMMANDS: readonly CommandModule[] = [exploreCommand, runCommand, replayCommand, showCommand, reproCommand, scenariosCommand, variantsCommand, designsCommand, patchesCommandModule];

function version(): string {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

function program(ctx: CliContext): Command {
  const p = new Command('outpath')
    .description(
      'An executable model of how Nix 2.34.8 prepares, builds, cleans up, registers and garbage-collects output paths. With no arguments: explore seed-487 under every variant (the main job, `npm start`).',
    )
    .version(version(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print this help')
    .helpCommand(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => { ctx.io.out(s); },
      writeErr: (s) => { ctx.io.err(s); },
      // one line, as every other error: commander puts a "did you mean" on a second line
      outputError: (s, write) => { write(`outpath: ${s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`); },
      getOutHelpWidth: () => 100,
      getErrHelpWidth: () => 100,
    })
    .addHelpText('after', '\nExit status: 0 everything asked holds, 1 a violation found (or a trace not confirmed), 2 bad input, 3 nothing violated but something inconclusive.');
  for (const c of COMMANDS) c.register(p, ctx);
  return p;
}

export function main(argv: readonly string[], io: Io, cwd = process.cwd()): number {
  const ctx: CliContext = { io, cwd, exitCode: 0 };
  try {
    program(ctx).parse(argv.length === 0 ? [...MAIN_JOB] : [...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2; // help and --version exit 0; the rest was printed as one line
    // a design file that is not a design, or a design whose hook returns what its point does not allow: bad input
    if (e instanceof UsageError || e instanceof DesignFileError || e instanceof DesignError) {
      io.err(`outpath: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}
