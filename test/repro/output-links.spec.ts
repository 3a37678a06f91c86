/**
 * A link from one output to another (`dev` → `$out`) on a real daemon: the builder writes it with
 * the output's variable, registerOutputs rewrites it to the referenced output's final path, and
 * model and daemon name that path by role (`<out final>`), since they hash store paths differently.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { nameStorePath, type OutputName } from '../../sim/repro/from-trace.js';
import { parsePlan } from '../../sim/repro/plan.js';
import { renderScript } from '../../sim/repro/render.js';
import { builtin, faultPlanOf, scriptedTrace } from './traces.js';

const linux = (s: Scenario): Scenario => ({ ...s, settings: { ...s.settings, platform: 'linux' } });
/** multi-output-ca-references without its interrupt: one build that registers both outputs. */
const oneBuild = (): Scenario => {
  const s = linux(builtin('multi-output-ca-references'));
  return { ...s, actors: [{ id: 'a1', kind: 'build', drv: 'lib' }] };
};

const H = 'a'.repeat(32);
const G = 'b'.repeat(32);
const outputs: OutputName[] = [
  { output: 'out', pathName: 'lib', final: `/nix/store/${H}-lib` },
  { output: 'dev', pathName: 'lib-dev', final: `/nix/store/${H}-lib-dev` },
];

describe('nameStorePath', () => {
  it("names an output's final path, any other path with its name, and leaves the rest alone", () => {
    expect(nameStorePath(`/nix/store/${H}-lib`, outputs)).toBe('<out final>');
    expect(nameStorePath(`/nix/store/${H}-lib/lib.a`, outputs)).toBe('<out final>/lib.a');
    expect(nameStorePath(`/nix/store/${G}-lib`, outputs)).toBe('<out other>');
    // `lib` is a prefix of `lib-dev`: the whole name decides
    expect(nameStorePath(`/nix/store/${G}-lib-dev`, outputs)).toBe('<dev other>');
    expect(nameStorePath(`/nix/store/${G}-libx`, outputs)).toBe(`/nix/store/${G}-libx`);
    expect(nameStorePath('../lib.a', outputs)).toBe('../lib.a');
  });
});

describe('a plan with a link between outputs', () => {
  it("writes the link with the output's variable and predicts it names out's final path", () => {
    const plan = faultPlanOf(scriptedTrace(oneBuild()));
    expect(plan.derivations[0]?.program).toContainEqual({ op: 'outputLink', to: 'out', path: 'lib', output: 'dev' });
    expect(plan.expect['upstream']?.attempts['a1']?.otherOutputFiles?.['dev']).toEqual({ lib: '-> <out final>' });
    // the builder script sits in the .drv's JSON: quoted there
    expect(renderScript(plan, { variant: 'upstream', platform: 'linux' })).toContain(JSON.stringify(`ln -sT "$out" "$dev"/'lib'`).slice(1, -1));
  });

  it('refuses a link to an output the derivation does not have', () => {
    const plan = faultPlanOf(scriptedTrace(oneBuild()));
    const bad = { ...plan, derivations: plan.derivations.map((d) => ({ ...d, program: d.program.map((a) => (a.op === 'outputLink' ? { ...a, to: 'doc' } : a)) })) };
    const r = parsePlan(JSON.parse(JSON.stringify(bad)));
    expect(r.ok ? '' : r.error).toMatch(/"doc" is not an output of derivation "lib"/);
  });
});

const oracle = join(import.meta.dirname, '..', '..', 'sim', 'repro', 'oracle.py');
const python = spawnSync('python3', ['--version']).status === 0;
const tmp = mkdtempSync(join(tmpdir(), 'nol-links-'));
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe.skipIf(!python)('oracle.py names link targets as nameStorePath does', () => {
  it('lists both outputs of a success with their links named by role', () => {
    const store = join(tmp, 'nix', 'store');
    const out = `${H}-lib-n1`;
    const dev = `${H}-lib-n1-dev`;
    mkdirSync(join(store, out), { recursive: true });
    mkdirSync(join(store, dev), { recursive: true });
    writeFileSync(join(store, out, 'lib.a'), 'archive');
    const targets = [`/nix/store/${out}`, `/nix/store/${G}-lib-n1`, `/nix/store/${G}-lib-n1-dev/x`, '/etc/passwd'];
    targets.forEach((t, i) => {
      symlinkSync(t, join(store, dev, `l${String(i)}`));
    });
    const blog = join(tmp, 'builder.log');
    writeFileSync(blog, `U 999 nixbld1 /nix/store/${G}-lib-n1 1\nA 0 ok\n`);
    const r = spawnSync('python3', [oracle, 'attempt', 'a1', 'lib', 'lib-n1', '0', '0', blog, join(tmp, 'none.err'), `/nix/store/${out}`, '0.1', '0', '1', `/nix/store/${dev}`], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', NOL_REAL_STORE: store },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const fact = JSON.parse(r.stdout) as { observation: { outputFiles?: Record<string, string>; otherOutputFiles?: Record<string, Record<string, string>> } };
    expect(fact.observation.outputFiles).toEqual({ 'lib.a': 'archive' });
    const names: OutputName[] = [
      { output: 'out', pathName: 'lib-n1', final: `/nix/store/${out}` },
      { output: 'dev', pathName: 'lib-n1-dev', final: `/nix/store/${dev}` },
    ];
    expect(fact.observation.otherOutputFiles?.['dev']).toEqual(Object.fromEntries(targets.map((t, i) => [`l${String(i)}`, `-> ${nameStorePath(t, names)}`])));
    expect(fact.observation.otherOutputFiles?.['dev']?.['l0']).toBe('-> <out final>');
  });
});
