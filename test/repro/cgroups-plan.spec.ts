/**
 * Plans for a daemon with use-cgroups: the setting comes from the scenario (sandboxed builds only
 * use it), the daemon gets nix.conf's `use-cgroups = true` and the experimental feature `cgroups`,
 * a daemon of its own, and the script says so.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsKey, writeNixConf } from '../../scripts/lib/real-daemon.js';
import { planSettings } from '../../sim/repro/from-trace.js';
import { parsePlan, type ReproPlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';
import { validationPlans } from '../../sim/repro/validation-plans.js';
import { cgroupsCrashRetry } from '../../sim/scenarios/cgroups.js';

function cgroupsPlan(): ReproPlan {
  const p = validationPlans('2.34.8').find((x) => x.ok && x.value.scenario === 'cgroups-sandbox');
  if (!p?.ok) throw new Error('no validation plan cgroups-sandbox');
  return p.value;
}

describe('a plan with use-cgroups', () => {
  it('takes the setting from a sandboxed scenario, and drops it where no build has a sandbox', () => {
    expect(planSettings(cgroupsCrashRetry).useCgroups).toBe(true);
    expect(planSettings({ ...cgroupsCrashRetry, settings: { ...cgroupsCrashRetry.settings, sandbox: false } }).useCgroups).toBeUndefined();
    expect(planSettings({ ...cgroupsCrashRetry, settings: { ...cgroupsCrashRetry.settings, useCgroups: false } }).useCgroups).toBeUndefined();
  });

  it('the validation plan cgroups-sandbox is a valid plan for 2.34.8 only, sandboxed, with use-cgroups', () => {
    const p = cgroupsPlan();
    expect(p.settings).toMatchObject({ sandbox: true, useCgroups: true });
    expect(parsePlan(JSON.parse(JSON.stringify(p)) as unknown).ok).toBe(true);
    expect(validationPlans('2.8').some((x) => x.ok && x.value.scenario === 'cgroups-sandbox')).toBe(false);
  });

  it('gets a daemon of its own whose nix.conf turns use-cgroups and the feature on', () => {
    const p = cgroupsPlan();
    const { useCgroups: _, ...without } = p.settings;
    expect(settingsKey(p.settings)).not.toBe(settingsKey(without));
    const dir = mkdtempSync(join(tmpdir(), 'nol-conf-'));
    writeNixConf(dir, p.settings);
    const conf = readFileSync(join(dir, 'nix.conf'), 'utf8');
    expect(conf).toMatch(/^use-cgroups = true$/m);
    expect(/^experimental-features = (.*)$/m.exec(conf)?.[1]?.split(' ')).toContain('cgroups');
    writeNixConf(dir, without);
    expect(readFileSync(join(dir, 'nix.conf'), 'utf8')).not.toContain('cgroups');
  });

  it('its script names the setting for whoever runs it by hand', () => {
    const text = renderScript(cgroupsPlan(), { variant: 'upstream', platform: 'linux' });
    expect(text).toContain('#   use-cgroups = true');
    expect(/^#\s*experimental-features = (.*)$/m.exec(text)?.[1]).toContain('cgroups');
  });

  it('refuses a plan that sets use-cgroups to anything but true', () => {
    const p = cgroupsPlan();
    const bad = JSON.parse(JSON.stringify({ ...p, settings: { ...p.settings, useCgroups: 'yes' } })) as unknown;
    const r = parsePlan(bad);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toContain('useCgroups');
  });
});
