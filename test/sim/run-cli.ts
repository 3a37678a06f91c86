import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main } from '../../sim/cli.js';

export interface CliResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** The CLI in-process, with its output captured. */
export function cli(...argv: string[]): CliResult {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTty: false });
  return { code, out, err };
}

const root = join(import.meta.dirname, '..', '..');

/** The real `outpath` process (bin/outpath.js), as a contributor runs it. */
export function cliProcess(...argv: string[]): CliResult {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'outpath.js'), ...argv], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
