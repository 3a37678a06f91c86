/**
 * Plans for a daemon without mount and PID namespaces (settings.mountAndPidNamespaces false):
 * sandbox-fallback and sandbox-unavailable. The plan carries the setting and sandbox-fallback as
 * the scenario has it, gets a daemon of its own (the fault injector in its no-namespaces mode in
 * its environment, its nix.conf's sandbox-fallback as planned), and its script sets its clients
 * the same way and knows its builds are not sandboxed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { namespaceEnv, settingsKey, writeNixConf } from '../../scripts/lib/real-daemon.js';
import { planSettings, sandboxSettingsUnplannable } from '../../sim/repro/from-trace.js';
import { parsePlan, type PlanSettings, type ReproPlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';
import { validationPlans, VALIDATION_VARIANTS } from '../../sim/repro/validation-plans.js';
import { BUILTIN } from '../../sim/scenarios/builtin.js';

const plansOf = (nix: '2.34.8' | '2.8'): Map<string, ReproPlan> => {
  const out = new Map<string, ReproPlan>();
  for (const p of validationPlans(nix)) {
    if (!p.ok) throw new Error(p.error);
    out.set(p.value.scenario, p.value);
  }
  return out;
};
const all = plansOf('2.34.8');
const plan = (name: string): ReproPlan => {
  const p = all.get(name);
  if (!p) throw new Error(`no validation plan ${name}`);
  return p;
};
const scenario = (name: string) => {
  const s = BUILTIN.find((x) => x.name === name);
  if (!s) throw new Error(`no built-in ${name}`);
  return s;
};
const confOf = (s: PlanSettings): string => {
  const dir = mkdtempSync(join(tmpdir(), 'nol-conf-'));
  writeNixConf(dir, s);
  return readFileSync(join(dir, 'nix.conf'), 'utf8');
};
const fallbackLine = (conf: string): string | undefined => /^sandbox-fallback = (.*)$/m.exec(conf)?.[1];

/**
 * The clients' NIX_CONFIG as the rendered script sets it: its preamble's variables, then the
 * harness's own lines that build it, run by bash (so the test reads what the shell makes of them).
 */
