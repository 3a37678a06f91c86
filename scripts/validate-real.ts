/**
 * `npm run validate:real`: the real-daemon oracle. Runs each validation plan on a real nix-daemon
 * and compares what really happened with the model's prediction.
 *
 * Two daemons, chosen with `--nix`:
 * - `2.34.8` (default): Debian sid's nix-bin 2.34.8, the version the model is pinned to, inside a
 *   sid root this script makes once and caches under /var/cache/nix-outpath-lab
 *   (scripts/lib/sid-root.ts). It refuses any other version.
 * - `2.8`: Debian bookworm's nix-bin 2.8.0 on the host, against the model's `nix-2.8`
 *   personality (the second oracle). It refuses any other version.
 *
 * The plans come from the model: without `--plans` this script asks the model for them
 * (the same as `outpath repro --validation --nix V --out DIR`). For each plan: render it to a
 * bash script (sim/repro/render.ts), run it against a daemon this script started with the plan's
 * settings, read the observation file it writes, compare with `plan.expect[variant]`
 * (sim/repro/observe.ts). Prints `scenario | model | real | seconds | agree`, the daemon's
 * version line and `N agree, M disagree`; `--report FILE` writes the same as markdown.
 *
 * `--faults` (npm run validate:faults): instead of the validation plans, every upstream
 * counterexample docs/verification.md links (explored afresh, or the traces in `--traces DIR`)
 * plus a sweep of registration, as plans that hold the daemon at its own file operations
 * (scripts/lib/fault-plans.ts, sim/repro/from-fault-trace.ts); the daemon runs with the fault
 * injector (sim/repro/fault-inject.c, built with the host's gcc and self-checked first). Prints
 * `N agree, M disagree, K not realisable` and the reason for each of the K.
 *
 * Usage: tsx scripts/validate-real.ts [--nix 2.34.8|2.8] [--plans DIR] [--variant upstream]
 *          [--daemon-bin DIR] [--daemon-libexec DIR] [--only a,b] [--report FILE] [--work DIR]
 *          [--timeout SECONDS (per plan, 600)] [--lock-wait SECONDS (1800)] [--faults [--traces DIR]]
 * `--daemon-bin` (a patched build): a host dir holding nix-daemon for 2.8; for 2.34.8 a dir inside
 * the sid root, given as seen inside it or as its host path. `--work` (2.8 only): where scripts,
 * observations and logs go; for 2.34.8 that is <root>/nol/validate, emptied at each run.
 * Exit:  0 all agree, 1 some disagree, 2 harness error (bad plan, not root, wrong version, daemon
 *        trouble, a script that could not run), 130/143 stopped by a signal.
 *
 * Machine effects (root, Debian): see scripts/lib/sid-root.ts (2.34.8: debootstrap on the host,
 * the cached root, a lock on /var/cache/nix-outpath-lab/daemon.lock) and scripts/lib/real-daemon.ts
 * (2.8: installs nix-bin and build users on the host, /var/lock/nix-outpath-lab-daemon.lock).
 * Either way: throwaway nix.conf via NIX_CONF_DIR, daemon and every process stopped by PID,
 * refuses to run if a daemon it did not start answers. Plans with GC steps collect every
 * unrooted path in that store. A diverted-store plan (2.34.8) gets a daemon whose store is the chroot
 * store <root>/nol/diverted-store, emptied each time that daemon starts.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { compareObservation, parseObservationFile, type Mismatch } from '../sim/repro/observe.js';
import { DIVERTED_STORE_ROOT, parsePlan, type Observation, type PlanSettings, type ReproPlan } from '../sim/repro/plan.js';
import { renderScript } from '../sim/repro/render.js';
import { disagreementDetails, renderReport, reportTable, totalsLine, verdictOf, type ReportRow } from '../sim/repro/report.js';
import { ORACLE_NIX_VERSIONS, validationPlans, type OracleNix } from '../sim/repro/validation-plans.js';
import { buildInjector, cellsOf, exploreUpstream, faultCells, injectorSelfCheck, installInjector, noNamespacesSelfCheck, notRunnable, registrationSweep, upstreamScenarios, writeFaultPlans } from './lib/fault-plans.js';
import {
  acquireDaemonLock,
  daemonAnswers,
  daemonOnlyEnv,
  ensureBuildUsers,
  ensureNixInstalled,
  namespaceEnv,
  run,
  settingsKey,
  startDaemon,
  writeNixConf,
  type HeldLock,
  type RunningDaemon,
} from './lib/real-daemon.js';
import {
  CACHE_DIR,
  acquireRootDaemonLock,
  ensureSidRoot,
  openRootSession,
  reapStaleRootDaemon,
  ROOT_BUILD_USERS,
  signal,
  startRootDaemon,
  WrongNixVersion,
  type ProcId,
  type RootDaemon,
  type RootSession,
} from './lib/sid-root.js';

interface Args {
  nix: OracleNix;
  plans?: string;
  variant: string;
  daemonBin?: string;
  daemonLibexec?: string;
  only?: Set<string>;
  report?: string;
  work?: string;
  timeoutSec: number;
  lockWaitSec: number;
  /** --faults: the model's upstream counterexamples, held at the daemon's own calls (the fault injector). */
  faults: boolean;
  /** --traces DIR (with --faults): use these traces instead of exploring the scenarios docs/verification.md lists. */
  traces?: string;
}

