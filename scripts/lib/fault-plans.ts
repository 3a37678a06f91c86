/**
 * What `validate-real --faults` (npm run validate:faults) runs: every counterexample the model
 * finds for `upstream` in the scenarios docs/verification.md lists, as plans for a real daemon
 * with the fault injector, and the ones that cannot run here with the reason. Also builds the
 * injector (sim/repro/fault-inject.c) into a cache dir, by source hash.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import type { ReproPlan } from '../../sim/repro/plan.js';
import { parseTrace } from '../../sim/trace-schema.js';
import type { Scenario } from '../../model/nix/index.js';
import { parseVariant } from '../../model/nix/index.js';
import { checkPath } from '../../model/verify/index.js';
import { firstOfEach } from '../../sim/replay.js';
import { interruptDuringRegistration, multiOutputCaInterrupted, multiOutputCaReferences } from '../../sim/scenarios/builtin.js';
import { buildTrace, traceScenario, type Trace } from '../../sim/trace.js';
import type { Log } from './real-daemon.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const INJECTOR_SOURCE = path.join(repo, 'sim/repro/fault-inject.c');
const VERIFICATION = path.join(repo, 'docs/verification');

/** The injector as a shared object, compiled once per source (gcc on the host; the .so loads into sid's newer glibc). */
export function buildInjector(cacheDir: string, log: Log): string {
  const src = readFileSync(INJECTOR_SOURCE);
  const so = path.join(cacheDir, `libnolfault-${createHash('sha256').update(src).digest('hex').slice(0, 12)}.so`);
  if (existsSync(so)) return so;
  mkdirSync(cacheDir, { recursive: true });
  if (spawnSync('sh', ['-c', 'command -v gcc'], { encoding: 'utf8' }).status !== 0) {
    // a fresh Debian machine (CI): the compiler from the host's apt sources
    log('host: apt-get install gcc libc6-dev (to build the fault injector)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = (): number | null => spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'gcc', 'libc6-dev'], { env, stdio: 'ignore' }).status;
    if (install() !== 0) {
      spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { env, stdio: 'ignore' });
      if (install() !== 0) throw new Error('gcc is missing and apt-get install gcc libc6-dev failed: install a C compiler to build the fault injector');
    }
  }
  const tmp = `${so}.${String(process.pid)}.tmp`;
  const r = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Wno-format-truncation', '-o', tmp, INJECTOR_SOURCE, '-ldl'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`could not compile the fault injector (gcc ${INJECTOR_SOURCE}): ${r.error?.message ?? r.stderr.trim()}`);
  renameSync(tmp, so);
  log(`fault injector built: ${so}`);
  return so;
}

/** Copies the injector into `dir` (a host path) as libnolfault.so. */
export function installInjector(so: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(so, path.join(dir, 'libnolfault.so'));
}

