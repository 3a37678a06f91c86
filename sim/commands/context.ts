/**
 * What every subcommand gets: where to write, how to report bad input, and where to leave its
 * exit code. Subcommands never print or exit by themselves, so the CLI runs in-process in tests.
 */
import type { Command } from 'commander';

/** Where the CLI writes: stdout and stderr, or buffers in tests. */
export interface Io {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  /** A terminal gets progress lines on err; a pipe gets none. */
  readonly isTty: boolean;
}

/** Bad input: printed as one line on stderr, exit 2, nothing written. */
export class UsageError extends Error {}

export function fail(msg: string): never {
  throw new UsageError(msg);
}

/**
 * Exit codes, the same for every subcommand: 0 everything asked holds (exhaustively), 1 a
 * violation was found or a trace was not confirmed, 2 bad input, 3 nothing violated but something
 * was inconclusive (a bound cut a search short, or schedules were sampled).
 */
export type ExitCode = 0 | 1 | 2 | 3;

export interface CliContext {
  readonly io: Io;
  /** The directory relative paths are resolved against (the process's cwd). */
  readonly cwd: string;
  exitCode: ExitCode;
}

/** A subcommand: it adds itself (options, help, examples, action) to the program. */
export interface CommandModule {
  readonly register: (program: Command, ctx: CliContext) => void;
}

/** The "Examples:" block every subcommand's --help ends with. */
export function examples(...lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`;
}
