/**
 * Machine-level pieces of the real-daemon oracle: the shared daemon lock, installing nix-bin,
 * build users, a throwaway nix.conf, and a nix-daemon we start and stop ourselves.
 *
 * Rules kept here (each learnt on a real daemon):
 * - the daemon never inherits NIX_REMOTE (Nix 2.8's worker would connect back to the daemon,
 *   recursively: a fork bomb);
 * - every process is stopped by its PID (never by name), every wait is bounded;
 * - /etc/nix/nix.conf is never touched: daemon and clients read NIX_CONF_DIR instead.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DIVERTED_STORE_ROOT, experimentalFeatures, type PlanSettings } from '../../sim/repro/plan.js';

/** Shared by everything that uses the daemon on this machine. NOL_DAEMON_LOCK overrides it for tests only. */
export const DAEMON_LOCK = '/var/lock/nix-outpath-lab-daemon.lock';
export const SOCKET = '/nix/var/nix/daemon-socket/socket';

export type Log = (msg: string) => void;

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Runs a command synchronously, bounded by `timeoutSec` (SIGTERM, by PID, when it expires). */
export function run(cmd: string, args: readonly string[], opts: { timeoutSec: number; env?: NodeJS.ProcessEnv; input?: string }): RunResult {
  const r = spawnSync(cmd, args, {
    env: opts.env ?? process.env,
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutSec * 1000,
    killSignal: 'SIGTERM',
    maxBuffer: 64 << 20,
  });
  const timedOut = r.error !== undefined && (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT';
  return { status: r.status, stdout: r.stdout, stderr: r.stderr + (r.error && !timedOut ? String(r.error) : ''), timedOut };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Resolves when the child exits or after `ms`; true if it exited. */
function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      resolve(false);
    }, ms);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

// ------------------------------------------------------------------------------- the lock ---

export interface HeldLock {
  /** Releases the lock (ends the flock holder's stdin; it exits, flock(1) drops the lock). */
  release(): Promise<void>;
}

/**
 * Takes /var/lock/nix-outpath-lab-daemon.lock the way the other users of the daemon do
 * (`flock FILE ...`), through a flock(1) child that holds it until its stdin closes: if this
 * process dies in any way, the pipe closes and the lock goes with it.
 */
export function acquireDaemonLock(waitSec: number, log: Log, abort?: AbortSignal, file = process.env['NOL_DAEMON_LOCK'] ?? DAEMON_LOCK): Promise<HeldLock> {
  return acquireLock(file, waitSec, log, abort);
}

/** An exclusive flock on `file`, held as {@link acquireDaemonLock} describes, for any lock file. */
export async function acquireLock(file: string, waitSec: number, log: Log, abort?: AbortSignal): Promise<HeldLock> {
  // Own process group (detached): a Ctrl-C at the terminal must not drop the lock while we are
  // still stopping the daemon; only the end of our pipe (or our death) releases it.
  const child = spawn('flock', ['--exclusive', '--wait', String(waitSec), file, 'sh', '-c', 'echo locked; exec cat > /dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
    detached: true,
  });
  let announced = false;
  const got = new Promise<boolean>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      if (!announced && d.toString().includes('locked')) {
        announced = true;
        resolve(true);
      }
    });
    child.once('exit', () => {
      resolve(false);
    });
  });
  const timer = setTimeout(() => {
    log(`waiting for ${file} (someone else holds it; up to ${waitSec}s)`);
  }, 2000);
  // A signal while waiting: stop our flock child (by PID) instead of waiting out --wait.
  const onAbort = (): void => {
    if (child.exitCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
  };
  abort?.addEventListener('abort', onAbort);
  const ok = await got;
  clearTimeout(timer);
  abort?.removeEventListener('abort', onAbort);
  if (ok && abort?.aborted) {
    child.stdin.end();
    throw new Error(`stopped while waiting for ${file}`);
  }
  if (!ok) throw new Error(`could not take ${file} within ${waitSec}s (flock exited ${String(child.exitCode)})`);
  log(`holding ${file} (flock PID ${String(child.pid)})`);
  return {
    async release() {
      child.stdin.end();
      if (!(await exited(child, 5000)) && child.pid !== undefined) process.kill(child.pid, 'SIGTERM');
    },
  };
}