/** The scenarios docs/verification.md links an upstream counterexample for (docs/verification/<scenario>/upstream.*.txt). */
export function upstreamScenarios(): string[] {
  return readdirSync(VERIFICATION, { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(path.join(VERIFICATION, d.name)).some((f) => f.startsWith('upstream.') && f.endsWith('.txt')))
    .map((d) => d.name)
    .sort();
}

/** The model's upstream counterexamples for `scenarios`, written to `dir` by `outpath explore` (as docs/verification.md's replay lines do). */
export function exploreUpstream(scenarios: readonly string[], dir: string, log: Log): void {
  mkdirSync(dir, { recursive: true });
  for (const s of scenarios) {
    const r = spawnSync(process.execPath, [path.join(repo, 'bin/outpath.js'), 'explore', s, '--variant', 'upstream', '--out', dir], { encoding: 'utf8', cwd: repo });
    if (r.status !== 0 && r.status !== 1) throw new Error(`outpath explore ${s} exited ${String(r.status)}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    log(`explored ${s}: ${String(readdirSync(dir).filter((f) => f.startsWith(`${s}.upstream.`) && f.endsWith('.trace.json')).length)} upstream counterexample(s)`);
  }
}

export interface FaultCell {
  /** The trace's file name without `.trace.json`. */
  readonly name: string;
  readonly plan?: ReproPlan;
  readonly notRealisable?: string;
  /** The plan (by name) an earlier trace made identically. */
  readonly sameAs?: string;
  /** Variants asked for whose expectation the model cannot give for this plan, with the reason. */
  readonly unpredictable?: Readonly<Record<string, string>>;
}

/** A plan name from a trace file name: `seed-487.upstream.NoWedge.crash` -> `seed-487.nowedge.crash`. */
function planName(traceName: string): string {
  return traceName.replace('.upstream.', '.').toLowerCase().replace(/[^a-z0-9._-]/g, '-').slice(0, 80);
}

/** Every trace in `dir` (only `upstream` ones unless `all`) as a plan or a reason it cannot run. */
export function faultCells(dir: string, all = false, alsoFor: readonly string[] = []): FaultCell[] {
  const traces: { name: string; trace: Trace }[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.trace.json')).sort()) {
    const t = parseTrace(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
    if (!t.ok) throw new Error(`${f}: ${t.error}`);
    if (all || t.trace.variant === 'upstream') traces.push({ name: f.slice(0, -'.trace.json'.length), trace: t.trace });
  }
  return cellsOf(traces, alsoFor);
}

/**
 * The traces as plans; two traces that make the same plan (several invariants' shortest
 * counterexamples are often one schedule) run once: the later one says which plan it shares.
 */
export function cellsOf(traces: readonly { name: string; trace: Trace }[], alsoFor: readonly string[] = []): FaultCell[] {
  const byContent = new Map<string, string>();
  return traces.map(({ name, trace }) => {
    const r = planFromFaultTrace(trace, planName(name), alsoFor);
    if (!r.realisable) return { name, notRealisable: r.why };
    const key = JSON.stringify({ d: r.plan.derivations, s: r.plan.steps, e: r.plan.expect, u: r.plan.settings });
    const same = byContent.get(key);
    if (same !== undefined) return { name, sameAs: same };
    byContent.set(key, r.plan.scenario);
    return { name, plan: r.plan, ...(Object.keys(r.unpredictable).length > 0 ? { unpredictable: r.unpredictable } : {}) };
  });
}

/** A fault plan that does not run on a daemon, with the reason. */
export interface NotRun {
  readonly name: string;
  readonly why: string;
}

/**
 * Writes the cells' plans into `dir`, with `not-realisable.json` (traces that make no plan here)
 * and `not-predictable.json` (per variant, plans whose expectation the model cannot give for that
 * variant). Returns the traces that share another's plan, as `name = plan`.
 */
export function writeFaultPlans(dir: string, cells: readonly FaultCell[]): string[] {
  mkdirSync(dir, { recursive: true });
  const shared: string[] = [];
  const notRealisable: NotRun[] = [];
  const notPredictable: Record<string, NotRun[]> = {};
  for (const c of cells) {
    if (c.plan) {
      writeFileSync(path.join(dir, `${c.plan.scenario}.json`), JSON.stringify(c.plan, null, 2) + '\n');
      for (const [v, why] of Object.entries(c.unpredictable ?? {})) (notPredictable[v] ??= []).push({ name: c.plan.scenario, why });
    } else if (c.sameAs !== undefined) shared.push(`${c.name} = ${c.sameAs}`);
    else notRealisable.push({ name: c.name, why: c.notRealisable ?? '?' });
  }
  writeFileSync(path.join(dir, 'not-realisable.json'), JSON.stringify(notRealisable, null, 2) + '\n');
  writeFileSync(path.join(dir, 'not-predictable.json'), JSON.stringify(notPredictable, null, 2) + '\n');
  return shared;
}

/** What of the fault plans in `dir` does not run on a daemon of `variant`: no plan here, or no prediction for it. */
export function notRunnable(dir: string, variant: string): NotRun[] {
  const read = <T>(f: string, empty: T): T => (existsSync(path.join(dir, f)) ? (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as T) : empty);
  const unpredictable = read<Record<string, NotRun[]>>('not-predictable.json', {})[variant] ?? [];
  return [...read<NotRun[]>('not-realisable.json', []), ...unpredictable.map((n) => ({ name: n.name, why: `the model cannot predict ${variant} for this schedule: ${n.why}` }))];
}

/**
 * Every point of registration, interrupted and crashed: the scripted run of
 * interrupt-during-registration (one output), of multi-output-ca-interrupted (two floating CA
 * outputs, `dev` registered valid inside the loop before `out`) and of multi-output-ca-references
 * (`dev` links to `out`, so `out` goes first and `dev`'s link is rewritten to its final path) with a1's fault moved to before the
 * k-th registerOutputs step, for every k at which it still fires (the exploration's shortest
 * traces land a fault at one point each; this walks the whole of registerOutputs, the `.tmp` copy
 * of the hash rewrite and the gap between two outputs' registration included).
 */
export function registrationSweep(): { name: string; trace: Trace }[] {
  return [
    ...sweepOf(interruptDuringRegistration, 'registration'),
    ...sweepOf(multiOutputCaInterrupted, 'multi-output-registration'),
    ...sweepOf(multiOutputCaReferences, 'multi-output-references'),
  ];
}

function sweepOf(base: Scenario, label: string): { name: string; trace: Trace }[] {
  const out: { name: string; trace: Trace }[] = [];
  const v = parseVariant('upstream');
  if (!v.ok) throw new Error('unreachable');
  const steps = checkPath({ ...base, actors: base.actors.map((a) => (a.kind === 'build' ? { id: a.id, kind: a.kind, drv: a.drv, ...(a.after ? { after: a.after } : {}) } : a)) }, { variant: v.variant }).steps;
  const k = steps.filter((st) => st.event.actor === 'a1' && st.event.type === 'registerOutputs').length;
  const seen = new Set<string>();
  for (const kind of ['interrupt', 'crash'] as const) {
    for (let nth = 1; nth <= k; nth++) {
      const spec: Scenario = {
        ...base,
        name: `${base.name}-${kind}-${String(nth)}`,
        actors: base.actors.map((a) => (a.id === 'a1' && a.kind === 'build' ? { ...a, fault: { kind, before: 'registerOutputs', nth } } : a)),
      };
      const p = checkPath(spec, { variant: v.variant });
      // an interrupt lands only at a check point: where there is none, the model moves it on (same run as another nth)
      const key = JSON.stringify(p.steps.map((st) => st.event));
      if (!p.steps.some((st) => st.event.type === kind) || seen.has(key)) continue;
      seen.add(key);
      out.push({
        name: `sweep.${label}.${kind}.${String(nth).padStart(2, '0')}`,
        trace: buildTrace({
          scenario: traceScenario(spec, { kind: 'file', file: `(validate:faults ${label} sweep)` }),
          variant: 'upstream',
          search: { mode: 'scripted', faults: [], maxFaults: 0 },
          foundBy: `scripted run, ${kind} before registerOutputs step ${String(nth)}`,
          replay: '(generated by validate:faults)',
          events: p.steps.map((st) => st.event),
          steps: p.steps,
          initial: p.initial,
          violations: firstOfEach(p.violations),
        }),
      });
    }
  }
  return out;
}

const pause = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Polls for `cond` every 20 ms, up to `sec` seconds (a bounded wait on a condition, not a timing assumption). */
async function until(cond: () => boolean, sec: number, what: string): Promise<void> {
  for (let t = 0; t < sec * 1000; t += 20) {
    if (cond()) return;
    await pause(20);
  }
  throw new Error(`fault injector self-check: ${what} within ${String(sec)} s`);
}

/**
 * Creates each named file the way Nix 2.34.8's RestoreSink does (openat2 with O_CREAT, through
 * libc's syscall(2) wrapper: there is no named libc entry point), then makes the first one
 * read-only as _deletePath's fchmodatTryNoFollow does (fchmodat2, the same way).
 */
const RAW_SYSCALLS_PY = [
  'import ctypes, os, signal, sys',
  // as a Nix worker does (ReceiveInterrupts): SIGUSR1 is caught, to cut blocking calls short with EINTR
  'signal.signal(signal.SIGUSR1, lambda *a: None)',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'libc.syscall.restype = ctypes.c_long',
  'class How(ctypes.Structure):',
  "    _fields_ = [('flags', ctypes.c_uint64), ('mode', ctypes.c_uint64), ('resolve', ctypes.c_uint64)]",
  "d = os.open('.', os.O_RDONLY | os.O_DIRECTORY)",
  'for n in sys.argv[1:]:',
  '    how = How(os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644, 0)',
  '    r = libc.syscall(ctypes.c_long(437), ctypes.c_long(d), n.encode(), ctypes.byref(how), ctypes.c_long(24))',
  '    if r < 0: sys.exit(10)',
  '    os.close(r)',
  'if libc.syscall(ctypes.c_long(452), ctypes.c_long(d), sys.argv[1].encode(), ctypes.c_long(0o400), ctypes.c_long(0x100)) < 0 and ctypes.get_errno() != 38: sys.exit(11)',
].join('\n');

/**
 * Sends a held process SIGUSR1, waits until it is delivered, and gives the process a second to
 * go on (make a file, or exit), which a held one must not: EINTR from the fifo it waits on must not
 * release it. Only a process that is not held can fail this, so the second is no timing assumption
 * a held one depends on.
 */
async function signalled(pid: number, exited: Promise<unknown>, work: string): Promise<void> {
  process.kill(pid, 'SIGUSR1');
  const pending = (): boolean => {
    const st = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
    return /^(SigPnd|ShdPnd):\s*0*[1-9a-f]/m.test(st);
  };
  const before = readdirSync(work).sort().join();
  await until(() => !pending(), 10, 'SIGUSR1 was not delivered to the held process');
  let ended = false;
  void exited.then(() => (ended = true));
  for (let t = 0; t < 1000; t += 20) {
    if (ended || readdirSync(work).sort().join() !== before) throw new Error('fault injector self-check: a held process that caught SIGUSR1 went on (EINTR released it)');
    await pause(20);
  }
}

/**
 * Checks the injector on this machine before anything relies on it: one process (`mkdir A B C`,
 * three mkdir() calls) held after its 2nd mkdir really is held there (A and B exist, C does not,
 * the process is alive and blocked) and, killed there, ends by SIGKILL with C never made; held
 * before its 2nd mkdir and let go, it makes B and C. The same for files created with openat2
 * through syscall(2), by a process that catches SIGUSR1 and gets one while it is held (as an
 * interrupted Nix worker does): it stays held. A fchmodat2 made so is held as `chmod`. Throws,
 * naming what did not happen.
 */
export async function injectorSelfCheck(so: string): Promise<string> {
  const base = mkdtempSync(path.join(tmpdir(), 'nol-inject-check-'));
  type Rule = { op: 'mkdir' | 'open' | 'chmod'; when: 'before' | 'after'; nth: number; glob: string };
  const run = async (rule: Rule, word: 'kill' | 'go'): Promise<{ held: string[]; after: string[]; code: number | null; signal: NodeJS.Signals | null; hit: string }> => {
    const ctl = path.join(base, `${rule.op}-${rule.when}-${word}`);
    const work = path.join(ctl, 'w');
    mkdirSync(work, { recursive: true });
    execFileSync('mkfifo', [path.join(ctl, 'release.r1')]);
    writeFileSync(path.join(ctl, 'rules'), `r1 ${rule.op} ${rule.when} ${String(rule.nth)} ${work}/${rule.glob}\n`);
    const [cmd, ...args] = rule.op === 'mkdir' ? ['/bin/mkdir', 'A', 'B', 'C'] : ['python3', '-c', RAW_SYSCALLS_PY, 'A', 'B', 'C'];
    const child = spawn(cmd ?? '', args, { cwd: work, env: { ...process.env, LD_PRELOAD: so, NOL_FAULT_DIR: ctl }, stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve({ code, signal });
      });
    });
    const hitFile = path.join(ctl, 'hit.r1');
    await until(() => existsSync(hitFile) && readFileSync(hitFile, 'utf8').length > 0, 20, `${rule.op} was not held ${rule.when} its call #${String(rule.nth)}`);
    if (cmd === 'python3') await signalled(child.pid ?? 0, exited, work);
    const held = readdirSync(work).sort();
    const state = readFileSync(`/proc/${String(child.pid)}/stat`, 'utf8').split(') ')[1]?.[0];
    if (state !== 'S') throw new Error(`fault injector self-check: the held process is in state ${String(state)}, not blocked (S)`);
    writeFileSync(path.join(ctl, 'release.r1'), `${word}\n`);
    const end = await exited;
    return { held, after: readdirSync(work).sort(), ...end, hit: readFileSync(hitFile, 'utf8').trim() };
  };
  try {
    for (const op of ['mkdir', 'open'] as const) {
      const k = await run({ op, when: 'after', nth: 2, glob: '*' }, 'kill');
      if (k.held.join() !== 'A,B' || !/ (mkdir after 0|open after \d+) 0 /.test(k.hit) || !k.hit.endsWith('/B')) throw new Error(`fault injector self-check: held after the 2nd ${op}, found ${k.held.join(',')} (hit: ${k.hit})`);
      if (k.signal !== 'SIGKILL' || k.after.join() !== 'A,B') throw new Error(`fault injector self-check: killed after the 2nd ${op}, it ended ${String(k.signal ?? k.code)} with ${k.after.join(',')}`);
      const g = await run({ op, when: 'before', nth: 2, glob: '*' }, 'go');
      if (g.held.join() !== 'A' || g.code !== 0 || g.after.join() !== 'A,B,C') throw new Error(`fault injector self-check: held before the 2nd ${op} it had ${g.held.join(',')}, then ended ${String(g.code)} with ${g.after.join(',')}`);
    }
    const c = await run({ op: 'chmod', when: 'after', nth: 1, glob: 'A' }, 'go');
    if (!c.hit.includes(' chmod after 0 0 ') || !c.hit.endsWith('/A') || c.code !== 0) throw new Error(`fault injector self-check: fchmodat2 through syscall(2) was not held as chmod of A (hit: ${c.hit}; ended ${String(c.signal ?? c.code)})`);
    return 'fault injector self-check: held after the 2nd mkdir, and after the 2nd file created by openat2 through syscall(2) (A,B made, C not), SIGKILL landed there (C never made); held before either and let go, all three made; fchmodat2 through syscall(2) held as chmod';
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** Calls libc's mount(NULL, <a path that does not exist>, NULL, MS_PRIVATE | MS_REC, NULL) and prints its errno. */
const MOUNT_ERRNO_PY = [
  'import ctypes, errno',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_void_p]',
  "r = libc.mount(None, b'/nonexistent/nol-mount-check', None, (1 << 18) | (1 << 14), None)",
  "print('ok' if r == 0 else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno())))",
].join('\n');

/**
 * Checks the injector's no-namespaces mode (NOL_NO_NAMESPACES=1) on this machine: a mount(2)
 * through libc that the kernel answers ENOENT (its target does not exist; the lookup comes before
 * any permission check, so no privilege is needed) answers EPERM under the mode and ENOENT with
 * the injector loaded but the mode off. As root, and with unshare(1) there, also what upstream's
 * probe does first: a new mount namespace whose `/` is made private (`unshare --mount true`) works
 * without the mode and fails with it. Throws, naming what did not happen.
 */
export function noNamespacesSelfCheck(so: string): string {
  // the injector loaded, no control dir, the mode as asked
  const envOf = (mode: boolean): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...process.env, LD_PRELOAD: so };
    delete env['NOL_FAULT_DIR'];
    delete env['NOL_NO_NAMESPACES'];
    return mode ? { ...env, NOL_NO_NAMESPACES: '1' } : env;
  };
  const errnoOf = (mode: boolean): string => {
    const env = envOf(mode);
    const r = spawnSync('python3', ['-c', MOUNT_ERRNO_PY], { env, encoding: 'utf8', timeout: 30_000 });
    if (r.error || r.status !== 0) throw new Error(`no-namespaces self-check: python3 failed: ${r.error?.message ?? r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const off = errnoOf(false);
  const on = errnoOf(true);
  if (off !== 'ENOENT') throw new Error(`no-namespaces self-check: with the mode off, mount(2) on a missing target gave ${off}, not ENOENT (the injector must pass it through)`);
  if (on !== 'EPERM') throw new Error(`no-namespaces self-check: with NOL_NO_NAMESPACES=1, mount(2) gave ${on}, not EPERM`);
  let probe = '';
  if (process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v unshare'], { encoding: 'utf8' }).status === 0) {
    const unshare = (mode: boolean): number | null => spawnSync('unshare', ['--mount', 'true'], { env: envOf(mode), stdio: 'ignore', timeout: 30_000 }).status;
    if (unshare(false) !== 0) throw new Error('no-namespaces self-check: `unshare --mount true` fails even without the mode: this machine gives no mount namespace, so a plan without them would show nothing');
    if (unshare(true) === 0) throw new Error('no-namespaces self-check: with NOL_NO_NAMESPACES=1, `unshare --mount true` still made `/` private');
    probe = '; `unshare --mount true` works without the mode and fails with it';
  }
  return `no-namespaces self-check: mount(2) gives ENOENT with the mode off and EPERM with it on${probe}`;
}
