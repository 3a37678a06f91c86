/**
 * The oracle against a real nix-daemon: validate-real end to end, its signal handling, and the
 * standalone script's refusal of a misconfigured daemon. Needs root and a machine where
 * apt-get can install nix-bin; takes about a minute. Not in the default run (see
 * vitest.real.config.ts).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePlan, type ReproPlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';
import { acquireDaemonLock, startDaemon, writeNixConf } from '../../scripts/lib/real-daemon.js';

const repo = join(import.meta.dirname, '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'repro-dev');
const runner = join(repo, 'scripts', 'validate-real.ts');
const work = mkdtempSync(join(tmpdir(), 'nol-real-test-'));
const log = (m: string): void => {
  process.stderr.write(`[real-daemon test] ${m}\n`);
};

interface Done {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs validate-real in this node (no tsx wrapper process), optionally signalling it when `when` matches its stderr. */
function validateReal(args: string[], opts: { env?: NodeJS.ProcessEnv; signalWhen?: RegExp } = {}): Promise<Done> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', runner, ...args], { cwd: repo, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (opts.signalWhen && !signalled && opts.signalWhen.test(stderr)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');

function plan(file: string): ReproPlan {
  const r = parsePlan(JSON.parse(readFileSync(join(fixtures, file), 'utf8')));
  if (!r.ok) throw new Error(r.error);
  return r.plan;
}

describe.skipIf(process.getuid?.() !== 0)('real nix-daemon', () => {
  it('validate-real: dev fixtures on both daemon settings agree, report written', async () => {
    const report = join(work, 'report.md');
    const r = await validateReal(['--nix', '2.8', '--plans', fixtures, '--only', 'dev-seed-wedge,dev-single-user,dev-ia-twin', '--report', report]);
    log(r.stderr.split('\n').filter((l) => l.startsWith('[validate-real')).join('\n'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| scenario | model | real | seconds | agree |');
    expect(readFileSync(report, 'utf8')).toContain('3 agree, 0 disagree');
    expect(r.stderr).toMatch(/single-user\) answers/); // a restart with the other settings happened
  });

  it('validate-real: a wrong expectation disagrees (exit 1) and prints both sides', async () => {
    const r = await validateReal(['--nix', '2.8', '--plans', fixtures, '--only', 'dev-seed-wedge', '--variant', 'prepare-deletes-stale-scratch']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('MISMATCH: attempts.a2.outcome expected "success" got "failed"');
    expect(r.stdout).toMatch(/model:\n```json/);
    expect(r.stdout).toMatch(/real:\n```json/);
  });

  it('validate-real: SIGTERM mid-run stops the script, the daemon and the lock', async () => {
    const r = await validateReal(['--nix', '2.8', '--plans', fixtures, '--only', 'dev-seed-wedge'], { signalWhen: /hold: blocker/ });
    expect(r.code).toBe(143);
    const daemonPid = Number(/nix-daemon PID (\d+)/.exec(r.stderr)?.[1]);
    expect(daemonPid).toBeGreaterThan(0);
    expect(alive(daemonPid)).toBe(false);
    expect(r.stderr).toContain(`nix-daemon PID ${daemonPid} stopped`);
    // No builder of ours is left (the nonce names them).
    const nonce = /nonce (\S+)/.exec(r.stderr)?.[1] ?? 'none';
    expect(spawnSync('sh', ['-c', `ps -eo args | grep -F -- '${nonce}' | grep -v grep`], { encoding: 'utf8' }).stdout).toBe('');
  });

  it('the standalone script refuses a daemon whose settings do not fit the plan (exit 2), and validate-real refuses a daemon it did not start', async () => {
    const lock = await acquireDaemonLock(1800, log);
    try {
      const confEnv = writeNixConf(join(work, 'conf-single'), { buildUsers: 0, keepFailed: false });
      const daemon = await startDaemon({ confEnv, key: 'single-user', logFile: join(work, 'daemon-single.log') }, log);
      try {
        const script = join(work, 'seed.sh');
        writeFileSync(script, renderScript(plan('seed-wedge.json'), { variant: 'upstream', platform: 'linux' }));
        const r = spawnSync('bash', [script, '--obs', join(work, 'seed.obs.json')], { env: daemon.env, encoding: 'utf8', timeout: 120_000 });
        expect(r.status).toBe(2);
        expect(r.stderr).toMatch(/HARNESS ERROR: plan needs build users \(nixbld\*\) but the daemon ran the builder as root/);

        const v = await validateReal(['--nix', '2.8', '--plans', fixtures, '--only', 'dev-seed-wedge'], { env: { NOL_DAEMON_LOCK: join(work, 'other.lock') } });
        expect(v.code).toBe(2);
        expect(v.stderr).toContain('a nix-daemon this script did not start answers');
        expect(alive(daemon.pid)).toBe(true); // not ours to stop: it was left alone
      } finally {
        await daemon.stop();
      }
    } finally {
      await lock.release();
    }
  });
});