// ------------------------------------------------------------------------- nix and users ---

/** Installs Debian's nix-bin if the clients are missing (apt-get update first; waits for the dpkg lock). */
export function ensureNixInstalled(log: Log): void {
  if (run('sh', ['-c', 'command -v nix-build && command -v nix-daemon'], { timeoutSec: 10 }).status === 0) return;
  log('nix-bin missing: apt-get update && apt-get install -y nix-bin');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const up = run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { timeoutSec: 900, env });
  if (up.status !== 0) throw new Error(`apt-get update failed: ${up.stderr.slice(-500)}`);
  const inst = run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', 'nix-bin'], { timeoutSec: 1200, env });
  if (inst.status !== 0) throw new Error(`apt-get install nix-bin failed: ${inst.stderr.slice(-500)}`);
}

/**
 * Makes group nixbld hold nixbld1..n as its FIRST n members, in order: Nix 2.8 allocates the
 * first free member in group order, and the plans' expectations (nixbld1, then nixbld2 while
 * nixbld1 is held) depend on it. Debian's postinst creates nixbld1..10 that way already.
 */
export function ensureBuildUsers(n: number, log: Log): void {
  const must = (r: RunResult, what: string): void => {
    if (r.status !== 0) throw new Error(`${what} failed: ${r.stderr.trim()}`);
  };
  if (run('getent', ['group', 'nixbld'], { timeoutSec: 10 }).status !== 0) {
    log('creating group nixbld');
    must(run('groupadd', ['--system', 'nixbld'], { timeoutSec: 30 }), 'groupadd nixbld');
  }
  for (let i = 1; i <= n; i++) {
    const u = `nixbld${i}`;
    if (run('id', [u], { timeoutSec: 10 }).status !== 0) {
      log(`creating build user ${u}`);
      must(
        run('useradd', ['--system', '--comment', `Nix build user ${i}`, '--home-dir', '/var/empty', '--gid', 'nixbld', '--groups', 'nixbld', '--no-user-group', '--shell', '/usr/sbin/nologin', u], { timeoutSec: 30 }),
        `useradd ${u}`,
      );
    }
  }
  const members = (): string[] => (run('getent', ['group', 'nixbld'], { timeoutSec: 10 }).stdout.trim().split(':')[3] ?? '').split(',').filter(Boolean);
  for (let i = 1; i <= n; i++) {
    if (!members().includes(`nixbld${i}`)) must(run('usermod', ['-a', '-G', 'nixbld', `nixbld${i}`], { timeoutSec: 30 }), `usermod nixbld${i}`);
  }
  const first = members().slice(0, n);
  const want = Array.from({ length: n }, (_, i) => `nixbld${i + 1}`);
  if (first.join(',') !== want.join(',')) {
    throw new Error(`group nixbld must list ${want.join(',')} first (Nix takes the first free member in group order); it lists ${members().join(',')}`);
  }
}

/** What the fake free-space file says outside a nol_auto_gc step: above min-free, so no auto-GC. */
export const FREE_SPACE_PLENTY = 1_000_000_000_000;

/** Daemon configuration that differs between plans; plans with the same key share one daemon. */
export function settingsKey(s: PlanSettings): string {
  return `${s.buildUsers > 0 ? 'multi-user' : 'single-user'}${s.keepFailed ? '+keep-failed' : ''}${s.sandbox === 'relaxed' ? '+sandbox-relaxed' : s.sandbox ? '+sandbox' : ''}${s.autoAllocateUids ? '+auto-uids' : ''}${s.autoGc ? '+auto-gc' : ''}${s.caDerivations === false ? '+no-ca' : ''}${s.mountAndPidNamespaces === false ? '+no-namespaces' : ''}${s.sandboxFallback ? '+sandbox-fallback' : ''}${s.divertedStore ? '+diverted' : ''}${s.useCgroups ? '+cgroups' : ''}`;
}

