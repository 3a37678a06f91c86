/**
 * `npm run validate:patched`: does the model's verdict for each validation scenario match a real
 * nix-daemon, both for upstream and for the patched daemon? Two modes:
 *
 * - `--nix-src DIR` (the version the model is pinned to): Nix 2.34.8 built from a NixOS/nix
 *   checkout with upstream's meson build inside the sid root of the 2.34.8 oracle, unpatched and
 *   with patches/backport-2.34/, checked by the oracle and by Nix's own functional tests
 *   (scripts/lib/patched-2.34.ts says how).
 * - without it: Debian bookworm's nix 2.8.0 with the hand port in patches/backport/nix-2.8:
 *   1. scripts/build-patched-nix.sh builds it (cached by key; a fresh build takes about 16
 *      minutes on 2 cores) and prints the bin dir.
 *   2. `outpath repro --validation --out DIR/plans` writes the scenario plans.
 *   3. scripts/validate-real.ts runs them twice: on Debian's /usr/bin/nix-daemon as `upstream`,
 *      and on the patched daemon (`--daemon-bin`) as the backport's variant. It takes the daemon
 *      lock itself, so this script must not hold it.
 *   4. The two markdown reports are merged into one table, scenario × {model upstream, real
 *      Debian, model variant, real patched} with seconds, ending in `N agree, M disagree`.
 *
 * Not for every CI run: run it when a backport changes, or when the model's upstream or variant
 * semantics for the validation scenarios change.
 *
 * Usage: tsx scripts/validate-patched.ts --nix-src DIR [--out DIR] [--jobs N] [--nice N]
 *          [--build-only] [--no-tests] [--no-validate]
 *        tsx scripts/validate-patched.ts [--build-only] [--out DIR] [--variant NAME]     (2.8)
 * Exit:  0 all agree (and, for --nix-src, every test as predicted), 1 some disagree, 2 a missing
 *        piece, bad input or a failed step.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuildInputError, validatePatched234 } from './lib/patched-2.34.js';
import { norm, parseReport, type Row } from './lib/real-report.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The backport series in patches/backport/nix-2.8 as a model variant (0003 is upstream behaviour since 2.32). */
const BACKPORT_VARIANT = 'prepare-deletes-stale-scratch+temp-root-scratch';

class Missing extends Error {}

function fail(msg: string, code = 2): never {
  process.stderr.write(`validate:patched: ${msg}\n`);
  process.exit(code);
}

interface Args {
  buildOnly: boolean;
  out: string | undefined;
  variant: string;
  nixSrc: string | undefined;
  jobs: number;
  nice: number;
  tests: boolean;
  validate: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { buildOnly: false, out: undefined, variant: BACKPORT_VARIANT, nixSrc: undefined, jobs: 2, nice: 15, tests: true, validate: true };
  const int = (k: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    return Number.isInteger(n) && n >= min ? n : fail(`${k}: expected an integer >= ${String(min)}, got '${v ?? ''}'`);
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--build-only') a.buildOnly = true;
    else if (k === '--out') a.out = argv[++i] ?? fail('--out needs a value');
    else if (k === '--variant') a.variant = argv[++i] ?? fail('--variant needs a value');
    else if (k === '--nix-src') a.nixSrc = argv[++i] ?? fail('--nix-src needs a value');
    else if (k === '--jobs') a.jobs = int(k, argv[++i], 1);
    else if (k === '--nice') a.nice = int(k, argv[++i], 0);
    else if (k === '--no-tests') a.tests = false;
    else if (k === '--no-validate') a.validate = false;
    else fail(`unknown argument ${k ?? ''}`);
  }
  if (a.nixSrc === undefined && (a.jobs !== 2 || a.nice !== 15 || !a.tests || !a.validate)) fail('--jobs, --nice, --no-tests and --no-validate are for --nix-src');
  if (a.nixSrc !== undefined && a.variant !== BACKPORT_VARIANT) fail('--variant is for the 2.8 mode; with --nix-src each stage has its own variant');
  return a;
}

