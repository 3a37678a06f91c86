/**
 * The plan for a diverted store (settings.divertedStore): a daemon whose store is a chroot store
 * (`local?root=<dir>`, logically /nix/store, physically under <dir>), with `sandbox = false`, so
 * that the diversion is the only reason Nix chroots its builds (derivation-builder.cc
 * makeDerivationBuilder l.2111-2113). The plan carries the setting; the daemon alone gets the store,
 * its clients get its root; the script binds its control dir into the chroot, looks for store paths
 * under the real store dir, and its probe checks the diversion and the chroot.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { daemonOnlyEnv, settingsKey, writeNixConf } from '../../scripts/lib/real-daemon.js';
import { planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import { planFromEvents, planSettings, sandboxSettingsUnplannable, scriptedEvents } from '../../sim/repro/from-trace.js';
import { DIVERTED_STORE_ROOT, parsePlan, type ReproPlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';
import { NOT_ON_A_REAL_DAEMON, validationPlans, VALIDATION_VARIANTS } from '../../sim/repro/validation-plans.js';
import { divertedStore } from '../../sim/scenarios/builtin.js';
import type { Trace } from '../../sim/trace.js';
import { builtin, scriptedTrace as scriptedTraceOf } from './traces.js';

const plansOf = (nix: '2.34.8' | '2.8'): Map<string, ReproPlan> => {
  const out = new Map<string, ReproPlan>();
  for (const p of validationPlans(nix)) if (p.ok) out.set(p.value.scenario, p.value);
  return out;
};
const v2348 = plansOf('2.34.8');
const plan = (name: string): ReproPlan => {
  const p = v2348.get(name);
  if (!p) throw new Error(`no 2.34.8 validation plan ${name}`);
  return p;
};
const onLinux = (s: Scenario, divert: boolean): Scenario => ({ ...s, settings: { ...s.settings, platform: 'linux', nixVersion: '2.34.8', divertedStore: divert } });
const confOf = (p: ReproPlan): string => {
  const dir = mkdtempSync(join(tmpdir(), 'nol-conf-'));
  writeNixConf(dir, p.settings);
  return readFileSync(join(dir, 'nix.conf'), 'utf8');
};
const specIn = (script: string, file: string): Record<string, unknown> => {
  const m = new RegExp(`cat > "\\$WORK/${file.replace('.', '\\.')}" <<'([^']+)'\\n([\\s\\S]*?)\\n\\1\\n`).exec(script);
  if (!m?.[2]) throw new Error(`no ${file} in the script`);
  return JSON.parse(m[2]) as Record<string, unknown>;
};

describe('the diverted-store plan', () => {
  it('exists on 2.34.8 (not on 2.8, whose host daemon gets no chroot store), with no reason left against it', () => {
    expect(NOT_ON_A_REAL_DAEMON['diverted-store']).toBeUndefined();
    const p = plan('diverted-store');
    expect(p.settings.divertedStore).toBe(true);
    // sandbox = false: the diversion alone makes the chroot
    expect(p.settings.sandbox).toBeUndefined();
    expect(plansOf('2.8').has('diverted-store')).toBe(false);
  });

  it('takes the setting from the scenario alone', () => {
    expect(planSettings(onLinux(divertedStore, true)).divertedStore).toBe(true);
    expect(planSettings(onLinux(divertedStore, false)).divertedStore).toBeUndefined();
    const { divertedStore: _, ...rest } = divertedStore.settings;
    expect(planSettings({ ...divertedStore, settings: rest }).divertedStore).toBeUndefined();
  });

  it('is planned on Linux only, and not with relaxed or without namespaces (the harness cannot run those)', () => {
    expect(sandboxSettingsUnplannable(onLinux(divertedStore, true))).toBeUndefined();
    expect(sandboxSettingsUnplannable({ ...divertedStore, settings: { ...divertedStore.settings, platform: 'darwin' } })).toMatch(/diverted store on darwin/);
    expect(sandboxSettingsUnplannable({ ...divertedStore, settings: { ...divertedStore.settings, platform: 'linux', sandbox: 'relaxed' } })).toMatch(/diverted store with sandbox = relaxed/);
    expect(sandboxSettingsUnplannable({ ...divertedStore, settings: { ...divertedStore.settings, platform: 'linux', mountAndPidNamespaces: false } })).toMatch(/without mount and PID namespaces/);
    expect(sandboxSettingsUnplannable({ ...divertedStore, settings: { ...divertedStore.settings, platform: 'linux', sandbox: true } })).toBeUndefined();
  });

  it('predicts what the chroot predicts, and the same schedule without the diversion wedges (the model, not a fixture)', () => {
    const diverted = planFromEvents(onLinux(divertedStore, true), scriptedEvents(onLinux(divertedStore, true)), ['upstream']);
    const plain = planFromEvents(onLinux(divertedStore, false), scriptedEvents(onLinux(divertedStore, false)), ['upstream']);
    if (!diverted.ok || !plain.ok) throw new Error('no plan');
    const d = diverted.value.expect['upstream'];
    const u = plain.value.expect['upstream'];
    // chrooted: the retry as another user builds, nothing is left at the scratch path to delete
    expect(d?.attempts['a2']).toMatchObject({ buildUser: 'nixbld2', outcome: 'success' });
    expect(d?.paths['info']).toEqual({ exists: false, valid: false });
    expect(d?.commands['delete']).toMatchObject({ removed: false, printedDontKnow: true });
    // unchrooted in /nix/store: the seed schedule's wedge
    expect(u?.attempts['a2']).toMatchObject({ buildUser: 'nixbld2', outcome: 'failed' });
    expect(u?.paths['info']).toEqual({ exists: true, valid: false });
    // and every variant the oracle checks agrees with upstream here: nothing is stranded to fix
    for (const v of VALIDATION_VARIANTS) expect(plan('diverted-store').expect[v], v).toEqual(plan('diverted-store').expect['upstream']);
  });

  it('has a companion: an interrupted input-addressed build, whose unfinished output is not moved out of the chroot there, and is in /nix/store', () => {
    const diverted = plan('ia-interrupted-diverted');
    const control = plan('ia-interrupted-sandbox');
    expect(diverted.settings).toMatchObject({ divertedStore: true });
    expect(diverted.settings.sandbox).toBeUndefined();
    expect(control.settings).toMatchObject({ sandbox: true });
    expect(control.settings.divertedStore).toBeUndefined();
    for (const v of VALIDATION_VARIANTS) {
      expect(diverted.expect[v]?.attempts['a1']?.outcome, v).toBe('interrupted');
      expect(diverted.expect[v]?.paths['info'], v).toEqual({ exists: false, valid: false });
      expect(control.expect[v]?.paths['info'], v).toEqual({ exists: true, valid: false });
    }
  });

  it('gets a daemon of its own, whose nix.conf keeps sandbox = false, fallback off, and no store (the clients read it)', () => {
    const p = plan('diverted-store');
    const { divertedStore: _, ...plain } = p.settings;
    expect(settingsKey(p.settings)).toBe(`${settingsKey(plain)}+diverted`);
    const conf = confOf(p);
    expect(conf).toMatch(/^sandbox = false$/m);
    expect(conf).toMatch(/^sandbox-fallback = false$/m);
    expect(conf).not.toMatch(/^store\b/m);
    expect(confOf(plan('seed-487'))).not.toMatch(/^sandbox-fallback/m);
  });

  it('gives the daemon alone the chroot store, through NIX_CONFIG', () => {
    expect(daemonOnlyEnv(plan('diverted-store').settings)).toEqual({ NIX_CONFIG: `store = local?root=${DIVERTED_STORE_ROOT}` });
    expect(daemonOnlyEnv(plan('diverted-store').settings, '/elsewhere')).toEqual({ NIX_CONFIG: 'store = local?root=/elsewhere' });
    for (const name of ['seed-487', 'linux-sandbox', 'relaxed-nochroot']) expect(daemonOnlyEnv(plan(name).settings), name).toEqual({});
  });

  it('renders a script that treats its builds as chrooted with sandbox = false, gives its clients the root, and probes both', () => {
    const s = renderScript(plan('diverted-store'), { variant: 'upstream', platform: 'linux' });
    expect(s).toMatch(/^SANDBOX=1$/m);
    expect(s).toMatch(/^SANDBOX_MODE=false$/m);
    expect(s).toMatch(/^DIVERTED=1$/m);
    expect(s).toContain(`DIVERTED_ROOT=\${NOL_DIVERTED_ROOT:-${DIVERTED_STORE_ROOT}}`);
    expect(s).toContain(`store = local?root=${DIVERTED_STORE_ROOT}`);
    // the probe looks for the socket dir too: the usual store's db need not exist where the daemon diverts
    const probe = JSON.stringify(specIn(s, 'spec-probe.json'));
    expect(probe).toContain('[ -e /nix/var/nix/daemon-socket ]');
    const plain = renderScript(plan('seed-487'), { variant: 'upstream', platform: 'linux' });
    expect(plain).toMatch(/^DIVERTED=0$/m);
    expect(plain).not.toMatch(/^DIVERTED_ROOT=/m);
    expect(JSON.stringify(specIn(plain, 'spec-probe.json'))).not.toContain('daemon-socket');
  });

  it('is refused by the plan parser with divertedStore anything but true, or with a __noChroot derivation', () => {
    const p = plan('diverted-store');
    expect(parsePlan(JSON.parse(JSON.stringify(p))).ok).toBe(true);
    expect(parsePlan(JSON.parse(JSON.stringify({ ...p, settings: { ...p.settings, divertedStore: false } }))).ok).toBe(false);
    const noChroot = { ...p, derivations: p.derivations.map((d) => ({ ...d, noChroot: true })) };
    const r = parsePlan(JSON.parse(JSON.stringify(noChroot)));
    expect(r.ok ? 'ok' : r.error).toMatch(/divertedStore chroots every build/);
  });
});

// ------------------------------------------------------------------------- path mapping ---

const harness = readFileSync(join(import.meta.dirname, '..', '..', 'sim', 'repro', 'harness.lib.sh'), 'utf8');
/** The harness's own lines that set REAL_STORE and define real_path, run with `env`, then `body`. */
function harnessBash(env: Record<string, string>, body: string): string {
  const setup = /^if \[ "\$\{DIVERTED:-0\}" = 1 \]; then REAL_STORE=.*$/m.exec(harness)?.[0];
  const fn = /^real_path\(\) \{.*\}$/m.exec(harness)?.[0];
  if (!setup || !fn) throw new Error('harness.lib.sh no longer sets REAL_STORE / defines real_path on one line each');
  const r = spawnSync('bash', ['-c', `${setup}\n${fn}\n${body}`], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

describe('the harness maps a store path to where it lives', () => {
  const paths = ['/nix/store/abc-x', '/nix/store/abc-x/sub/f', '/nix/storex/y', '/tmp/nix/store/z', ''];
  const mapAll = 'for p in "$@"; do printf "%s|" "$(real_path "$p")"; done; printf "%s" "$REAL_STORE $STATE_DIR"';
  const run = (env: Record<string, string>): string => harnessBash(env, `set -- ${paths.map((p) => `'${p}'`).join(' ')}\n${mapAll}`);

  it('in a diverted store: /nix/store/... under <root>/nix/store, state under <root>/nix/var/nix, anything else as it is', () => {
    expect(run({ DIVERTED: '1', DIVERTED_ROOT: '/r' })).toBe('/r/nix/store/abc-x|/r/nix/store/abc-x/sub/f|/nix/storex/y|/tmp/nix/store/z||/r/nix/store /r/nix/var/nix');
  });

  it('otherwise: every path as it is', () => {
    expect(run({})).toBe('/nix/store/abc-x|/nix/store/abc-x/sub/f|/nix/storex/y|/tmp/nix/store/z||/nix/store /nix/var/nix');
    expect(run({ DIVERTED: '0', DIVERTED_ROOT: '/r' })).toContain('|/nix/store /nix/var/nix');
  });

  it('refuses a diverted store without its root', () => {
    expect(() => harnessBash({ DIVERTED: '1' }, 'echo unreachable')).toThrow(/DIVERTED_ROOT/);
  });
});

const oracle = join(import.meta.dirname, '..', '..', 'sim', 'repro', 'oracle.py');
const python = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!python)('oracle.py lists a successful output where the store keeps it', () => {
  it('under NOL_REAL_STORE for a diverted store, and finds nothing at the name itself', () => {
    const root = mkdtempSync(join(tmpdir(), 'nol-diverted-'));
    const name = 'nolnonexistentxxxxxxxxxxxxxxxxxx-diverted-test';
    mkdirSync(join(root, 'nix', 'store', name), { recursive: true });
    writeFileSync(join(root, 'nix', 'store', name, 'f'), 'content');
    const blog = join(root, 'builder.log');
    writeFileSync(blog, `U 999 nixbld1 /nix/store/${name} 1\nA 0 ok\n`);
    const fact = (env: Record<string, string>): { observation: { outputFiles?: Record<string, string> } } => {
      const r = spawnSync('python3', [oracle, 'attempt', 'a1', 'godyn', 'diverted-test', '0', '0', blog, join(root, 'none.err'), `/nix/store/${name}`, '0.1', '1', '1'], {
        env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(r.stderr);
      return JSON.parse(r.stdout) as { observation: { outputFiles?: Record<string, string> } };
    };
    expect(fact({ NOL_REAL_STORE: join(root, 'nix', 'store') }).observation.outputFiles).toEqual({ f: 'content' });
    expect(fact({}).observation.outputFiles).toBeUndefined();
  });
});

/** The scripted run of a built-in, diverted or not, as a trace (what `outpath run NAME --json` prints). */
function scriptedTrace(name: string, divert: boolean): Trace {
  const found = builtin(name);
  return scriptedTraceOf({ ...found, settings: { ...found.settings, platform: 'linux', divertedStore: divert } });
}

describe('a fault plan of a diverted store', () => {
  it('holds builders at gates as any plan does, and carries the setting', () => {
    const r = planFromFaultTrace(scriptedTrace('diverted-store', true), 'x');
    if (!r.realisable) throw new Error(r.why);
    expect(r.plan.settings.divertedStore).toBe(true);
  });

  it("is refused where it would hold the daemon at its own file operations: those are on the store's real paths, which the injector's /nix/store globs miss", () => {
    const plain = planFromFaultTrace(scriptedTrace('interrupt-during-registration', false), 'x');
    expect(plain.realisable ? '' : plain.why).toBe('');
    const r = planFromFaultTrace(scriptedTrace('interrupt-during-registration', true), 'x');
    expect(r.realisable ? 'realisable' : r.why).toMatch(/^a diverted store: the daemon's file operations are on its real paths/);
  });
});