/**
 * The environment that keeps a daemon from mount namespaces (PlanSettings.mountAndPidNamespaces
 * false): the fault injector at `injector` (as the daemon sees it) in its no-namespaces mode, where
 * every mount(2) fails EPERM. Empty for any other plan. The daemon's workers inherit it; builders
 * do not (Nix gives them an environment of their own).
 */
export function namespaceEnv(s: PlanSettings, injector: string): Record<string, string> {
  return s.mountAndPidNamespaces === false ? { LD_PRELOAD: injector, NOL_NO_NAMESPACES: '1' } : {};
}

/**
 * What the daemon alone gets on top of the shared nix.conf: with a diverted store, `store =
 * local?root=<root>` (in NIX_CONFIG, which Nix applies after nix.conf). Not in nix.conf: the
 * clients read that too, and `store` there would have them open the store themselves instead of
 * asking the daemon (their NIX_REMOTE=daemon is only the setting's default).
 */
export function daemonOnlyEnv(s: PlanSettings, root = DIVERTED_STORE_ROOT): Record<string, string> {
  return s.divertedStore ? { NIX_CONFIG: `store = local?root=${root}` } : {};
}

/**
 * Writes a throwaway nix.conf into `dir` for NIX_CONF_DIR. Nix reads `$NIX_CONF_DIR/nix.conf`
 * instead of /etc/nix/nix.conf, in the daemon and in clients alike; NIX_USER_CONF_FILES points
 * at an empty file so no ~/.config/nix/nix.conf or /etc/xdg one leaks in either. `seenAs` is
 * `dir` as the daemon sees it (inside a root), if that differs. With the sandbox on,
 * `sandbox-fallback = false`: a daemon that cannot sandbox must fail, not build without one;
 * only a plan about that daemon (settings.sandboxFallback) sets it true.
 */
export function writeNixConf(dir: string, s: PlanSettings, seenAs = dir): Record<string, string> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'nix.conf'),
    [
      `build-users-group = ${s.buildUsers > 0 ? 'nixbld' : ''}`,
      `sandbox = ${String(s.sandbox ?? false)}`,
      // a diverted store chroots every build (sandbox = false too): it must fail, not build without
      ...(s.sandbox || s.divertedStore ? [`sandbox-fallback = ${String(s.sandboxFallback === true)}`] : []),
      `experimental-features = ${experimentalFeatures(s)}`,
      ...(s.autoAllocateUids ? ['auto-allocate-uids = true'] : []),
      ...(s.useCgroups ? ['use-cgroups = true'] : []),
      'substituters =',
      `keep-failed = ${String(s.keepFailed)}`,
      // the daemon's own GC: every worker-loop iteration checks (interval 0) a free space the harness sets
      ...(s.autoGc ? ['min-free = 1000000', 'max-free = 1000000000', 'min-free-check-interval = 0'] : []),
      '',
    ].join('\n'),
  );
  writeFileSync(path.join(dir, 'user.conf'), '');
  const env: Record<string, string> = { NIX_CONF_DIR: seenAs, NIX_USER_CONF_FILES: path.join(seenAs, 'user.conf') };
  if (s.autoGc) {
    // plenty until a nol_auto_gc step lowers it (gc.cc LocalStore::autoGC reads it instead of statvfs)
    writeFileSync(path.join(dir, 'free-space'), `${FREE_SPACE_PLENTY}\n`);
    env['_NIX_TEST_FREE_SPACE_FILE'] = path.join(seenAs, 'free-space');
  }
  return env;
}

/** Does some daemon answer on the socket? */
export function daemonAnswers(env: NodeJS.ProcessEnv): boolean {
  if (!existsSync(SOCKET)) return false;
  return run('nix', ['--extra-experimental-features', 'nix-command', 'store', 'ping'], { timeoutSec: 10, env: { ...env, NIX_REMOTE: 'daemon' } }).status === 0;
}

