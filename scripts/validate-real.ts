/**
 * `npm run validate:real` (issue #6): the real-daemon oracle. Runs each repro plan on a real
 * nix-daemon and compares what really happened with the model's prediction.
 *
 * The plans come from the model: `outpath repro --validation --out DIR` writes them, this script
 * reads DIR. (test/fixtures/repro-dev holds hand-written plans for developing the harness only;
 * their expectations are guesses, not the model's.)
 *
 * For each plan: render it to a bash script (sim/repro/render.ts), run it against a daemon this
 * script started with the plan's settings, read the observation file it writes, compare with
 * `plan.expect[variant]` (sim/repro/observe.ts). Prints `scenario | model | real | seconds | agree`
 * and `N agree, M disagree`; `--report FILE` writes the same as markdown for docs/fidelity.md.
 *
 * Usage: tsx scripts/validate-real.ts --plans DIR [--variant upstream] [--daemon-bin DIR]
 *          [--daemon-libexec DIR] [--only a,b] [--report FILE] [--work DIR]
 *          [--timeout SECONDS (per plan, 600)] [--lock-wait SECONDS (1800)]
 * Exit:  0 all agree, 1 some disagree, 2 harness error (bad plan, not root, daemon trouble, a
 *        script that could not run), 130/143 stopped by a signal.
 *
 * Machine effects (root, Debian): installs nix-bin if missing; creates group nixbld and users
 * nixbld1..N if missing; starts and stops its own nix-daemon(s) with a throwaway NIX_CONF_DIR
 * (never /etc/nix/nix.conf); holds /var/lock/nix-outpath-lab-daemon.lock throughout, so it never
 * shares the daemon with another user of that lock; refuses to run if a daemon it did not start
 * answers. Plans with GC steps collect every unrooted path in /nix/store.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { compareObservation, parseObservationFile, type Mismatch } from '../sim/repro/observe.js';
import { parsePlan, type Observation, type ReproPlan } from '../sim/repro/plan.js';
import { renderScript } from '../sim/repro/render.js';
import { disagreementDetails, renderReport, reportTable, totalsLine, verdictOf, type ReportRow } from '../sim/repro/report.js';
import {
  acquireDaemonLock,
  daemonAnswers,
  ensureBuildUsers,
  ensureNixInstalled,
  run,
  settingsKey,
  startDaemon,
  writeNixConf,
  type HeldLock,
  type RunningDaemon,
} from './lib/real-daemon.js';

interface Args {
  plans: string;
  variant: string;
  daemonBin?: string;
  daemonLibexec?: string;
  only?: Set<string>;
  report?: string;
  work?: string;
  timeoutSec: number;
  lockWaitSec: number;
}

class HarnessError extends Error {}

const t0 = Date.now();
const log = (msg: string): void => {
  process.stderr.write(`[validate-real ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
};

function usage(): never {
  process.stderr.write(
    'usage: tsx scripts/validate-real.ts --plans DIR [--variant upstream] [--daemon-bin DIR] [--daemon-libexec DIR]\n' +
      '         [--only a,b] [--report FILE] [--work DIR] [--timeout SECONDS] [--lock-wait SECONDS]\n',
  );
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const a: Partial<Args> & { timeoutSec: number; lockWaitSec: number; variant: string } = { timeoutSec: 600, lockWaitSec: 1800, variant: 'upstream' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = (): string => argv[++i] ?? usage();
    const num = (): number => {
      const n = Number(v());
      return Number.isFinite(n) && n > 0 ? n : usage();
    };
    if (k === '--plans') a.plans = v();
    else if (k === '--variant') a.variant = v();
    else if (k === '--daemon-bin') a.daemonBin = path.resolve(v());
    else if (k === '--daemon-libexec') a.daemonLibexec = path.resolve(v());
    else if (k === '--only') a.only = new Set(v().split(',').filter(Boolean));
    else if (k === '--report') a.report = path.resolve(v());
    else if (k === '--work') a.work = path.resolve(v());
    else if (k === '--timeout') a.timeoutSec = num();
    else if (k === '--lock-wait') a.lockWaitSec = num();
    else if (k === '-h' || k === '--help') usage();
    else {
      process.stderr.write(`unknown argument ${k ?? ''}\n`);
      usage();
    }
  }
  if (a.plans === undefined) usage();
  return { ...a, plans: a.plans };
}

interface LoadedPlan {
  readonly file: string;
  readonly plan: ReproPlan;
}

function loadPlans(args: Args): LoadedPlan[] {
  if (!existsSync(args.plans)) throw new HarnessError(`--plans ${args.plans} does not exist (generate it with: outpath repro --validation --out DIR)`);
  const files = readdirSync(args.plans).filter((f) => f.endsWith('.json')).sort();
  const out: LoadedPlan[] = [];
  const errors: string[] = [];
  for (const f of files) {
    const file = path.join(args.plans, f);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      errors.push(`${f}: not JSON: ${(e as Error).message}`);
      continue;
    }
    const r = parsePlan(json);
    if (!r.ok) errors.push(`${f}: ${r.error}`);
    else if (!args.only || args.only.has(r.plan.scenario) || args.only.has(path.basename(f, '.json'))) out.push({ file, plan: r.plan });
  }
  if (errors.length > 0) throw new HarnessError(`invalid plan(s):\n  ${errors.join('\n  ')}`);
  if (out.length === 0) throw new HarnessError(`no plans to run in ${args.plans}${args.only ? ` matching --only ${[...args.only].join(',')}` : ''}`);
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.plan.scenario)) throw new HarnessError(`two plans are named ${p.plan.scenario}`);
    seen.add(p.plan.scenario);
  }
  return out;
}

// --------------------------------------------------------------------- one plan, one script ---

interface ScriptRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** The script child currently running, so a signal handler can stop it (by PID). */
let current: { pid: number } | undefined;

