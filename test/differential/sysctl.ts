/**
 * The fs.protected_* sysctls the oracle's kernel runs with, and (only when NOL_SET_SYSCTL=1) a way
 * to set them for one rule case. No namespace isolates these sysctls (unshare does not), so writing
 * them changes the whole host: only a throwaway CI machine (`.ci/run`) opts in. Within one test run
 * every writer and every reader of the settings goes through one lock, so the random differential
 * sequences never run while a rule case has the machine set differently from what they read.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelOptions } from '../../model/fs/index.js';

/** The two settings the model has options for; the values as /proc/sys/fs shows them. */
export interface ProtectedSettings {
  readonly symlinks: 0 | 1;
  readonly regular: 0 | 1 | 2;
}

const file = (name: 'symlinks' | 'regular'): string => `/proc/sys/fs/protected_${name}`;

/** The machine's settings now (0 when unreadable, e.g. not Linux). */
export function machineSettings(): ProtectedSettings {
  const read = (name: 'symlinks' | 'regular'): number => {
    try {
      return Number(fs.readFileSync(file(name), 'utf8').trim());
    } catch {
      return 0;
    }
  };
  return { symlinks: read('symlinks') > 0 ? 1 : 0, regular: Math.min(read('regular'), 2) as 0 | 1 | 2 };
}

export const asKernelOptions = (s: ProtectedSettings): KernelOptions => ({ protectedSymlinks: s.symlinks === 1, protectedRegular: s.regular });

export const showSettings = (s: ProtectedSettings): string => `protected_symlinks=${String(s.symlinks)} protected_regular=${String(s.regular)}`;

/** True when this run was allowed (NOL_SET_SYSCTL=1) to write the sysctls. */
export const sysctlWritesAllowed = (): boolean => process.env['NOL_SET_SYSCTL'] === '1';

/** Why this run cannot set the sysctls for a case, or null when it can. */
export function whyNotSettable(): string | null {
  if (!sysctlWritesAllowed()) return 'set NOL_SET_SYSCTL=1 (root, a throwaway machine) to let the test set the sysctl for the case';
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'setting the sysctl needs root on Linux';
  try {
    for (const name of ['symlinks', 'regular'] as const) fs.accessSync(file(name), fs.constants.W_OK);
  } catch (e) {
    return `cannot write /proc/sys/fs/protected_*: ${(e as Error).message}`;
  }
  return null;
}

const LOCK = join(tmpdir(), 'nol-protected-sysctl.lock');

interface LockOwner { readonly pid: number; readonly restore: ProtectedSettings }

function write(s: ProtectedSettings): void {
  fs.writeFileSync(file('symlinks'), `${String(s.symlinks)}\n`);
  fs.writeFileSync(file('regular'), `${String(s.regular)}\n`);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the lock (a directory: mkdir is atomic), waiting for its holder. A lock left by a dead
 * process is taken over after putting back the settings it recorded, so a killed run cannot leave
 * the host changed for the next one.
 */
async function lock(timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      const owner: LockOwner = { pid: process.pid, restore: machineSettings() };
      fs.writeFileSync(join(LOCK, 'owner.json'), JSON.stringify(owner));
      return () => { fs.rmSync(LOCK, { recursive: true, force: true }); };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner: LockOwner | undefined;
    try {
      owner = JSON.parse(fs.readFileSync(join(LOCK, 'owner.json'), 'utf8')) as LockOwner;
    } catch {
      owner = undefined; // being written or removed right now: look again
    }
    // an owner that died between mkdir and writing owner.json leaves a lock without one
    const orphaned = !owner && Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > 10_000;
    if (orphaned) {
      fs.rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (owner && !alive(owner.pid)) {
      write(owner.restore);
      fs.rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK} (held by pid ${String(owner?.pid)})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Holds the settings steady while the caller reads and relies on them (the random differential
 * sequences); a no-op unless this run may write them. Returns the release function.
 */
export async function holdSettings(timeoutMs = 300_000): Promise<() => void> {
  return sysctlWritesAllowed() ? lock(timeoutMs) : () => undefined;
}

/** Runs `body` with the machine set to `want`, and always puts the previous settings back. */
export async function withSettings<T>(want: ProtectedSettings, body: () => Promise<T>, timeoutMs = 300_000): Promise<T> {
  const why = whyNotSettable();
  if (why) throw new Error(why);
  const release = await lock(timeoutMs);
  const before = machineSettings();
  try {
    write(want);
    const now = machineSettings();
    if (now.symlinks !== want.symlinks || now.regular !== want.regular) throw new Error(`wrote ${showSettings(want)} but read back ${showSettings(now)}`);
    return await body();
  } finally {
    try {
      write(before);
    } finally {
      release();
    }
  }
}
