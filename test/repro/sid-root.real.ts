/**
 * The Debian sid root of the 2.34.8 oracle, for real: sessions whose mounts the host never sees
 * and whose processes end with them, even when the process that opened one is SIGKILLed; a
 * runner stopped by SIGTERM mid-plan leaves nothing running and the lock free; a daemon that is
 * not 2.34.8 is refused. Needs root and the cached root (made on first use: a few minutes).
 * Not in the default run (see vitest.real.config.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSidRoot, openRootSession, procAlive, ROOT_DAEMON_LOCK, type ProcId } from '../../scripts/lib/sid-root.js';

const repo = join(import.meta.dirname, '..', '..');
const log = (m: string): void => {
  process.stderr.write(`[sid-root test] ${m}\n`);
};
let root = '';

const mountedUnder = (dir: string): string[] =>
  readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));

async function gone(p: ProcId, ms = 10_000): Promise<boolean> {
  for (let t = 0; t < ms && procAlive(p); t += 100) await new Promise((r) => setTimeout(r, 100));
  return !procAlive(p);
}

const lockFree = (): boolean => spawnSync('flock', ['--nonblock', ROOT_DAEMON_LOCK, 'true']).status === 0;

describe.skipIf(process.getuid?.() !== 0)('sid root', () => {
  beforeAll(async () => {
    root = (await ensureSidRoot(log)).root;
  }, 1_800_000);

  it('a session mounts /proc and /dev where only its processes see them, runs 2.34.8, and ends what it started', async () => {
    const s = await openRootSession(root, log);
    const inside = s.run(['sh', '-c', 'nix --version; test -e /dev/null && test -d /dev/pts && grep -c " /proc " /proc/self/mountinfo'], { timeoutSec: 30 });
    expect(inside.stdout.split('\n')[0]).toBe('nix (Nix) 2.34.8');
    expect(Number(inside.stdout.split('\n')[1])).toBeGreaterThanOrEqual(1);
    expect(mountedUnder(root)).toEqual([]);
    const sleeper = await s.spawn(['sleep', '600']);
    expect(procAlive(sleeper.proc)).toBe(true);
    await s.close();
    expect(await gone(sleeper.proc)).toBe(true);
    expect(await gone(s.holder)).toBe(true);
  }, 120_000);

  it('a process that opened a session and is then SIGKILLed leaves no process and no mount behind', async () => {
    const script = join(repo, 'test', 'repro', 'fixtures-sid-session.mts');
    writeFileSync(
      script,
      `import { openRootSession } from '../../scripts/lib/sid-root.ts';\n` +
        `const s = await openRootSession(${JSON.stringify(root)}, () => {});\n` +
        `const p = await s.spawn(['sleep', '600'], { detached: true });\n` +
        `process.stdout.write(JSON.stringify({ holder: s.holder, sleeper: p.proc }) + '\\n');\n` +
        `setInterval(() => {}, 1000);\n`,
    );
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
      const line = await new Promise<string>((resolve) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0] ?? '');
        });
      });
      const { holder, sleeper } = JSON.parse(line) as { holder: ProcId; sleeper: ProcId };
      expect(procAlive(sleeper)).toBe(true);
      child.kill('SIGKILL');
      // the holder's stdin was the killed process's pipe: it ends, and the kernel ends its PID namespace
      expect(await gone(holder)).toBe(true);
      expect(await gone(sleeper)).toBe(true);
      expect(mountedUnder(root)).toEqual([]);
    } finally {
      rmSync(script, { force: true });
    }
  }, 120_000);

  it('validate-real stopped by SIGTERM mid-plan stops its daemon and session and frees the lock', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'scripts', 'validate-real.ts'), '--only', 'seed-487'], { cwd: repo });
    let stderr = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (/step 0 build a1/.test(stderr) && !child.killed) child.kill('SIGTERM');
      });
      child.on('close', resolve);
    });
    expect(code).toBe(143);
    const pids = [...stderr.matchAll(/(?:holder|nix-daemon) PID (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    // gone, or the PID now belongs to something else
    for (const pid of pids) expect(readFileSafe(`/proc/${pid}/cmdline`)).not.toMatch(/nix-daemon|unshare/);
    expect(lockFree()).toBe(true);
    expect(mountedUnder(root)).toEqual([]);
  }, 600_000);

  it('validate-real refuses a daemon that is not 2.34.8, saying so', () => {
    const bin = join(root, 'nol', 'fake-bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'nix-daemon'), '#!/bin/sh\necho "nix-daemon (Nix) 2.26.3"\n');
    chmodSync(join(bin, 'nix-daemon'), 0o755);
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'scripts', 'validate-real.ts'), '--only', 'seed-487', '--daemon-bin', '/nol/fake-bin'], { cwd: repo, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is 'nix-daemon (Nix) 2.26.3', not Nix 2.34.8");
    expect(lockFree()).toBe(true);
  }, 300_000);
});

function readFileSafe(f: string): string {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return '';
  }
}
