/** The `outpath` process: real stdout/stderr, exit code from the CLI. */
import { main } from './cli.js';

process.exitCode = main(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTty: process.stderr.isTTY,
});