function clientConfig(script: string): string {
  const pre = script.split('\n').filter((l) => /^(SANDBOX|SANDBOX_MODE|SANDBOX_FALLBACK|NO_NAMESPACES|KEEP_FAILED|CA_DERIVATIONS)=/.test(l));
  const from = script.indexOf('SANDBOX_MODE=${SANDBOX_MODE:-');
  const to = script.indexOf('keep-failed = $KEEP_FAILED"', from);
  if (from < 0 || to < 0) throw new Error('the harness no longer builds NIX_CONFIG where this test looks');
  const block = script.slice(from, to + 'keep-failed = $KEEP_FAILED"'.length);
  const r = spawnSync('bash', ['-c', [...pre, 'CTL=/ctl', block, 'printf "%s" "$NIX_CONFIG"'].join('\n')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('plans of a daemon without mount and PID namespaces', () => {
  it('exist for both scenarios on 2.34.8 only, and carry the missing namespaces and sandbox-fallback as the scenario has it', () => {
    expect(scenario('sandbox-fallback').settings.mountAndPidNamespaces).toBe(false);
    expect(plan('sandbox-fallback').settings).toMatchObject({ sandbox: true, mountAndPidNamespaces: false, sandboxFallback: true });
    expect(scenario('sandbox-unavailable').settings.sandboxFallback).toBe(false);
    expect(plan('sandbox-unavailable').settings).toMatchObject({ sandbox: true, mountAndPidNamespaces: false });
    expect(plan('sandbox-unavailable').settings.sandboxFallback).toBeUndefined();
    // the sandbox with its namespaces carries neither
    expect(plan('linux-sandbox').settings.mountAndPidNamespaces).toBeUndefined();
    expect(plan('linux-sandbox').settings.sandboxFallback).toBeUndefined();
    // 2.8.0 has no namespace probe: it falls back when cloning the builder fails, which its personality does not model
    const v28 = plansOf('2.8');
    expect(v28.has('sandbox-fallback')).toBe(false);
    expect(v28.has('sandbox-unavailable')).toBe(false);
  });

  it('take sandbox-fallback from the scenario, and only where the namespaces are missing and the sandbox on', () => {
    const s = scenario('sandbox-fallback');
    expect(planSettings(s).sandboxFallback).toBe(true);
    expect(planSettings({ ...s, settings: { ...s.settings, sandboxFallback: false } }).sandboxFallback).toBeUndefined();
    expect(planSettings({ ...s, settings: { ...s.settings, sandboxFallback: true } }).sandboxFallback).toBe(true);
    const withNs = planSettings({ ...s, settings: { ...s.settings, mountAndPidNamespaces: true } });
    expect(withNs.mountAndPidNamespaces).toBeUndefined();
    expect(withNs.sandboxFallback).toBeUndefined();
    const unsandboxed = planSettings({ ...s, settings: { ...s.settings, sandbox: false } });
    expect(unsandboxed.mountAndPidNamespaces).toBe(false);
    expect(unsandboxed.sandboxFallback).toBeUndefined();
  });

  it('are refused only where the harness cannot run them: off Linux, with sandbox = relaxed, or with a diverted store', () => {
    const s = scenario('sandbox-fallback');
    expect(sandboxSettingsUnplannable(s)).toBeUndefined();
    expect(sandboxSettingsUnplannable(scenario('sandbox-unavailable'))).toBeUndefined();
    expect(sandboxSettingsUnplannable({ ...s, settings: { ...s.settings, platform: 'darwin' } })).toMatch(/only a Linux daemon/);
    const relaxed = { ...s, settings: { ...s.settings, sandbox: 'relaxed' as const }, derivations: s.derivations.map((d) => ({ ...d, noChroot: true })) };
    expect(sandboxSettingsUnplannable(relaxed)).toMatch(/relaxed without mount and PID namespaces/);
    expect(sandboxSettingsUnplannable({ ...relaxed, settings: { ...relaxed.settings, mountAndPidNamespaces: true } })).toBeUndefined();
    // each runs on its own daemon; the two together are not planned
    expect(sandboxSettingsUnplannable({ ...s, settings: { ...s.settings, divertedStore: true } })).toMatch(/diverted store without mount and PID namespaces/);
  });

  it('get daemons of their own: one per sandbox-fallback, neither shared with the sandbox that has its namespaces', () => {
    const keys = ['linux-sandbox', 'sandbox-fallback', 'sandbox-unavailable'].map((n) => settingsKey(plan(n).settings));
    expect(new Set(keys).size).toBe(3);
    expect(keys[1]).toContain('+no-namespaces');
    expect(keys[2]).toContain('+no-namespaces');
    expect(keys[0]).not.toContain('no-namespaces');
  });

  it('write sandbox-fallback into nix.conf as planned; a sandbox with its namespaces keeps it off', () => {
    expect(fallbackLine(confOf(plan('sandbox-fallback').settings))).toBe('true');
    expect(fallbackLine(confOf(plan('sandbox-unavailable').settings))).toBe('false');
    expect(fallbackLine(confOf(plan('linux-sandbox').settings))).toBe('false');
    expect(fallbackLine(confOf(plan('seed-487').settings))).toBeUndefined();
  });

  it('start their daemon with the injector in its no-namespaces mode, and no other daemon', () => {
    expect(namespaceEnv(plan('sandbox-fallback').settings, '/lib/x.so')).toEqual({ LD_PRELOAD: '/lib/x.so', NOL_NO_NAMESPACES: '1' });
    expect(namespaceEnv(plan('sandbox-unavailable').settings, '/lib/x.so')).toEqual({ LD_PRELOAD: '/lib/x.so', NOL_NO_NAMESPACES: '1' });
    expect(namespaceEnv(plan('linux-sandbox').settings, '/lib/x.so')).toEqual({});
  });

  it('render scripts whose builds are not sandboxed and whose clients set sandbox-fallback as their daemon', () => {
    const fallback = renderScript(plan('sandbox-fallback'), { variant: 'upstream', platform: 'linux' });
    expect(fallback).toMatch(/^SANDBOX=0$/m);
    expect(fallback).toMatch(/^SANDBOX_MODE=true$/m);
    expect(fallback).toMatch(/^NO_NAMESPACES=1$/m);
    expect(fallback).toContain('NOL_NO_NAMESPACES=1');
    expect(clientConfig(fallback)).toMatch(/^sandbox = true\nsandbox-fallback = true$/m);
    const refused = renderScript(plan('sandbox-unavailable'), { variant: 'upstream', platform: 'linux' });
    expect(refused).toMatch(/^SANDBOX_FALLBACK=0$/m);
    expect(clientConfig(refused)).toMatch(/^sandbox = true\nsandbox-fallback = false$/m);
    const boxed = renderScript(plan('linux-sandbox'), { variant: 'upstream', platform: 'linux' });
    expect(boxed).toMatch(/^SANDBOX=1$/m);
    expect(boxed).toMatch(/^NO_NAMESPACES=0$/m);
    expect(boxed).not.toContain('NOL_NO_NAMESPACES=1');
    expect(clientConfig(boxed)).toMatch(/^sandbox = true\nsandbox-fallback = false$/m);
  });

  it("predict what the model computes: the fallback wedges upstream where the sandbox does not, and the refusal leaves every attempt without a builder", () => {
    const fb = plan('sandbox-fallback');
    const boxed = plan('linux-sandbox');
    // the same schedule: the unsandboxed retry as another user fails EACCES on the stranded scratch dir
    expect(fb.steps).toEqual(boxed.steps);
    expect(fb.expect['upstream']?.attempts['a2']?.outcome).toBe('failed');
    expect(fb.expect['upstream']?.attempts['a2']?.actions.some((a) => a.errno === 'EACCES')).toBe(true);
    expect(boxed.expect['upstream']?.attempts['a2']?.outcome).toBe('success');
    // unsandboxed, the builder reports its build dir: the prediction says whether it is kept
    expect(fb.expect['upstream']?.attempts['a1']?.buildDirKept).toBe(false);
    expect(boxed.expect['upstream']?.attempts['a1']?.buildDirKept).toBeUndefined();
    expect(fb.expect['recommended']?.attempts['a2']?.outcome).toBe('success');
    for (const v of VALIDATION_VARIANTS) {
      for (const a of Object.values(plan('sandbox-unavailable').expect[v]?.attempts ?? {})) expect(a, v).toEqual({ buildUser: null, outcome: 'failed', actions: [] });
    }
  });

  it('are refused by the plan parser with sandbox-fallback but the namespaces there, with relaxed, or with the namespaces set true', () => {
    const fb = plan('sandbox-fallback');
    const again = (p: unknown) => parsePlan(JSON.parse(JSON.stringify(p)));
    expect(again(fb).ok).toBe(true);
    const { mountAndPidNamespaces: _, ...withNs } = fb.settings;
    const r = again({ ...fb, settings: withNs });
    expect(r.ok ? 'ok' : r.error).toMatch(/sandboxFallback needs settings\.mountAndPidNamespaces false/);
    const relaxed = again({ ...fb, settings: { ...fb.settings, sandbox: 'relaxed', sandboxFallback: undefined }, derivations: fb.derivations.map((d) => ({ ...d, noChroot: true })) });
    expect(relaxed.ok ? 'ok' : relaxed.error).toMatch(/sandbox = relaxed/);
    expect(again({ ...fb, settings: { ...fb.settings, mountAndPidNamespaces: true } }).ok).toBe(false);
    expect(again({ ...fb, settings: { ...fb.settings, sandboxFallback: false } }).ok).toBe(false);
  });
});

const HARNESS = readFileSync(fileURLToPath(new URL('../../sim/repro/harness.lib.sh', import.meta.url)), 'utf8');
/** One shell function of the harness, as written there (from `name() {` to its closing `}`). */
function harnessFunction(name: string): string {
  const m = new RegExp(`^${name}\\(\\) \\{[^\\n]*\\n(?:.*\\n)*?\\}\\n|^${name}\\(\\) \\{.*\\}\\n`, 'm').exec(HARNESS);
  if (!m) throw new Error(`no function ${name} in harness.lib.sh`);
  return m[0];
}

/**
 * The harness's probe of a daemon without namespaces, with `nix-build` replaced by a shell
 * function that prints `stderr` and exits `rc` (and writes the builder log when asked): what it
 * returns, or the harness error it stops with.
 */
function probeNoNamespaces(fake: { rc: number; stderr: string; builderRan?: boolean }, fallback: boolean): { status: number | null; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nol-probe-'));
  const msg = /^NO_NAMESPACES_MSG=.*$/m.exec(HARNESS)?.[0];
  if (msg === undefined) throw new Error('no NO_NAMESPACES_MSG in harness.lib.sh');
  const fns = ['now_ms', 'secs_since', 'say', 'die', 'track', 'untrack', 'child_done', 'wait_child', 'stop_child', 'bounded', 'probe_no_namespaces'].map(harnessFunction);
  const script = [
    'set -uo pipefail',
    'CHILDREN=(); T0_MS=0; STEP_TIMEOUT=20',
    `WORK=${dir}; CTL=${dir}/ctl; mkdir -p "$CTL/log"; : > "$CTL/log/nolprobe"; NBA=(drv.nix)`,
    `SANDBOX_FALLBACK=${fallback ? 1 : 0}`,
    msg,
    ...fns,
    // the fake client: refuses unless the probe turned sandbox-fallback off, as a daemon without namespaces does
    `nix-build() { case "$*" in *"--option sandbox-fallback false"*) ;; *) echo "error: no --option sandbox-fallback false" >&2; return 1 ;; esac; ${fake.builderRan ? 'echo "U 1 nixbld1" >> "$CTL/log/nolprobe"; ' : ''}printf '%s\\n' ${JSON.stringify(fake.stderr)} >&2; return ${String(fake.rc)}; }`,
    'if probe_no_namespaces; then echo "RESULT builds"; else echo "RESULT refuses"; fi',
  ].join('\n');
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe("the harness's probe of a daemon without mount namespaces", () => {
  const refusal = "error: this system does not support the kernel namespaces that are required for sandboxing; use '--no-sandbox' to disable sandboxing";

  it("accepts upstream's refusal, and says whether the plan's own daemon then builds (sandbox-fallback) or refuses", () => {
    const fb = probeNoNamespaces({ rc: 1, stderr: refusal }, true);
    expect(fb.status).toBe(0);
    expect(fb.out).toContain('RESULT builds');
    const un = probeNoNamespaces({ rc: 1, stderr: refusal }, false);
    expect(un.status).toBe(0);
    expect(un.out).toContain('RESULT refuses');
  });

  it('stops with a harness error when the daemon builds with sandbox-fallback off, fails otherwise, or runs the builder', () => {
    const built = probeNoNamespaces({ rc: 0, stderr: '' }, true);
    expect(built.status).toBe(2);
    expect(built.out).toMatch(/HARNESS ERROR: .*it built the probe/);
    const other = probeNoNamespaces({ rc: 1, stderr: 'error: some other failure' }, true);
    expect(other.status).toBe(2);
    expect(other.out).toMatch(/HARNESS ERROR: .*failed otherwise than for the namespaces/);
    const ran = probeNoNamespaces({ rc: 1, stderr: refusal, builderRan: true }, false);
    expect(ran.status).toBe(2);
    expect(ran.out).toMatch(/HARNESS ERROR: the refused probe ran its builder/);
  });
});