class HarnessError extends Error {}

/** The fault injector's control dir inside the root (sim/repro/fault-inject.c). */
const FAULT_DIR = '/nol/faults';

const t0 = Date.now();
const log = (msg: string): void => {
  process.stderr.write(`[validate-real ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
};

const USAGE =
  'usage: tsx scripts/validate-real.ts [--nix 2.34.8|2.8] [--plans DIR] [--variant upstream] [--daemon-bin DIR] [--daemon-libexec DIR]\n' +
  '         [--only a,b] [--report FILE] [--work DIR] [--timeout SECONDS] [--lock-wait SECONDS] [--faults [--traces DIR]]\n';

/** Bad usage: one line naming what is wrong, then the usage, exit 2. */
function usage(problem?: string): never {
  process.stderr.write(`${problem ? `validate-real: ${problem}\n` : ''}${USAGE}`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = { nix: '2.34.8', timeoutSec: 600, lockWaitSec: 1800, variant: 'upstream', faults: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i] ?? '';
    const v = (): string => argv[++i] ?? usage(`${k} needs a value`);
    const num = (): number => {
      const s = v();
      const n = Number(s);
      return Number.isFinite(n) && n > 0 ? n : usage(`${k}: expected a positive number, got '${s}'`);
    };
    if (k === '--nix') {
      const n = v();
      if (!(ORACLE_NIX_VERSIONS as readonly string[]).includes(n)) usage(`--nix: expected ${ORACLE_NIX_VERSIONS.join(' or ')}, got '${n}'`);
      a.nix = n as OracleNix;
    } else if (k === '--plans') a.plans = path.resolve(v());
    else if (k === '--variant') a.variant = v();
    else if (k === '--daemon-bin') a.daemonBin = v();
    else if (k === '--daemon-libexec') a.daemonLibexec = v();
    else if (k === '--only') a.only = new Set(v().split(',').filter(Boolean));
    else if (k === '--report') a.report = path.resolve(v());
    else if (k === '--work') a.work = path.resolve(v());
    else if (k === '--timeout') a.timeoutSec = num();
    else if (k === '--lock-wait') a.lockWaitSec = num();
    else if (k === '--faults') a.faults = true;
    else if (k === '--traces') a.traces = path.resolve(v());
    else if (k === '-h' || k === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else usage(`unknown argument '${k}'`);
  }
  if (a.nix === '2.34.8' && a.work !== undefined) usage('--work is for --nix 2.8; the 2.34.8 oracle works in <sid root>/nol/validate');
  if (a.nix === '2.34.8' && a.daemonLibexec !== undefined) usage('--daemon-libexec is for --nix 2.8 (Nix 2.34.8 is one binary)');
  if (a.faults && a.nix !== '2.34.8') usage('--faults runs on the 2.34.8 daemon in the sid root only');
  if (a.traces !== undefined && !a.faults) usage('--traces goes with --faults');
  if (a.faults && a.plans !== undefined && a.traces !== undefined) usage('--faults takes --plans or --traces, not both');
  return a;
}

interface LoadedPlan {
  readonly file: string;
  readonly plan: ReproPlan;
}

/** The model's validation plans for `nix`, written to `dir` (so a run can be redone with --plans). */
function modelPlans(nix: OracleNix, dir: string): void {
  mkdirSync(dir, { recursive: true });
  for (const p of validationPlans(nix)) {
    if (!p.ok) throw new HarnessError(`the model could not make a validation plan: ${p.error}`);
    writeFileSync(path.join(dir, `${p.value.scenario}.json`), JSON.stringify(p.value, null, 2) + '\n');
  }
}

/** The plans in `dir`, except those named in `skip` (fault plans with no prediction for this variant). */
function loadPlans(dir: string, args: Args, skip: ReadonlySet<string> = new Set()): LoadedPlan[] {
  if (!existsSync(dir)) throw new HarnessError(`--plans ${dir} does not exist (generate it with: outpath repro --validation --nix ${args.nix} --out DIR)`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'not-realisable.json' && f !== 'not-predictable.json' && !skip.has(path.basename(f, '.json'))).sort();
  const out: LoadedPlan[] = [];
  const errors: string[] = [];
  for (const f of files) {
    const file = path.join(dir, f);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      errors.push(`${f}: not JSON: ${(e as Error).message}`);
      continue;
    }
    const r = parsePlan(json);
    if (!r.ok) errors.push(`${f}: ${r.error}`);
    else if (r.plan.nix !== undefined && r.plan.nix !== args.nix) errors.push(`${f}: predicts Nix ${r.plan.nix}, but this run compares with Nix ${args.nix} (--nix)`);
    else if (!args.only || args.only.has(r.plan.scenario) || args.only.has(path.basename(f, '.json'))) out.push({ file, plan: r.plan });
  }
  if (errors.length > 0) throw new HarnessError(`invalid plan(s):\n  ${errors.join('\n  ')}`);
  if (out.length === 0) throw new HarnessError(`no plans to run in ${dir}${args.only ? ` matching --only ${[...args.only].join(',')}` : ''}`);
  const seen = new Set<string>();
  for (const p of out) {
    if (seen.has(p.plan.scenario)) throw new HarnessError(`two plans are named ${p.plan.scenario}`);
    seen.add(p.plan.scenario);
  }
  return out;
}

// --------------------------------------------------------------------------- the daemons ---

interface ScriptRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Where a plan's files live: on the host, and as the script (maybe inside a root) sees them. */
interface PlanDir {
  readonly host: string;
  readonly inside: string;
}

/** One daemon under test and the place its scripts run. */
interface Oracle {
  /** Version lines of the client and of the daemon (as it reports itself). */
  readonly nixVersion: string;
  readonly daemonVersion: string;
  dir(name: string): PlanDir;
  /** A daemon with these settings (restarting the current one if they differ). */
  daemonFor(settings: PlanSettings): Promise<void>;
  /** Starts `bash script args` as a client of the current daemon. */
  spawnScript(argv: readonly string[]): Promise<{ proc: ProcId | undefined; child: ReturnType<typeof spawn> }>;
  close(): Promise<void>;
}

/** The version line must name exactly `want`; anything else stops the run with a clear message. */
function requireVersion(what: string, line: string, want: OracleNix): void {
  const full = want === '2.8' ? '2.8.0' : want;
  if (!new RegExp(`\\(Nix\\) ${full.replaceAll('.', '\\.')}$`).test(line.trim()) && line.trim() !== full) {
    throw new HarnessError(
      `${what} is '${line.trim()}', not Nix ${full}: the model's ${want} predictions are compared only with Nix ${full}` +
        (want === '2.34.8' ? ' (if Debian sid moved on, a root cached while it had 2.34.8 still works; --nix 2.8 runs the bookworm oracle)' : ''),
    );
  }
}

