/**
 * Plans for a daemon without the experimental feature ca-derivations (settings.caDerivations
 * false): the repair scenarios, whose --repair rebuild only happens without it. The plan carries
 * the setting, gets a daemon of its own whose nix.conf lacks the feature, and its script says so,
 * sets its clients the same way and probes that the daemon refuses a floating CA derivation.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsKey, writeNixConf } from '../../scripts/lib/real-daemon.js';
import { planSettings } from '../../sim/repro/from-trace.js';
import { parsePlan, type ReproPlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';
import { validationPlans, VALIDATION_VARIANTS } from '../../sim/repro/validation-plans.js';
import { BUILTIN } from '../../sim/scenarios/builtin.js';

const all = new Map<string, ReproPlan>();
for (const p of validationPlans('2.34.8')) if (p.ok) all.set(p.value.scenario, p.value);
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
const confOf = (p: ReproPlan): string => {
  const dir = mkdtempSync(join(tmpdir(), 'nol-conf-'));
  writeNixConf(dir, p.settings);
  return readFileSync(join(dir, 'nix.conf'), 'utf8');
};
const featuresLine = (text: string): string | undefined => /^#?\s*experimental-features = (.*)$/m.exec(text)?.[1];

describe('a plan of a scenario without ca-derivations', () => {
  const noCa = ['repair-interrupted', 'repair-retry-other-user'];

  it('exists for each repair scenario a real daemon can run in order, and says the daemon runs without the feature', () => {
    for (const name of noCa) {
      expect(scenario(name).settings.caDerivations).toBe(false);
      expect(plan(name).settings.caDerivations).toBe(false);
    }
    // the same schedule with the feature on carries no such setting
    expect(plan('repair-with-ca-derivations').settings.caDerivations).toBeUndefined();
  });

  it('takes the setting from the scenario alone', () => {
    const s = scenario('repair-interrupted');
    expect(planSettings(s).caDerivations).toBe(false);
    expect(planSettings({ ...s, settings: { ...s.settings, caDerivations: true } }).caDerivations).toBeUndefined();
    const { caDerivations: _, ...rest } = s.settings;
    expect(planSettings({ ...s, settings: rest }).caDerivations).toBeUndefined();
  });

  it('gets a daemon of its own: its settings key differs from the same settings with the feature', () => {
    const p = plan('repair-interrupted');
    const { caDerivations: _, ...withCa } = p.settings;
    expect(settingsKey(p.settings)).not.toBe(settingsKey(withCa));
    expect(settingsKey(plan('repair-with-ca-derivations').settings)).toBe(settingsKey(withCa));
  });

  it("writes a nix.conf whose experimental-features lack ca-derivations and keep nix-command; the other plans' keep it", () => {
    const off = featuresLine(confOf(plan('repair-interrupted')))?.split(' ');
    expect(off).toContain('nix-command');
    expect(off).not.toContain('ca-derivations');
    expect(featuresLine(confOf(plan('repair-with-ca-derivations')))?.split(' ')).toEqual(expect.arrayContaining(['nix-command', 'ca-derivations']));
  });

  it('renders a script whose header, client setting and probe say the daemon runs without ca-derivations', () => {
    const script = renderScript(plan('repair-interrupted'), { variant: 'upstream', platform: 'linux' });
    const header = script.slice(0, script.indexOf('\nSCENARIO='));
    expect(featuresLine(header)?.split(' ')[0]).toBe('nix-command');
    expect(featuresLine(header)).not.toMatch(/^nix-command ca-derivations/);
    expect(script).toMatch(/^CA_DERIVATIONS=0$/m);
    expect(script).toContain('"$WORK/spec-probeca.json"');
    // its own derivation is input-addressed: no CA attribute reaches its spec
    const spec = /cat > "\$WORK\/spec-0\.json" <<'[^']+'\n([\s\S]*?)\n[A-Z_]+\n/.exec(script)?.[1] ?? '';
    expect(spec).toContain('"nolDrv": "ia"');
    expect(spec).not.toContain('__contentAddressed');

    const withCa = renderScript(plan('repair-with-ca-derivations'), { variant: 'upstream', platform: 'linux' });
    expect(featuresLine(withCa.slice(0, withCa.indexOf('\nSCENARIO=')))?.split(' ')).toContain('ca-derivations');
    expect(withCa).toMatch(/^CA_DERIVATIONS=1$/m);
    expect(withCa).not.toContain('spec-probeca.json');
  });

  it('predicts that the first repair rebuilds and removes the damage, where with the feature nothing is rebuilt', () => {
    for (const v of VALIDATION_VARIANTS) {
      const off = plan('repair-interrupted').expect[v]?.attempts['r1'];
      expect(off?.buildUser, v).not.toBeNull();
      expect(off?.outputFiles?.['corrupted'], v).toBeUndefined();
      const on = plan('repair-with-ca-derivations').expect[v]?.attempts['r1'];
      expect(on?.buildUser, v).toBeNull();
      expect(on?.outputFiles?.['corrupted'], v).toBe('corrupted\n');
    }
  });

  it('is refused by the plan parser with a floating CA derivation, or with caDerivations anything but false', () => {
    const p = plan('repair-interrupted');
    expect(parsePlan(JSON.parse(JSON.stringify(p))).ok).toBe(true);
    const ca = { ...p, derivations: p.derivations.map((d) => ({ ...d, kind: 'ca-floating' })) };
    const r = parsePlan(JSON.parse(JSON.stringify(ca)));
    expect(r.ok ? 'ok' : r.error).toMatch(/ca-derivations/);
    expect(parsePlan(JSON.parse(JSON.stringify({ ...p, settings: { ...p.settings, caDerivations: true } }))).ok).toBe(false);
  });
});
