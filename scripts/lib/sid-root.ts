/**
 * A Debian sid root holding nix-bin 2.34.8, the Nix version the model is pinned to, and the means
 * to run things inside it: mounts that cannot outlive us, commands and a nix-daemon stopped by PID.
 *
 * Why sid: Debian ships nix-bin 2.34.8 only there (bookworm has 2.8.0, trixie 2.26.3). The root
 * is made once with `debootstrap --variant=minbase sid` and cached under /var/cache/nix-outpath-lab;
 * `<root>.ready` (a file holding the root's path) says it is complete and holds 2.34.8. Nothing
 * in it is ever upgraded: sid moves, and a root that drifted away from 2.34.8 is refused.
 *
 * Sessions. Everything inside the root runs in one private mount + PID namespace per session,
 * whose first process (the holder, PID 1 there) made the mounts (/proc of that PID namespace,
 * /dev recursively with /dev/pts) and then pivot_root'ed into the root. The host never sees
 * those mounts, so there is nothing to unmount on the host, ever. When the holder goes (its stdin
 * is our pipe: it goes when we close it or when we die, even by SIGKILL), the kernel kills what
 * is left in the namespace and the mounts go with it. The normal path does not rely on that: it
 * stops every process it started by PID first, and `close()` reports anything it had to leave
 * to the kernel.
 *
 * pivot_root rather than chroot: inside a chroot the kernel refuses a new user namespace
 * (unshare(CLONE_NEWUSER) fails EPERM when the caller's root is not its mount namespace's root),
 * and Nix's Linux sandbox wants one. After pivot_root the root IS the namespace's root.
 *
 * Locks: whoever runs a nix-daemon inside the root holds {@link ROOT_DAEMON_LOCK} for the whole
 * time ({@link acquireRootDaemonLock}); creating the root holds `<root>.create.lock`.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { acquireLock, run, type HeldLock, type Log, type RunResult } from './real-daemon.js';

export const CACHE_DIR = '/var/cache/nix-outpath-lab';
/** The Nix version the model is pinned to: the only one this root may hold. */
export const NIX_VERSION = '2.34.8';
/** The cached root. NOL_SID_ROOT points elsewhere, e.g. to time a cold start without touching the cache. */
export const SID_ROOT = process.env['NOL_SID_ROOT'] ?? path.join(CACHE_DIR, `sid-${NIX_VERSION}`);
/** Held by anyone running a nix-daemon inside a sid root, for as long as it runs. */
export const ROOT_DAEMON_LOCK = path.join(CACHE_DIR, 'daemon.lock');
export const SID_MIRROR = 'http://deb.debian.org/debian';
/** What the repro scripts need inside the root: the nix CLI and daemon, python3, ps, flock, umount. */
export const ROOT_PACKAGES = ['nix-bin', 'python3', 'procps', 'util-linux', 'mount'] as const;
/** The socket as seen inside the root. */
export const ROOT_SOCKET = '/nix/var/nix/daemon-socket/socket';
/** PATH and friends for commands inside the root: nothing of the host's environment leaks in. */
export const ROOT_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  DEBIAN_FRONTEND: 'noninteractive',
};

/** Build users made in the root, as Debian's nix-setup-systemd would: group nixbld lists nixbld1..N in order (Nix takes the first free one). */
export const ROOT_BUILD_USERS = 10;
const BUILD_USERS = `set -e
getent group nixbld > /dev/null || groupadd --system nixbld
for i in $(seq 1 ${String(ROOT_BUILD_USERS)}); do
  id nixbld$i > /dev/null 2>&1 || useradd --system --comment "Nix build user $i" --home-dir /var/empty --gid nixbld --groups nixbld --no-user-group --shell /usr/sbin/nologin nixbld$i
done
test "$(getent group nixbld | cut -d: -f4)" = "$(seq -s, -f nixbld%g 1 ${String(ROOT_BUILD_USERS)})"
`;

export const readyMarker = (root: string): string => `${root}.ready`;

/** The archive or the cached root offers another Nix than the one the model is pinned to. */
export class WrongNixVersion extends Error {}