/** Runs a command with its output shown live (stdout captured instead if asked); returns captured stdout. */
function run(cmd: string, args: readonly string[], what: string, capture = false): string {
  process.stderr.write(`\n$ ${cmd} ${args.join(' ')}\n`);
  const r = spawnSync(cmd, args, {
    cwd: REPO,
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited with ${r.status ?? r.signal ?? '?'}`);
  return capture ? r.stdout : '';
}

/** The pieces other scripts provide; named in the failure so that nobody has to guess. */
function checkPrerequisites(): void {
  const missing: string[] = [];
  if (!existsSync(path.join(REPO, 'scripts/validate-real.ts')))
    missing.push('scripts/validate-real.ts (the real-daemon runner: --plans DIR --variant V [--daemon-bin DIR] --report FILE)');
  if (!existsSync(path.join(REPO, 'sim/main.ts')))
    missing.push('sim/main.ts (the `outpath` CLI, which must provide `outpath repro --validation --out DIR`)');
  if (missing.length > 0) throw new Missing(`missing piece(s):\n  - ${missing.join('\n  - ')}`);
}

// ---------------------------------------------------------------- report merge ---------------

/** The `MISMATCH: …` lines under each `### <scenario>` heading of a report, by scenario. */
function parseMismatches(md: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let current: string | undefined;
  for (const line of md.split('\n')) {
    const h = /^###\s+(\S+?):?\s/.exec(line + ' ');
    if (h) current = h[1];
    else if (current && line.startsWith('MISMATCH')) out.set(current, [...(out.get(current) ?? []), line]);
  }
  return out;
}

function mismatchSection(title: string, m: Map<string, string[]>): string[] {
  if (m.size === 0) return [];
  const lines = ['', `Why (${title}):`];
  for (const [n, ls] of m) lines.push(`- ${n}: ${ls.map((l) => l.replace(/^MISMATCH:\s*/, '')).join('; ')}`);
  return lines;
}

function mergeReports(up: Map<string, Row>, vr: Map<string, Row>, variant: string): string {
  const names = [...new Set([...up.keys(), ...vr.keys()])];
  const out: string[] = [];
  out.push(`| scenario | model upstream | real Debian 2.8.0 | s | model ${variant} | real patched 2.8.0 | s | agree (up / patched) |`);
  out.push('|---|---|---|---:|---|---|---:|---|');
  let agree = 0;
  let disagree = 0;
  const differ: string[] = [];
  for (const n of names) {
    const u = up.get(n);
    const v = vr.get(n);
    for (const r of [u, v]) {
      if (!r) continue;
      if (r.agree) agree++;
      else disagree++;
    }
    const mark = (r: Row | undefined): string => (r ? (r.agree ? 'yes' : '**NO**') : '–');
    out.push(
      `| ${n} | ${u?.model ?? '–'} | ${u?.real ?? '–'} | ${u?.seconds ?? ''} | ${v?.model ?? '–'} | ${v?.real ?? '–'} | ${v?.seconds ?? ''} | ${mark(u)} / ${mark(v)} |`,
    );
    if (u && v && norm(u.real) !== norm(v.real)) differ.push(`- ${n}: real Debian \`${u.real}\` → real patched \`${v.real}\``);
  }
  out.push('');
  out.push(`${agree} agree, ${disagree} disagree`);
  out.push('');
  out.push(`Scenarios where the patched daemon behaved differently from Debian's (${differ.length}):`);
  out.push(...(differ.length > 0 ? differ : ['- none']));
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------- main -----------------------

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) fail('run as root (apt-get for the build, and the real daemon)');
  if (args.nixSrc !== undefined) {
    const t0 = Date.now();
    const log = (msg: string): void => {
      process.stderr.write(`[validate-patched ${((Date.now() - t0) / 1000).toFixed(0).padStart(5)}s] ${msg}\n`);
    };
    const out = path.resolve(args.out ?? mkdtempSync(path.join(tmpdir(), 'validate-patched-')));
    validatePatched234({ repo: REPO, nixSrc: path.resolve(args.nixSrc), out, jobs: args.jobs, nice: args.nice, buildOnly: args.buildOnly, tests: args.tests, validate: args.validate }, log).then(
      (code) => process.exit(code),
      (e: unknown) => fail(e instanceof BuildInputError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)),
    );
    return;
  }

  if (!args.buildOnly) {
    try {
      checkPrerequisites();
    } catch (e) {
      if (e instanceof Missing)
        fail(`${e.message}\nThe patched build alone: tsx scripts/validate-patched.ts --build-only (or scripts/build-patched-nix.sh).`);
      throw e;
    }
  }

  const built = run('bash', [path.join(REPO, 'scripts/build-patched-nix.sh')], 'scripts/build-patched-nix.sh', true);
  const binDir = built.trim().split('\n').at(-1) ?? '';
  if (!existsSync(path.join(binDir, 'nix-daemon'))) fail(`build-patched-nix.sh printed no usable bin dir (got '${binDir}')`);
  process.stderr.write(`patched bin dir: ${binDir}\n`);
  if (args.buildOnly) {
    process.stdout.write(`${binDir}\n`);
    return;
  }

  const out = args.out ?? mkdtempSync(path.join(tmpdir(), 'validate-patched-'));
  const plans = path.join(out, 'plans');
  mkdirSync(out, { recursive: true });
  try {
    // Debian bookworm's 2.8.0 and its backport: the plans carry the model's 2.8 personality
    run('npx', ['outpath', 'repro', '--validation', '--nix', '2.8', '--out', plans], 'outpath repro --validation --nix 2.8');
  } catch (e) {
    fail(`${(e as Error).message}: the missing piece is \`outpath repro --validation --out DIR\` (sim/main.ts)`);
  }
  if (!existsSync(plans) || readdirSync(plans).length === 0)
    fail(`\`outpath repro --validation\` wrote no plans into ${plans}: that piece is missing or incomplete`);

  const upReport = path.join(out, 'real-upstream.md');
  const vrReport = path.join(out, 'real-patched.md');
  const tsx = path.join(REPO, 'node_modules/.bin/tsx');
  const runner = path.join(REPO, 'scripts/validate-real.ts');
  const t0 = Date.now();
  // A disagreement is a result, not a crash: keep going and report it.
  const runReal = (extra: readonly string[], report: string, what: string): void => {
    try {
      run(tsx, [runner, '--nix', '2.8', '--plans', plans, ...extra, '--report', report], what);
    } catch (e) {
      if (!existsSync(report)) fail(`${(e as Error).message}; no report at ${report}`);
      process.stderr.write(`${(e as Error).message} (report written; merging)\n`);
    }
  };
  runReal(['--variant', 'upstream'], upReport, 'validate-real upstream (Debian /usr/bin/nix-daemon)');
  runReal(['--variant', args.variant, '--daemon-bin', binDir], vrReport, `validate-real ${args.variant} (patched daemon)`);

  const upMd = readFileSync(upReport, 'utf8');
  const vrMd = readFileSync(vrReport, 'utf8');
  const merged =
    mergeReports(parseReport(upMd), parseReport(vrMd), args.variant) +
    [...mismatchSection('upstream vs Debian', parseMismatches(upMd)), ...mismatchSection(`${args.variant} vs patched`, parseMismatches(vrMd))]
      .map((l) => l + '\n')
      .join('');
  const header =
    `# validate:patched\n\npatched bin dir: ${binDir}\nvariant: ${args.variant}\n` +
    `real-daemon runs: ${Math.round((Date.now() - t0) / 1000)} s\nreports: ${upReport}, ${vrReport}\n\n`;
  const count = /^\d+ agree, \d+ disagree$/m.exec(merged)?.[0] ?? '0 agree, 0 disagree';
  writeFileSync(path.join(out, 'validate-patched.md'), header + merged);
  process.stdout.write(`${header}${merged}\n${count}\n`);
  process.stderr.write(`merged report: ${path.join(out, 'validate-patched.md')}\n`);
  if (count === '0 agree, 0 disagree') fail('the reports held no scenarios');
  process.exit(count.endsWith(' 0 disagree') ? 0 : 1);
}

main();