// ------------------------------------------------------------------------------ the daemon ---

interface ProcId {
  readonly pid: number;
  readonly start: string;
}

/** Children of `ppid` with their start times (so a PID that was reused is never signalled). */
function childrenOf(ppid: number): ProcId[] {
  const out: ProcId[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.ppid === ppid) out.push({ pid: Number(name), start: st.start });
  }
  return out;
}

function procStat(pid: number): { ppid: number; start: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // fields after "pid (comm) "
    return { ppid: Number(f[1]), start: f[19] ?? '' };
  } catch {
    return undefined;
  }
}

const alive = (p: ProcId): boolean => procStat(p.pid)?.start === p.start;

export interface RunningDaemon {
  readonly pid: number;
  readonly env: NodeJS.ProcessEnv;
  readonly key: string;
  readonly logFile: string;
  isAlive(): boolean;
  stop(): Promise<void>;
}

export interface DaemonOptions {
  /** Directory holding `nix-daemon` (e.g. a patched build's run/bin); default: the one on PATH. */
  readonly binDir?: string;
  /** NIX_LIBEXEC_DIR for a patched build (its build hook); default: `<binDir>/../libexec` if present. */
  readonly libexecDir?: string;
  readonly confEnv: NodeJS.ProcessEnv;
  readonly key: string;
  readonly logFile: string;
}

/** Starts `env -u NIX_REMOTE nix-daemon` with the given config and waits until it answers. */
export async function startDaemon(opts: DaemonOptions, log: Log): Promise<RunningDaemon> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.confEnv };
  delete env['NIX_REMOTE']; // never: see the file comment
  let cmd = 'nix-daemon';
  if (opts.binDir !== undefined) {
    cmd = path.join(opts.binDir, 'nix-daemon');
    env['NIX_BIN_DIR'] = opts.binDir;
    const libexec = opts.libexecDir ?? path.join(opts.binDir, '..', 'libexec');
    if (existsSync(libexec)) env['NIX_LIBEXEC_DIR'] = libexec;
  }
  mkdirSync(path.dirname(SOCKET), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  // Own process group (detached), so a terminal Ctrl-C reaches our scripts and clients but not
  // the daemon: it is stopped by its PID, after the clients, in stop().
  const child = spawn(cmd, [], { env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${cmd}`);
  const me = { pid, start: procStat(pid)?.start ?? '' };
  const clientEnv: NodeJS.ProcessEnv = { ...process.env, ...opts.confEnv, NIX_REMOTE: 'daemon' };

  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    // Workers are forked per connection; note them before the master goes (they get reparented).
    const workers = childrenOf(pid);
    process.kill(pid, 'SIGTERM');
    if (!(await exited(child, 10_000))) {
      log(`nix-daemon PID ${pid} ignored SIGTERM; SIGKILL`);
      process.kill(pid, 'SIGKILL');
      await exited(child, 5000);
    }
    for (const w of workers) {
      if (!alive(w)) continue;
      log(`stopping leftover daemon worker PID ${w.pid}`);
      process.kill(w.pid, 'SIGTERM');
      for (let i = 0; i < 50 && alive(w); i++) await sleep(100);
      if (alive(w)) process.kill(w.pid, 'SIGKILL');
    }
    log(`nix-daemon PID ${pid} stopped`);
  };

  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (daemonAnswers(clientEnv)) {
      log(`nix-daemon PID ${pid} (${cmd}, ${opts.key}) answers; log ${opts.logFile}`);
      return { pid, env: clientEnv, key: opts.key, logFile: opts.logFile, isAlive: () => alive(me) && child.exitCode === null, stop };
    }
    await sleep(100);
  }
  await stop();
  const tail = existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8').split('\n').slice(-5).join('\n') : '';
  throw new Error(`nix-daemon (${cmd}) did not answer within 30 s; log tail:\n${tail}`);
}