export interface SidRoot {
  /** Host path of the root. */
  readonly root: string;
  /** `nix --version` inside it, e.g. `nix (Nix) 2.34.8`. */
  readonly version: string;
  /** True if this call made it (a cold start). */
  readonly created: boolean;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

const versionOk = (line: string): boolean => line.trim() === `nix (Nix) ${NIX_VERSION}`;

/** Mount points at or under `dir` in OUR mount namespace (a leftover there would make rm -rf dangerous). */
function mountsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4]?.replace(/\\040/g, ' ');
    if (mp !== undefined && (mp === dir || mp.startsWith(`${dir}/`))) out.push(mp);
  }
  return out;
}

function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  const m = mountsUnder(dir);
  if (m.length > 0) throw new Error(`will not remove ${dir}: something is mounted there (${m.join(', ')}); unmount it first`);
  rmSync(dir, { recursive: true, force: true });
}

function must(r: RunResult, what: string): string {
  if (r.timedOut) throw new Error(`${what}: timed out`);
  if (r.status !== 0) throw new Error(`${what}: exit ${String(r.status)}: ${r.stderr.trim().split('\n').slice(-4).join(' / ')}`);
  return r.stdout;
}

/** debootstrap on the host: installed from the host's apt sources if missing (apt-get update only if the first try fails). */
function ensureDebootstrap(log: Log): void {
  if (run('sh', ['-c', 'command -v debootstrap'], { timeoutSec: 10 }).status === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): RunResult => run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '--no-install-recommends', 'debootstrap'], { timeoutSec: 900, env });
  log('host: apt-get install debootstrap');
  if (install().status === 0) return;
  log('host: apt-get update, then install debootstrap again');
  must(run('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update'], { timeoutSec: 900, env }), 'apt-get update');
  must(install(), 'apt-get install debootstrap');
}