function runScript(script: string, argv: readonly string[], env: NodeJS.ProcessEnv, timeoutSec: number, prefix: string): Promise<ScriptRun> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) current = { pid: child.pid };
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split('\n')) if (line) process.stderr.write(`  ${prefix} ${line}\n`);
    });
    // The script's own EXIT trap stops its clients, so SIGTERM it first and only then SIGKILL.
    const kill = setTimeout(() => {
      timedOut = true;
      log(`${prefix}: timeout after ${timeoutSec}s, SIGTERM to script PID ${String(child.pid)}`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 30_000).unref();
    }, timeoutSec * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      current = undefined;
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

async function runPlan(lp: LoadedPlan, args: Args, daemon: RunningDaemon, workRoot: string): Promise<ReportRow> {
  const { plan } = lp;
  const model: Observation | undefined = plan.expect[args.variant];
  const started = Date.now();
  const seconds = (): number => (Date.now() - started) / 1000;
  const base = { scenario: plan.scenario, seconds: 0, mismatches: [] as Mismatch[], ...(model ? { model } : {}) };
  if (!model) return { ...base, error: `the plan has no expectation for variant ${args.variant} (has: ${Object.keys(plan.expect).join(', ')})` };

  const dir = path.join(workRoot, plan.scenario);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // build users traverse it to reach the control dir
  const script = path.join(dir, 'repro.sh');
  writeFileSync(script, renderScript(plan, { variant: args.variant, platform: 'linux' }), { mode: 0o755 });
  const obsFile = path.join(dir, 'observation.json');
  const r = await runScript(script, ['--obs', obsFile, '--work', path.join(dir, 'run')], daemon.env, args.timeoutSec, plan.scenario);
  writeFileSync(path.join(dir, 'script.stdout'), r.stdout);
  writeFileSync(path.join(dir, 'script.stderr'), r.stderr);
  const harnessLine = r.stderr.split('\n').filter((l) => l.includes('HARNESS ERROR')).pop()?.replace(/^.*HARNESS ERROR: /, '');
  if (r.timedOut) return { ...base, seconds: seconds(), error: `timed out after ${args.timeoutSec}s` };
  if (r.code !== 0 && r.code !== 1) {
    return { ...base, seconds: seconds(), error: harnessLine ?? `script exited ${String(r.code ?? r.signal)}: ${r.stderr.trim().split('\n').slice(-2).join(' / ')}` };
  }
  if (!existsSync(obsFile)) return { ...base, seconds: seconds(), error: `script exited ${String(r.code)} without writing ${obsFile}` };
  const parsed = parseObservationFile(JSON.parse(readFileSync(obsFile, 'utf8')));
  if (!parsed.ok) return { ...base, seconds: seconds(), error: `bad observation file: ${parsed.error}` };
  const real = parsed.file.observation;
  const mismatches = compareObservation(model, real);
  // The script compared too (embedded python); both comparators must agree, or one has drifted.
  const scriptSaysMatch = r.code === 0;
  if (scriptSaysMatch !== (mismatches.length === 0) || parsed.file.verdict.mismatches.length !== mismatches.length) {
    return { ...base, real, mismatches, seconds: seconds(), error: `comparator drift: script says ${scriptSaysMatch ? 'MATCH' : 'MISMATCH'} (${parsed.file.verdict.mismatches.length}), observe.ts finds ${mismatches.length} mismatch(es)` };
  }
  return { ...base, real, mismatches, seconds: seconds() };
}

// ------------------------------------------------------------------------------------- main ---

/** Set by the first SIGINT/SIGTERM/SIGHUP; the main loop stops at the next step and cleans up. */
let stopping: NodeJS.Signals | undefined;
const aborter = new AbortController();
// Installed before anything starts, so no signal can leave a daemon or the lock behind.
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(s, (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = sig;
    log(`${sig}: stopping`);
    aborter.abort();
    if (current) process.kill(current.pid, 'SIGTERM'); // its trap stops its clients; we stop the daemon below
  });
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux') throw new HarnessError('validate-real runs on linux (Debian) only; on darwin run a rendered script by hand');
  if (process.getuid?.() !== 0) throw new HarnessError('run as root (it installs nix-bin, creates build users, starts a nix-daemon)');
  const plans = loadPlans(args);
  log(`${plans.length} plan(s) from ${args.plans}, variant ${args.variant}${args.daemonBin ? `, daemon from ${args.daemonBin}` : ''}`);
  if (args.daemonBin && !existsSync(path.join(args.daemonBin, 'nix-daemon'))) throw new HarnessError(`--daemon-bin ${args.daemonBin} has no nix-daemon`);

  const workRoot = args.work ?? mkdtempSync(path.join(tmpdir(), 'nol-validate-'));
  mkdirSync(workRoot, { recursive: true });
  chmodSync(workRoot, 0o755);
  log(`work dir ${workRoot}`);

  let lock: HeldLock | undefined;
  let daemon: RunningDaemon | undefined;

  const rows: ReportRow[] = [];
  let nixVersion: string | undefined;
  let daemonDesc: string | undefined;
  try {
    lock = await acquireDaemonLock(args.lockWaitSec, log, aborter.signal);
    ensureNixInstalled(log);
    ensureBuildUsers(Math.max(4, ...plans.map((p) => p.plan.settings.buildUsers)), log);
    nixVersion = run('nix', ['--version'], { timeoutSec: 20 }).stdout.trim();
    const daemonCmd = args.daemonBin ? path.join(args.daemonBin, 'nix-daemon') : 'nix-daemon';
    daemonDesc = `${daemonCmd} (${run(daemonCmd, ['--version'], { timeoutSec: 20 }).stdout.trim()})`;
    if (daemonAnswers(process.env)) {
      throw new HarnessError('a nix-daemon this script did not start answers on the socket; stop it first (its owner should hold /var/lock/nix-outpath-lab-daemon.lock)');
    }
    // Plans that need the same daemon settings run back to back: one daemon restart per change.
    const order = [...plans].sort((a, b) => settingsKey(a.plan.settings).localeCompare(settingsKey(b.plan.settings)));
    const results = new Map<string, ReportRow>();
    for (const lp of order) {
      if (stopping) break;
      const key = settingsKey(lp.plan.settings);
      if (daemon && (daemon.key !== key || !daemon.isAlive())) {
        await daemon.stop();
        daemon = undefined;
      }
      if (!daemon) {
        const confEnv = writeNixConf(path.join(workRoot, `conf-${key}`), lp.plan.settings);
        daemon = await startDaemon(
          { ...(args.daemonBin ? { binDir: args.daemonBin } : {}), ...(args.daemonLibexec ? { libexecDir: args.daemonLibexec } : {}), confEnv, key, logFile: path.join(workRoot, `daemon-${key}.log`) },
          log,
        );
      }
      if (stopping) break;
      log(`${lp.plan.scenario}: running (${key})`);
      const row = await runPlan(lp, args, daemon, workRoot);
      results.set(lp.plan.scenario, row);
      log(`${lp.plan.scenario}: ${verdictOf(row)}${row.error !== undefined ? ` (${row.error})` : ''} in ${row.seconds.toFixed(1)}s`);
    }
    for (const lp of plans) {
      const r = results.get(lp.plan.scenario);
      if (r) rows.push(r);
    }
  } finally {
    if (daemon) await daemon.stop();
    if (lock) await lock.release();
  }

  if (stopping) return stoppedCode();
  const wall = (Date.now() - t0) / 1000;
  // Both sides of each disagreement first, so the table and its totals line end the output.
  const details = disagreementDetails(rows);
  if (details) process.stdout.write('\n' + details + '\n');
  process.stdout.write('\n' + reportTable(rows));
  log(`wall time ${wall.toFixed(1)}s; ${totalsLine(rows)}`);
  if (args.report) {
    mkdirSync(path.dirname(args.report), { recursive: true });
    writeFileSync(
      args.report,
      renderReport(rows, { variant: args.variant, nix: nixVersion ?? '?', daemon: daemonDesc ?? '?', plans: args.plans, host: hostname(), date: new Date().toISOString(), wallSeconds: wall }),
    );
    log(`report written to ${args.report}`);
  }
  if (rows.some((r) => verdictOf(r) === 'error')) return 2;
  return rows.every((r) => verdictOf(r) === 'agree') ? 0 : 1;
}

function stoppedCode(): number {
  log(`stopped by ${String(stopping)}`);
  return stopping === 'SIGINT' ? 130 : 143;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (stopping) process.exit(stoppedCode());
    log(e instanceof HarnessError ? `error: ${e.message}` : `unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(2);
  },
);