/** Debian sid's 2.34.8 in the cached root: one session (namespaces) for the whole run. */
/**
 * Where the host mounts its cgroup2 hierarchy (the first `cgroup2` line of /proc/mounts, as
 * libutil/linux/cgroup.cc getCgroupFS finds it), for a root whose daemons run with use-cgroups.
 */
function hostCgroup2(): string {
  const line = readFileSync('/proc/mounts', 'utf8').split('\n').find((l) => l.split(' ')[2] === 'cgroup2');
  const dir = line?.split(' ')[1];
  if (dir === undefined) throw new HarnessError('a plan runs its daemon with use-cgroups, but this host has no cgroup2 fs mounted (no cgroup2 line in /proc/mounts)');
  return dir;
}

async function sidOracle(args: Args, abort: AbortSignal, cgroups = false): Promise<Oracle> {
  let lock: HeldLock | undefined;
  let session: RootSession | undefined;
  let daemon: RootDaemon | undefined;
  const closeAll = async (): Promise<void> => {
    if (daemon) await daemon.stop();
    daemon = undefined;
    if (session) await session.close();
    session = undefined;
    if (lock) await lock.release();
    lock = undefined;
  };
  try {
    const root = await ensureSidRoot(log, { abort, lockWaitSec: args.lockWaitSec }).catch((e: unknown) => {
      throw e instanceof WrongNixVersion ? new HarnessError(e.message) : e;
    });
    lock = await acquireRootDaemonLock(args.lockWaitSec, log, abort);
    await reapStaleRootDaemon(log);
    // use-cgroups: the daemon looks for a cgroup2 mount in /proc/mounts; the root's empty /sys shows the host's, in this session only
    const binds = cgroups ? [{ host: hostCgroup2(), inside: '/sys' }] : [];
    if (cgroups) log(`cgroup2 ${binds[0]?.host ?? ''} bound at /sys inside the root (use-cgroups)`);
    const s = await openRootSession(root.root, log, binds);
    session = s;
    const work = s.hostPath('/nol/validate');
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    chmodSync(s.hostPath('/nol'), 0o755);
    chmodSync(work, 0o755); // build users traverse it to reach each plan's control dir
    log(`work dir ${work} (/nol/validate inside the root)`);
    // --faults: every worker of the daemon gets the injector; its control dir is shared with the scripts
    const injector: Record<string, string> = {};
    // the injector in the root, built and checked once (--faults, or a plan without mount namespaces)
    let installed: string | undefined;
    const installOnce = (): string => {
      if (installed !== undefined) return installed;
      const so = buildInjector(path.join(CACHE_DIR, 'fault-inject'), log);
      installInjector(so, s.hostPath('/nol/lib'));
      installed = so;
      return so;
    };
    let namespacesChecked = false;
    if (args.faults) {
      const so = installOnce();
      log(await injectorSelfCheck(so));
      rmSync(s.hostPath(FAULT_DIR), { recursive: true, force: true });
      mkdirSync(s.hostPath(FAULT_DIR), { recursive: true, mode: 0o700 });
      Object.assign(injector, { LD_PRELOAD: '/nol/lib/libnolfault.so', NOL_FAULT_DIR: FAULT_DIR });
    }
    const inRoot = (p: string): string => (p.startsWith(`${root.root}/`) ? p.slice(root.root.length) : p);
    const bin = args.daemonBin !== undefined ? path.join(inRoot(args.daemonBin), 'nix-daemon') : '/usr/bin/nix-daemon';
    if (!existsSync(s.hostPath(bin))) throw new HarnessError(`--daemon-bin: no ${bin} inside the sid root ${root.root}`);
    const nixVersion = s.run(['nix', '--version'], { timeoutSec: 30 }).stdout.trim();
    const daemonVersion = s.run([bin, '--version'], { timeoutSec: 30 }).stdout.trim();
    requireVersion('the sid root\'s nix', nixVersion, '2.34.8');
    requireVersion(`${bin} --version`, daemonVersion, '2.34.8');
    let reported = '';
    const oracle: Oracle = {
      get nixVersion() {
        return nixVersion;
      },
      get daemonVersion() {
        return `${bin}: ${daemonVersion}; the running daemon reports Nix ${reported}`;
      },
      dir: (name) => ({ host: path.join(work, name), inside: path.join('/nol/validate', name) }),
      async daemonFor(settings) {
        const key = settingsKey(settings);
        if (daemon && daemon.key === key && daemon.isAlive()) return;
        if (daemon) await daemon.stop();
        daemon = undefined;
        const conf = oracle.dir(`conf-${key}`);
        const confEnv = writeNixConf(conf.host, settings, conf.inside);
        if (settings.mountAndPidNamespaces === false && !namespacesChecked) {
          log(noNamespacesSelfCheck(installOnce()));
          namespacesChecked = true;
        }
        // a diverted store starts empty at each daemon start (only this run, holding the lock, uses it)
        if (settings.divertedStore) rmSync(s.hostPath(DIVERTED_STORE_ROOT), { recursive: true, force: true });
        const extraEnv = { ...(args.daemonBin ? { NIX_BIN_DIR: path.dirname(bin) } : {}), ...injector, ...namespaceEnv(settings, '/nol/lib/libnolfault.so'), ...daemonOnlyEnv(settings) };
        daemon = await startRootDaemon(s, { confEnv, key, logFile: path.join(work, `daemon-${key}.log`), binary: bin, extraEnv }, log);
        // what the daemon itself says over the protocol, not what a binary on disk claims
        const info = s.run(['nix', 'store', 'info'], { timeoutSec: 20, env: daemon.clientEnv });
        reported = /^Version: (.*)$/m.exec(info.stdout + info.stderr)?.[1]?.trim() ?? `? (${info.stderr.trim().split('\n').pop() ?? ''})`;
        requireVersion('the running daemon (nix store info)', reported, '2.34.8');
        log(`daemon reports Nix ${reported}`);
      },
      async spawnScript(argv) {
        if (!daemon) throw new Error('no daemon');
        const env = injector['NOL_FAULT_DIR'] !== undefined ? { ...daemon.clientEnv, NOL_FAULT_DIR: injector['NOL_FAULT_DIR'] } : daemon.clientEnv;
        const rp = await s.spawn(['bash', ...argv], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        return { proc: rp.proc, child: rp.child };
      },
      close: closeAll,
    };
    return oracle;
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** Debian bookworm's 2.8.0 on the host. */
async function hostOracle(args: Args, abort: AbortSignal): Promise<Oracle> {
  if (args.daemonBin && !existsSync(path.join(args.daemonBin, 'nix-daemon'))) throw new HarnessError(`--daemon-bin ${args.daemonBin} has no nix-daemon`);
  const work = args.work ?? mkdtempSync(path.join(tmpdir(), 'nol-validate-'));
  mkdirSync(work, { recursive: true });
  chmodSync(work, 0o755);
  log(`work dir ${work}`);
  let lock: HeldLock | undefined;
  let daemon: RunningDaemon | undefined;
  const closeAll = async (): Promise<void> => {
    if (daemon) await daemon.stop();
    daemon = undefined;
    if (lock) await lock.release();
    lock = undefined;
  };
  try {
    lock = await acquireDaemonLock(args.lockWaitSec, log, abort);
    ensureNixInstalled(log);
    ensureBuildUsers(4, log);
    const nixVersion = run('nix', ['--version'], { timeoutSec: 20 }).stdout.trim();
    const daemonCmd = args.daemonBin ? path.join(path.resolve(args.daemonBin), 'nix-daemon') : 'nix-daemon';
    const daemonVersion = run(daemonCmd, ['--version'], { timeoutSec: 20 }).stdout.trim();
    requireVersion('nix --version', nixVersion, '2.8');
    requireVersion(`${daemonCmd} --version`, daemonVersion, '2.8');
    if (daemonAnswers(process.env)) {
      throw new HarnessError('a nix-daemon this script did not start answers on the socket; stop it first (its owner should hold /var/lock/nix-outpath-lab-daemon.lock)');
    }
    return {
      nixVersion,
      daemonVersion: `${daemonCmd}: ${daemonVersion}`,
      dir: (name) => ({ host: path.join(work, name), inside: path.join(work, name) }),
      async daemonFor(settings) {
        if (settings.mountAndPidNamespaces === false) throw new HarnessError('a plan without mount namespaces runs on the 2.34.8 oracle only (its daemon gets the fault injector in the sid root)');
        const key = settingsKey(settings);
        if (daemon && daemon.key === key && daemon.isAlive()) return;
        if (daemon) await daemon.stop();
        daemon = undefined;
        if (settings.divertedStore) throw new HarnessError('a diverted-store plan runs on the 2.34.8 oracle only (this host daemon is not given a chroot store)');
        const confEnv = writeNixConf(path.join(work, `conf-${key}`), settings);
        daemon = await startDaemon(
          {
            ...(args.daemonBin ? { binDir: path.resolve(args.daemonBin) } : {}),
            ...(args.daemonLibexec ? { libexecDir: path.resolve(args.daemonLibexec) } : {}),
            confEnv,
            key,
            logFile: path.join(work, `daemon-${key}.log`),
          },
          log,
        );
      },
      async spawnScript(argv) {
        if (!daemon) throw new Error('no daemon');
        const child = spawn('bash', argv, { env: daemon.env, stdio: ['ignore', 'pipe', 'pipe'] });
        const pid = child.pid;
        const start = pid !== undefined ? readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19] : undefined;
        return Promise.resolve({ proc: pid !== undefined && start !== undefined ? { pid, start } : undefined, child });
      },
      close: closeAll,
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

// --------------------------------------------------------------------- one plan, one script ---

/** The script running now, so a signal handler can stop it (by PID). */
let current: ProcId | undefined;

async function runScript(oracle: Oracle, argv: readonly string[], timeoutSec: number, prefix: string): Promise<ScriptRun> {
  const { proc, child } = await oracle.spawnScript(argv);
  current = proc;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      for (const line of d.toString().split('\n')) if (line) process.stderr.write(`  ${prefix} ${line}\n`);
    });
    // The script's own EXIT trap stops its clients, so SIGTERM it first and only then SIGKILL.
    const kill = setTimeout(() => {
      timedOut = true;
      log(`${prefix}: timeout after ${timeoutSec}s, SIGTERM to script PID ${String(proc?.pid)}`);
      if (proc) signal(proc, 'SIGTERM');
      setTimeout(() => {
        if (proc) signal(proc, 'SIGKILL');
      }, 30_000).unref();
    }, timeoutSec * 1000);
    child.on('close', (code, sig) => {
      clearTimeout(kill);
      current = undefined;
      resolve({ code, signal: sig, stdout, stderr, timedOut });
    });
  });
}

async function runPlan(lp: LoadedPlan, args: Args, oracle: Oracle): Promise<ReportRow> {
  const { plan } = lp;
  const model: Observation | undefined = plan.expect[args.variant];
  const started = Date.now();
  const seconds = (): number => (Date.now() - started) / 1000;
  const base = { scenario: plan.scenario, seconds: 0, mismatches: [] as Mismatch[], ...(model ? { model } : {}) };
  if (!model) return { ...base, error: `the plan has no expectation for variant ${args.variant} (has: ${Object.keys(plan.expect).join(', ')})` };

  const dir = oracle.dir(plan.scenario);
  mkdirSync(dir.host, { recursive: true });
  chmodSync(dir.host, 0o755); // build users traverse it to reach the control dir
  writeFileSync(path.join(dir.host, 'repro.sh'), renderScript(plan, { variant: args.variant, platform: 'linux' }), { mode: 0o755 });
  const obsFile = path.join(dir.host, 'observation.json');
  const r = await runScript(oracle, [path.join(dir.inside, 'repro.sh'), '--obs', path.join(dir.inside, 'observation.json'), '--work', path.join(dir.inside, 'run')], args.timeoutSec, plan.scenario);
  writeFileSync(path.join(dir.host, 'script.stdout'), r.stdout);
  writeFileSync(path.join(dir.host, 'script.stderr'), r.stderr);
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
// Installed before anything starts, so no signal can leave a daemon, a mount or the lock behind.
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(s, (sig: NodeJS.Signals) => {
    if (stopping) return;
    stopping = sig;
    log(`${sig}: stopping`);
    aborter.abort();
    if (current) signal(current, 'SIGTERM'); // its trap stops its clients; we stop the daemon below
  });
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  if (process.platform !== 'linux') throw new HarnessError('validate-real runs on linux (Debian) only; on darwin run a rendered script by hand');
  if (process.getuid?.() !== 0) throw new HarnessError('run as root (it makes a Debian root or installs nix-bin, and starts a nix-daemon)');
  let plansDir = args.plans;
  const notRealisable: { name: string; why: string }[] = [];
  if (plansDir === undefined && args.faults) {
    plansDir = mkdtempSync(path.join(tmpdir(), 'nol-fault-plans-'));
    let traces = args.traces;
    if (traces === undefined) {
      traces = path.join(plansDir, 'traces');
      log('exploring every scenario docs/verification.md lists with an upstream counterexample');
      exploreUpstream(upstreamScenarios(), traces, log);
    }
    const alsoFor = args.variant === 'upstream' ? [] : [args.variant];
    const cells = [...faultCells(traces, false, alsoFor), ...(args.traces === undefined ? cellsOf(registrationSweep(), alsoFor) : [])];
    const shared = writeFaultPlans(plansDir, cells);
    if (shared.length > 0) log(`traces that make the same plan as another (run once): ${shared.join('; ')}`);
    notRealisable.push(...notRunnable(plansDir, args.variant));
    log(`the model's counterexamples from ${traces}: plans in ${plansDir}, ${notRealisable.length} not realisable here`);
  } else if (plansDir === undefined) {
    plansDir = mkdtempSync(path.join(tmpdir(), 'nol-plans-'));
    modelPlans(args.nix, plansDir);
    log(`the model's plans for Nix ${args.nix} written to ${plansDir}`);
  } else if (args.faults) {
    notRealisable.push(...notRunnable(plansDir, args.variant));
  }
  const plans = loadPlans(plansDir, args, new Set(notRealisable.map((n) => n.name)));
  const needUsers = Math.max(...plans.map((p) => p.plan.settings.buildUsers));
  if (args.nix === '2.34.8' && needUsers > ROOT_BUILD_USERS) throw new HarnessError(`a plan needs ${needUsers} build users; the sid root has ${ROOT_BUILD_USERS}`);
  log(`${plans.length} plan(s), Nix ${args.nix}, variant ${args.variant}${args.daemonBin ? `, daemon from ${args.daemonBin}` : ''}`);

  const rows: ReportRow[] = [];
  let oracle: Oracle | undefined;
  let nixVersion: string;
  let daemonVersion = '?';
  try {
    const cgroups = plans.some((p) => p.plan.settings.useCgroups === true);
    if (cgroups && args.nix !== '2.34.8') throw new HarnessError('a plan runs its daemon with use-cgroups, which only the sid root (Nix 2.34.8) is set up for');
    oracle = args.nix === '2.34.8' ? await sidOracle(args, aborter.signal, cgroups) : await hostOracle(args, aborter.signal);
    nixVersion = oracle.nixVersion;
    // Plans that need the same daemon settings run back to back: one daemon restart per change.
    const order = [...plans].sort((a, b) => settingsKey(a.plan.settings).localeCompare(settingsKey(b.plan.settings)));
    const results = new Map<string, ReportRow>();
    for (const lp of order) {
      if (stopping) break;
      await oracle.daemonFor(lp.plan.settings);
      daemonVersion = oracle.daemonVersion;
      if (stopping) break;
      log(`${lp.plan.scenario}: running (${settingsKey(lp.plan.settings)})`);
      const row = await runPlan(lp, args, oracle);
      results.set(lp.plan.scenario, row);
      log(`${lp.plan.scenario}: ${verdictOf(row)}${row.error !== undefined ? ` (${row.error})` : ''} in ${row.seconds.toFixed(1)}s`);
    }
    for (const lp of plans) {
      const r = results.get(lp.plan.scenario);
      if (r) rows.push(r);
    }
  } finally {
    if (oracle) await oracle.close();
  }

  if (stopping) return stoppedCode();
  const wall = (Date.now() - t0) / 1000;
  // Both sides of each disagreement first, so the table, the version and the totals end the output.
  const details = disagreementDetails(rows);
  if (details) process.stdout.write('\n' + details + '\n');
  process.stdout.write('\n' + reportTable(rows).replace(/\n[^\n]*\n$/, '\n'));
  const notHere = notRealisable.filter((n) => !args.only || args.only.has(n.name));
  if (args.faults && notHere.length > 0) {
    process.stdout.write(`\nnot realisable here (${notHere.length}):\n${notHere.map((n) => `- ${n.name}: ${n.why}`).join('\n')}\n`);
  }
  const totals = `${totalsLine(rows)}${args.faults ? `, ${notHere.length} not realisable` : ''}`;
  process.stdout.write(`\nnix: ${nixVersion}; daemon: ${daemonVersion}\n${totals}\n`);
  log(`wall time ${wall.toFixed(1)}s; ${totals}`);
  if (args.report) {
    mkdirSync(path.dirname(args.report), { recursive: true });
    writeFileSync(
      args.report,
      renderReport(rows, { variant: args.variant, nix: nixVersion, daemon: daemonVersion, plans: plansDir, host: hostname(), date: new Date().toISOString(), wallSeconds: wall }),
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