/** The version line of the nix inside `root`, or undefined if it has none. */
async function rootNixVersion(root: string, log: Log): Promise<string | undefined> {
  if (!existsSync(path.join(root, 'usr/bin/nix'))) return undefined;
  const s = await openRootSession(root, log);
  try {
    const r = s.run(['nix', '--version'], { timeoutSec: 30 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  } finally {
    await s.close();
  }
}

/**
 * The cached sid root with nix-bin 2.34.8, made if missing (debootstrap + apt-get: a few minutes).
 * Refuses ({@link WrongNixVersion}) if the cached root or the archive holds another Nix.
 * A half-made root (no marker) is rebuilt from scratch; a complete one is never touched.
 */
export async function ensureSidRoot(log: Log, opts: { root?: string; abort?: AbortSignal; lockWaitSec?: number } = {}): Promise<SidRoot> {
  const root = opts.root ?? SID_ROOT;
  const marker = readyMarker(root);
  mkdirSync(path.dirname(root), { recursive: true });
  const lock = await acquireLock(`${root}.create.lock`, opts.lockWaitSec ?? 3600, log, opts.abort);
  try {
    if (existsSync(marker) && readFileSync(marker, 'utf8').trim() === root) {
      const version = await rootNixVersion(root, log);
      if (version === undefined) throw new Error(`${root} is marked ready (${marker}) but has no working nix; remove both to rebuild it`);
      if (!versionOk(version)) throw new WrongNixVersion(`the cached root ${root} has '${version}', not Nix ${NIX_VERSION}; remove ${root} and ${marker} to rebuild it`);
      return { root, version, created: false };
    }
    const t0 = Date.now();
    const partial = `${root}.partial`;
    removeTree(partial);
    ensureDebootstrap(log);
    log(`debootstrap --variant=minbase sid ${partial} ${SID_MIRROR} (a few minutes)`);
    // Its own mount namespace: whatever debootstrap mounts (proc, sys) goes when it ends, however it ends.
    must(run('unshare', ['--mount', '--propagation', 'private', 'debootstrap', '--variant=minbase', 'sid', partial, SID_MIRROR], { timeoutSec: 3600 }), 'debootstrap');
    // sid's Release file is routinely past its Valid-Until date on the mirrors these machines reach.
    writeFileSync(path.join(partial, 'etc/apt/apt.conf.d/99nix-outpath-lab'), 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n');
    const s = await openRootSession(partial, log);
    let version: string;
    try {
      must(s.run(['apt-get', 'update'], { timeoutSec: 1800 }), 'apt-get update (in the sid root)');
      const policy = must(s.run(['apt-cache', 'policy', 'nix-bin'], { timeoutSec: 60 }), 'apt-cache policy nix-bin');
      const candidate = /Candidate: (\S+)/.exec(policy)?.[1] ?? '(none)';
      if (!candidate.startsWith(`${NIX_VERSION}+`) && candidate !== NIX_VERSION) {
        throw new WrongNixVersion(`Debian sid now offers nix-bin ${candidate}, not ${NIX_VERSION}: the oracle compares the model only with the Nix it is pinned to, so it stops here (a root cached while sid had ${NIX_VERSION} still works)`);
      }
      log(`apt-get install ${ROOT_PACKAGES.join(' ')} (nix-bin ${candidate})`);
      must(s.run(['apt-get', 'install', '-y', ...ROOT_PACKAGES], { timeoutSec: 3600 }), 'apt-get install (in the sid root)');
      version = must(s.run(['nix', '--version'], { timeoutSec: 30 }), 'nix --version (in the sid root)').trim();
      if (!versionOk(version)) throw new WrongNixVersion(`the sid root got '${version}', not Nix ${NIX_VERSION}`);
      // nix-bin's users come from nix-setup-systemd (a Recommends that pulls in systemd): made here instead.
      must(s.run(['sh', '-c', BUILD_USERS], { timeoutSec: 120 }), `creating group nixbld and users nixbld1..${String(ROOT_BUILD_USERS)}`);
    } finally {
      await s.close();
    }
    removeTree(root);
    renameSync(partial, root);
    writeFileSync(`${marker}.tmp`, `${root}\n`);
    renameSync(`${marker}.tmp`, marker);
    log(`sid root ready in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${root} (${version}); marker ${marker}`);
    return { root, version, created: true };
  } finally {
    await lock.release();
  }
}

/** The lock every nix-daemon run inside a sid root holds for its whole duration. */
export function acquireRootDaemonLock(waitSec: number, log: Log, abort?: AbortSignal): Promise<HeldLock> {
  mkdirSync(CACHE_DIR, { recursive: true });
  return acquireLock(ROOT_DAEMON_LOCK, waitSec, log, abort);
}

// ------------------------------------------------------------------------------ processes ---

export interface ProcId {
  readonly pid: number;
  readonly start: string;
}

function procStat(pid: number): { ppid: number; start: string; state: string } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // fields after "pid (comm) "
    return { state: f[0] ?? '', ppid: Number(f[1]), start: f[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie, and the same process (start time) as when we noted it. */
export const procAlive = (p: ProcId): boolean => {
  const st = procStat(p.pid);
  return st !== undefined && st.start === p.start && st.state !== 'Z';
};

export function procId(pid: number): ProcId | undefined {
  const st = procStat(pid);
  return st ? { pid, start: st.start } : undefined;
}

/** Host PIDs of the children of `ppid`. */
export function childrenOf(ppid: number): ProcId[] {
  const out: ProcId[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.ppid === ppid) out.push({ pid: Number(name), start: st.start });
  }
  return out;
}

/** Every process in the PID namespace `nsLink` (`pid:[inode]`), as host PIDs. */
function processesInPidNs(nsLink: string): ProcId[] {
  const out: ProcId[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readlinkSync(`/proc/${name}/ns/pid`) !== nsLink) continue;
    } catch {
      continue;
    }
    const id = procId(Number(name));
    if (id) out.push(id);
  }
  return out;
}

/** Signals `p` by PID unless it is gone or is another process now; never throws. */
export function signal(p: ProcId, sig: NodeJS.Signals): void {
  if (!procAlive(p)) return;
  try {
    process.kill(p.pid, sig);
  } catch {
    // it went between the check and the kill
  }
}

/** Stops `p`: `first`, then SIGTERM, then SIGKILL, each bounded. True if it is gone. */
export async function stopProcess(p: ProcId, first: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<boolean> {
  for (const [sig, ms] of [
    [first, graceMs],
    ['SIGTERM', 5000],
    ['SIGKILL', 5000],
  ] as const) {
    signal(p, sig);
    for (let t = 0; t < ms && procAlive(p); t += 50) await sleep(50);
    if (!procAlive(p)) return true;
  }
  return false;
}

// ------------------------------------------------------------------------------- sessions ---

/** A process started inside the root. `pid` is the program itself (host PID), not the nsenter that started it. */
export interface RootProcess {
  readonly child: ChildProcess;
  readonly proc: ProcId;
  /** Resolves with the exit code (or 128+signal) once the program is gone. */
  readonly exit: Promise<number>;
}

export interface SpawnInRootOptions {
  /** Extra environment on top of {@link ROOT_ENV}. */
  readonly env?: Readonly<Record<string, string>>;
  readonly stdio?: StdioOptions;
  /** Own process group, so a terminal Ctrl-C does not reach it (daemons). */
  readonly detached?: boolean;
  /** Working directory inside the root (default /). */
  readonly cwd?: string;
}

export interface RootSession {
  /** Host path of the root. */
  readonly root: string;
  /** The holder: PID 1 of the session's PID namespace, as a host PID. */
  readonly holder: ProcId;
  /** Host path of a path inside the root. */
  hostPath(inRoot: string): string;
  /** Runs argv inside the root, synchronously, bounded. */
  run(argv: readonly string[], opts: { timeoutSec: number; env?: Readonly<Record<string, string>>; input?: string; cwd?: string }): RunResult;
  /** Starts argv inside the root; resolves once its own PID is known. */
  spawn(argv: readonly string[], opts?: SpawnInRootOptions): Promise<RootProcess>;
  /** Stops whatever is left in the namespace (by PID), then ends the holder: the mounts go with it. */
  close(): Promise<void>;
}

/**
 * The holder's script (run by `unshare --mount --pid --fork`, so it is PID 1 of a new PID
 * namespace with a private copy of our mounts). Mounts are made with the host's tools, then the
 * root becomes the namespace's root. `cat` keeps it alive until our end of its stdin closes.
 */
const HOLDER = `set -e
R=$1
shift
mount --rbind "$R" "$R"
# extra binds, as pairs: a host dir, then where it appears inside the root
while [ $# -ge 2 ]; do
  mkdir -p "$R$2"
  mount --bind "$1" "$R$2"
  shift 2
done
mount -t proc proc "$R/proc"
mount --rbind /dev "$R/dev"
cd "$R"
if [ -x usr/bin/umount ] && [ -x usr/bin/cat ]; then
  mkdir -p .nol-oldroot
  pivot_root . .nol-oldroot
  cd /
  umount -l /.nol-oldroot
  echo ready pivot
else
  # a root still being made (no umount yet): a chroot is enough for apt-get
  echo ready chroot
  exec chroot . /bin/cat > /dev/null
fi
exec cat > /dev/null
`;

/** A host directory shown inside a session's root (only in that session's mount namespace). */
export interface RootBind {
  /** Absolute host path of an existing directory. */
  readonly host: string;
  /** Absolute path inside the root; made if missing. */
  readonly inside: string;
}

/** Opens a session on `root` (see the file comment), with `binds` mounted in it. Close it in a `finally`. */
export async function openRootSession(root: string, log: Log, binds: readonly RootBind[] = []): Promise<RootSession> {
  if (!existsSync(path.join(root, 'bin/sh'))) throw new Error(`${root} is not a root file system (no bin/sh)`);
  for (const b of binds) {
    if (!path.isAbsolute(b.host) || !path.isAbsolute(b.inside) || !existsSync(b.host)) throw new Error(`cannot bind ${b.host} at ${b.inside}: both must be absolute and ${b.host} must exist`);
  }
  const bindArgs = binds.flatMap((b) => [b.host, b.inside]);
  const u = spawn('unshare', ['--mount', '--pid', '--fork', '--kill-child', '--propagation', 'private', '--', 'sh', '-c', HOLDER, 'holder', root, ...bindArgs], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true, // a terminal Ctrl-C must not end the session while we are still stopping things in it
  });
  let out = '';
  let err = '';
  u.stdout.on('data', (d: Buffer) => (out += d.toString()));
  u.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const unsharePid = u.pid;
  if (unsharePid === undefined) throw new Error('could not start unshare');
  for (let i = 0; i < 300 && !out.includes('ready') && u.exitCode === null; i++) await sleep(50);
  const kids = childrenOf(unsharePid);
  const holder = kids[0];
  if (!out.includes('ready') || holder === undefined) {
    u.stdin.end();
    if (u.exitCode === null) u.kill('SIGKILL');
    throw new Error(`could not set up the namespace for ${root}: ${err.trim() || `unshare exited ${String(u.exitCode)}`}`);
  }
  const mode = out.includes('pivot') ? 'pivot_root' : 'chroot';
  const nsLink = readlinkSync(`/proc/${holder.pid}/ns/pid`);
  log(`session on ${root}: holder PID ${holder.pid} (${mode}, ${nsLink})`);
  // --root/--wd without a value: the holder's root and cwd (a value would be resolved on the host).
  const enter = (argv: readonly string[], cwd?: string): string[] => [
    '--target',
    String(holder.pid),
    '--mount',
    '--pid',
    '--root',
    '--wd',
    '--',
    ...(cwd === undefined ? argv : ['sh', '-c', 'cd "$0" && exec "$@"', cwd, ...argv]),
  ];
  const envOf = (extra?: Readonly<Record<string, string>>): NodeJS.ProcessEnv => ({ ...ROOT_ENV, ...extra });
  let closed = false;

  const session: RootSession = {
    root,
    holder,
    hostPath: (p) => path.join(root, p),
    run(argv, o) {
      return run('nsenter', enter(argv, o.cwd), { timeoutSec: o.timeoutSec, env: envOf(o.env), ...(o.input !== undefined ? { input: o.input } : {}) });
    },
    async spawn(argv, o = {}) {
      const child = spawn('nsenter', enter(argv, o.cwd), { env: envOf(o.env), stdio: o.stdio ?? ['ignore', 'pipe', 'pipe'], detached: o.detached ?? false });
      const npid = child.pid;
      if (npid === undefined) throw new Error(`could not start nsenter for ${argv.join(' ')}`);
      const exit = new Promise<number>((resolve) => {
        child.once('exit', (code, sig) => {
          resolve(code ?? 128 + (sig ? (({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }) as Record<string, number>)[sig] ?? 0 : 0));
        });
      });
      // nsenter forks once to enter the PID namespace; the program is its only child.
      let proc: ProcId | undefined;
      for (let i = 0; i < 200 && proc === undefined; i++) {
        proc = childrenOf(npid)[0];
        if (proc === undefined) {
          if (child.exitCode !== null || child.signalCode !== null) break;
          await sleep(10);
        }
      }
      if (proc === undefined) {
        // it ran and ended before we saw it, or it never started: either way there is nothing to stop
        return { child, proc: { pid: npid, start: 'gone' }, exit };
      }
      return { child, proc, exit };
    },
    async close() {
      if (closed) return;
      closed = true;
      // zombies (orphans the holder never reaps) are not left running; they go with the holder
      const left = processesInPidNs(nsLink).filter((p) => p.pid !== holder.pid && procAlive(p));
      for (const p of left) {
        log(`session ${root}: stopping leftover PID ${p.pid} (${readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim()})`);
        await stopProcess(p, 'SIGTERM', 5000);
      }
      u.stdin.end();
      for (let i = 0; i < 100 && u.exitCode === null && u.signalCode === null; i++) await sleep(50);
      if (u.exitCode === null && u.signalCode === null) {
        log(`session ${root}: holder did not end; SIGKILL to unshare PID ${unsharePid}`);
        u.kill('SIGKILL'); // --kill-child takes the holder, and the kernel the rest of the namespace
      }
    },
  };
  return session;
}

// ------------------------------------------------------------------------------ the daemon ---

export interface RootDaemon {
  readonly proc: ProcId;
  /** Environment for clients inside the root (NIX_REMOTE=daemon and the daemon's config). */
  readonly clientEnv: Readonly<Record<string, string>>;
  readonly key: string;
  readonly logFile: string;
  isAlive(): boolean;
  stop(): Promise<void>;
}

/** Does a daemon answer on the root's socket? */
export function rootDaemonAnswers(s: RootSession, env: Readonly<Record<string, string>>): boolean {
  if (!existsSync(s.hostPath(ROOT_SOCKET))) return false;
  return s.run(['nix', '--extra-experimental-features', 'nix-command', 'store', 'info'], { timeoutSec: 10, env: { ...env, NIX_REMOTE: 'daemon' } }).status === 0;
}

/** Where the daemon we start is noted, so that a run killed outright (SIGKILL) can be cleaned up by the next holder of the lock. */
const DAEMON_PID_FILE = path.join(CACHE_DIR, 'daemon.pid');

/** A daemon noted in {@link DAEMON_PID_FILE} that is still alive belongs to a killed run: stop it by PID. Call with the lock held. */
export async function reapStaleRootDaemon(log: Log): Promise<void> {
  if (!existsSync(DAEMON_PID_FILE)) return;
  const [pid, start] = readFileSync(DAEMON_PID_FILE, 'utf8').trim().split(' ');
  const p = { pid: Number(pid), start: start ?? '' };
  if (Number.isInteger(p.pid) && procAlive(p)) {
    log(`a nix-daemon from an earlier run that was killed (PID ${p.pid}) is still alive: stopping it`);
    const workers = childrenOf(p.pid);
    await stopProcess(p);
    for (const w of workers) await stopProcess(w);
  }
  rmSync(DAEMON_PID_FILE, { force: true });
}

/**
 * Starts `nix-daemon` inside the root (never with NIX_REMOTE in its environment: its workers
 * would connect back to the daemon, without end), with `confEnv` (NIX_CONF_DIR etc., as seen
 * inside the root), and waits until it answers. Hold {@link ROOT_DAEMON_LOCK} while it runs.
 * `binary` is the daemon as seen inside the root (default: the root's /usr/bin/nix-daemon).
 */
export async function startRootDaemon(
  s: RootSession,
  opts: { confEnv: Readonly<Record<string, string>>; key: string; logFile: string; binary?: string; extraEnv?: Readonly<Record<string, string>> },
  log: Log,
): Promise<RootDaemon> {
  const env = { ...opts.confEnv, ...opts.extraEnv };
  delete (env as Record<string, string | undefined>)['NIX_REMOTE'];
  const clientEnv = { ...opts.confEnv, NIX_REMOTE: 'daemon' };
  if (rootDaemonAnswers(s, clientEnv)) throw new Error(`a nix-daemon this run did not start answers on ${s.hostPath(ROOT_SOCKET)}; stop it first (its owner should hold ${ROOT_DAEMON_LOCK})`);
  mkdirSync(path.dirname(s.hostPath(ROOT_SOCKET)), { recursive: true });
  const fd = openSync(opts.logFile, 'a');
  const bin = opts.binary ?? '/usr/bin/nix-daemon';
  let rp: RootProcess;
  try {
    rp = await s.spawn([bin], { env, stdio: ['ignore', fd, fd], detached: true });
  } finally {
    closeSync(fd);
  }
  const me = rp.proc;
  writeFileSync(DAEMON_PID_FILE, `${me.pid} ${me.start}\n`);
  let exited = false;
  void rp.exit.then(() => (exited = true));

  const stop = async (): Promise<void> => {
    // Workers are forked per connection; note them before the master goes (they get reparented).
    const workers = procAlive(me) ? childrenOf(me.pid) : [];
    if (procAlive(me) && !(await stopProcess(me, 'SIGTERM', 10_000))) log(`nix-daemon PID ${me.pid} survived SIGKILL?`);
    for (const w of workers) {
      if (!procAlive(w)) continue;
      log(`stopping leftover daemon worker PID ${w.pid}`);
      await stopProcess(w, 'SIGTERM', 5000);
    }
    await rp.exit;
    rmSync(DAEMON_PID_FILE, { force: true });
    log(`nix-daemon PID ${me.pid} stopped`);
  };

  for (let i = 0; i < 300 && !exited; i++) {
    if (rootDaemonAnswers(s, clientEnv)) {
      log(`nix-daemon PID ${me.pid} (${bin} in ${s.root}, ${opts.key}) answers; log ${opts.logFile}`);
      return { proc: me, clientEnv, key: opts.key, logFile: opts.logFile, isAlive: () => !exited && procAlive(me), stop };
    }
    await sleep(100);
  }
  await stop();
  const tail = existsSync(opts.logFile) ? readFileSync(opts.logFile, 'utf8').split('\n').slice(-5).join('\n') : '';
  throw new Error(`nix-daemon (${bin} in ${s.root}) did not answer within 30 s; log tail:\n${tail}`);
}
