import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, scenarioJsonSchema } from '../../sim/scenario-schema.js';
import { BUILTIN } from '../../sim/scenarios/builtin.js';
import { itCommitted } from '../committed.js';

describe('scenario files', () => {
  itCommitted('docs/scenario.schema.json is the published form of the schema the CLI uses (npm run docs:schema)', () => {
    expect(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'scenario.schema.json'), 'utf8')).toBe(scenarioJsonSchema());
  });

  for (const s of BUILTIN) {
    it(`built-in ${s.name} is valid scenario data and survives a JSON round trip`, () => {
      const r = parseScenario(JSON.parse(JSON.stringify(s)));
      expect(r.ok ? 'ok' : r.error).toBe('ok');
    });
  }

  it('gives every field of the published schema a description and an example', () => {
    const undocumented: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (Array.isArray(node)) node.forEach((n, i) => { walk(n, `${path}[${String(i)}]`); });
      if (!node || typeof node !== 'object') return;
      const o = node as Record<string, unknown>;
      for (const [name, field] of Object.entries((o['properties'] ?? {}) as Record<string, Record<string, unknown>>)) {
        const examples = field['examples'];
        if (typeof field['description'] !== 'string' || !Array.isArray(examples) || examples.length === 0) undocumented.push(`${path}.${name}`);
      }
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    walk(JSON.parse(scenarioJsonSchema()) as unknown, '');
    expect(undocumented).toEqual([]);
  });

  it('names the JSON path of an unknown field', () => {
    const r = parseScenario({ ...JSON.parse(JSON.stringify(BUILTIN[0])), colour: 'red' });
    expect(r.ok ? '' : r.error).toMatch(/colour/);
  });

  it('names the actor whose derivation does not exist', () => {
    const s = JSON.parse(JSON.stringify(BUILTIN[0])) as { actors: { drv?: string }[] };
    s.actors[0] = { ...s.actors[0], drv: 'nope' };
    const r = parseScenario(s);
    expect(r.ok ? '' : r.error).toBe("scenario.actors[0].drv: unknown derivation 'nope'");
  });
});

describe('scenario files: what they can say beyond the built-ins', () => {
  const base = {
    name: 'extended',
    doc: 'every extension at once',
    settings: { platform: 'linux', sandbox: false, buildUsers: 2, keepFailed: false, nixVersion: '2.34.8' },
    derivations: [
      { id: 'ca', name: 'ca', kind: 'ca-floating', program: [{ op: 'spawn' }, { op: 'mkdirP', path: '' }, { op: 'symlink', target: { drv: 'evil', which: 'final', path: 'bin' }, path: 'dep' }] },
      {
        id: 'evil',
        name: 'evil',
        kind: 'input-addressed',
        program: [{ op: 'plant', drv: 'ca', path: '', content: '', mode: '777' }, { op: 'loop', to: 0, times: 2 }, { op: 'plantSymlink', drv: 'ca', target: { drv: 'ca', which: 'lock' } }, { op: 'mkdirP', path: '' }],
      },
    ],
    actors: [
      { id: 'other', kind: 'holdUser', releaseAfter: ['a1'] },
      { id: 'a1', kind: 'build', drv: 'ca', after: ['other'], faults: [{ kind: 'interrupt', before: 'builderAction', nth: 1 }, { kind: 'crash', before: 'deletePathStep', nth: 0 }] },
      { id: 'a2', kind: 'build', drv: 'ca', after: ['a1'], afterUserRelease: ['other'] },
    ],
    initial: [
      {
        at: { drv: 'ca', which: 'scratch' },
        owner: 'builder1',
        mode: '755',
        files: { 'pkg.a': 'old' },
        entries: [{ kind: 'dir', name: 'lib', mode: '555', owner: 'builder2', entries: [{ kind: 'symlink', name: 'l', target: { drv: 'evil', which: 'final' } }] }],
      },
    ],
  };
  /** A copy of `base` with the value at `path` replaced. */
  const edit = (path: readonly (string | number)[], value: unknown): unknown => {
    const s = structuredClone(base) as unknown as Record<string | number, unknown>;
    let at = s;
    for (const k of path.slice(0, -1)) at = at[k] as Record<string | number, unknown>;
    at[path.at(-1) ?? ''] = value;
    return s;
  };
  const error = (json: unknown): string => {
    const r = parseScenario(json);
    return r.ok ? 'ok' : r.error;
  };

  it('accepts spawn, loops, plant modes, symbolic link targets, nested initial trees, afterUserRelease and several faults', () => {
    expect(error(base)).toBe('ok');
  });

  it('rejects a flat `files` name with a `/` (it used to be dropped silently)', () => {
    expect(error(edit(['initial', 0, 'files'], { 'lib/x.so': 'x' }))).toMatch(/^scenario\.initial\[0\]\.files\["lib\/x\.so"\]: one path component/);
  });

  it('rejects a loop that does not jump back', () => {
    expect(error(edit(['derivations', 1, 'program', 1], { op: 'loop', to: 1, times: 2 }))).toBe("scenario.derivations[1].program[1].to: a loop jumps back: 'to' must name an earlier command (0..0)");
  });

  it('names an unknown derivation in a symbolic target, in a program and in an initial tree', () => {
    expect(error(edit(['derivations', 0, 'program', 2, 'target', 'drv'], 'nope'))).toBe(
      "scenario.derivations[0].program[2].target.drv: unknown derivation 'nope'",
    );
    expect(error(edit(['initial', 0, 'entries', 0, 'entries', 0, 'target', 'drv'], 'nope'))).toBe(
      "scenario.initial[0].entries[0].entries[0].target.drv: unknown derivation 'nope'",
    );
    expect(error(edit(['initial', 0, 'at', 'drv'], 'nope'))).toBe("scenario.initial[0].at.drv: unknown derivation 'nope'");
  });

  it('rejects an initial entry it cannot lay out, naming it (a floating CA final path is not known yet)', () => {
    expect(error(edit(['initial', 0, 'at', 'which'], 'final'))).toBe(
      "scenario.initial[0].at.which: 'ca' is floating CA: it has no final path before it is built",
    );
  });

  it('names an unknown actor in afterUserRelease', () => {
    expect(error(edit(['actors', 2, 'afterUserRelease'], ['ghost']))).toBe("scenario.actors[2].afterUserRelease[0]: unknown actor 'ghost'");
  });

  it('describes the new fields in the published JSON schema', () => {
    const text = scenarioJsonSchema();
    for (const needle of ['PR_SET_PDEATHSIG reaches the builder alone', 'Jump back to command', 'symbolically', 'nested tree', 'released the build user', 'More scripted faults', 'chmod the planted directory']) {
      expect(text).toContain(needle);
    }
  });
});

describe('scenario files: the sandbox settings makeDerivationBuilder reads', () => {
  const scenario = (settings: Record<string, unknown>, drv: Record<string, unknown> = {}, program: unknown[] = [{ op: 'mkdirP', path: '' }]): unknown => ({
    name: 'sandboxing',
    doc: 'one build',
    settings: { platform: 'linux', sandbox: true, buildUsers: 2, keepFailed: false, nixVersion: '2.34.8', ...settings },
    derivations: [
      { id: 'ca', name: 'ca', kind: 'ca-floating', program, ...drv },
      { id: 'other', name: 'other', kind: 'ca-floating', program: [{ op: 'mkdirP', path: '' }] },
    ],
    actors: [{ id: 'a1', kind: 'build', drv: 'ca' }],
  });
  const error = (json: unknown): string => {
    const r = parseScenario(json);
    return r.ok ? 'ok' : r.error;
  };

  it('accepts sandbox true, false and "relaxed", and the new fields', () => {
    for (const sandbox of [true, false, 'relaxed']) expect(error(scenario({ sandbox }))).toBe('ok');
    expect(error(scenario({ sandbox: 'relaxed' }, { noChroot: true }))).toBe('ok');
    expect(error(scenario({ sandboxFallback: false, mountAndPidNamespaces: false, divertedStore: true }))).toBe('ok');
    // the refused build is scenario data like any other: the model fails it, the parser does not
    expect(error(scenario({ sandbox: true }, { noChroot: true }))).toBe('ok');
  });

  it('rejects other sandbox values and non-boolean new fields, naming the JSON path', () => {
    expect(error(scenario({ sandbox: 'yes' }))).toMatch(/^scenario\.settings\.sandbox: /);
    expect(error(scenario({ sandbox: 'true' }))).toMatch(/^scenario\.settings\.sandbox: /);
    expect(error(scenario({ sandboxFallback: 'no' }))).toMatch(/^scenario\.settings\.sandboxFallback: /);
    expect(error(scenario({ mountAndPidNamespaces: 0 }))).toMatch(/^scenario\.settings\.mountAndPidNamespaces: /);
    expect(error(scenario({ divertedStore: 'yes' }))).toMatch(/^scenario\.settings\.divertedStore: /);
    expect(error(scenario({}, { noChroot: 1 }))).toMatch(/^scenario\.derivations\[0\]\.noChroot: /);
    expect(error(scenario({}, { __noChroot: true }))).toMatch(/__noChroot/);
  });

  it('on darwin, rejects missing namespaces (only Linux probes them)', () => {
    expect(error(scenario({ platform: 'darwin', mountAndPidNamespaces: false }))).toMatch(/^scenario\.settings\.mountAndPidNamespaces: darwin has no mount or PID namespaces/);
  });

  it('on darwin, rejects a sandboxed builder that writes outside its output (the seatbelt profile would deny it), and accepts it unsandboxed', () => {
    const plant = [{ op: 'plant', drv: 'other', path: 'x', content: 'y' }];
    expect(error(scenario({ platform: 'darwin', sandbox: true }, {}, plant))).toMatch(/^scenario\.derivations\[0\]\.program\[0\]: 'ca' is sandboxed on darwin/);
    expect(error(scenario({ platform: 'darwin', sandbox: 'relaxed' }, {}, plant))).toMatch(/^scenario\.derivations\[0\]\.program\[0\]: /);
    expect(error(scenario({ platform: 'darwin', sandbox: 'relaxed' }, { noChroot: true }, plant))).toBe('ok');
    expect(error(scenario({ platform: 'darwin', sandbox: false }, {}, plant))).toBe('ok');
    expect(error(scenario({ platform: 'darwin', sandbox: true }))).toBe('ok');
  });
});

describe('scenario files: build modes and corrupt actors', () => {
  const repair = (): Record<string, unknown> & { actors: Record<string, unknown>[] } =>
    JSON.parse(JSON.stringify(BUILTIN.find((s) => s.name === 'repair-interrupted'))) as Record<string, unknown> & { actors: Record<string, unknown>[] };
  const err = (json: unknown): string => {
    const r = parseScenario(json);
    return r.ok ? 'ok' : r.error;
  };

  it('accepts mode "check" and mode "repair" on a build, and a corrupt actor on a final path', () => {
    const s = repair();
    expect(s.actors.map((a) => a['mode'] ?? a['kind'])).toEqual(['build', 'corrupt', 'repair', 'repair']);
    expect(err(s)).toBe('ok');
    s.actors[2] = { ...s.actors[2], mode: 'check' };
    expect(err(s)).toBe('ok');
  });

  it('rejects an unknown mode, naming the field and the modes it takes', () => {
    const s = repair();
    s.actors[2] = { ...s.actors[2], mode: 'rebuild' };
    expect(err(s)).toMatch(/^scenario\.actors\[2\]\.mode: .*"check".*"repair"/);
    s.actors[2] = { ...s.actors[2], mode: true };
    expect(err(s)).toMatch(/^scenario\.actors\[2\]\.mode: /);
  });

  it('rejects a mode on an actor that is not a build', () => {
    const s = repair();
    s.actors[1] = { ...s.actors[1], mode: 'repair' };
    expect(err(s)).toMatch(/^scenario\.actors\[1\]: .*mode|^scenario\.actors\[1\]\.mode/);
  });

  it('rejects a corrupt actor aimed at a scratch path or lock, or at an unknown derivation', () => {
    const s = repair();
    s.actors[1] = { ...s.actors[1], target: { drv: 'ia', which: 'scratch' } };
    expect(err(s)).toBe("scenario.actors[1].target.which: a corrupt actor damages a valid output: 'final', not 'scratch'");
    s.actors[1] = { ...s.actors[1], target: { drv: 'nope', which: 'final' } };
    expect(err(s)).toBe("scenario.actors[1].target.drv: unknown derivation 'nope'");
  });

  it('describes both modes and the corrupt actor in the published JSON schema', () => {
    const text = scenarioJsonSchema();
    expect(text).toContain('--repair (bmRepair)');
    expect(text).toContain('"repair"');
    expect(text).toContain('Damage a valid output on disk as root');
  });
});

describe('invocations (keep-going = false across the goals of one client)', () => {
  const base = JSON.parse(JSON.stringify(BUILTIN.find((s) => s.name === 'keep-going-cancel'))) as Record<string, unknown>;
  const error = (patch: Record<string, unknown>): string => {
    const r = parseScenario({ ...structuredClone(base), ...patch });
    return r.ok ? 'ok' : r.error;
  };
  const actors = base['actors'] as Record<string, unknown>[];
  const withActor = (id: string, extra: Record<string, unknown>): unknown[] => actors.map((a) => (a['id'] === id ? { ...a, ...extra } : a));

  it('accepts the built-in keep-going-cancel', () => {
    expect(error({})).toBe('ok');
  });

  it('rejects an unknown actor, a non-build, a goal listed twice or in two invocations, naming the entry', () => {
    expect(error({ invocations: [['a1', 'ghost']] })).toBe("scenario.invocations[0][1]: unknown actor 'ghost'");
    expect(error({ invocations: [['a1', 'info']] })).toBe("scenario.invocations[0][1]: 'info' is a pathInfo, not a build: only builds are goals of an invocation");
    expect(error({ invocations: [['a1', 'sib', 'a1']] })).toBe("scenario.invocations[0][2]: 'a1' is listed twice");
    expect(error({ invocations: [['a1', 'sib'], ['a2', 'a1']] })).toBe("scenario.invocations[1][1]: 'a1' is already a goal of invocation 0: a build runs in one client");
  });

  it('rejects an invocation of one build (the schema: at least two)', () => {
    expect(error({ invocations: [['a1']] })).toMatch(/^scenario\.invocations\[0\]: /);
  });

  it('rejects one goal waiting for another of its invocation with after', () => {
    const { during: _during, ...sib } = actors.find((a) => a['id'] === 'sib') ?? {};
    const moved = actors.map((a) => (a['id'] === 'sib' ? { ...sib, after: ['a1'] } : a));
    expect(error({ actors: moved })).toBe("scenario.actors[1].after[0]: 'sib' and 'a1' are goals of one invocation, which start together; place one at a point of the other with 'during'");
  });

  it('rejects an interrupt or crash scripted on a goal, and one explored on goals, which would hit its whole worker', () => {
    expect(error({ actors: withActor('a1', { fault: { kind: 'interrupt', before: 'builderAction', nth: 1 } }) })).toBe(
      "scenario.actors[0].fault.kind: 'a1' is a goal of an invocation: an interrupt or crash would hit every goal of its daemon worker, and the model applies a fault to one build",
    );
    expect(error({ actors: withActor('sib', { faults: [{ kind: 'crash', before: 'builderAction', nth: 0 }] }) })).toMatch(/^scenario\.actors\[1\]\.faults\[0\]\.kind: 'sib' is a goal of an invocation/);
    expect(error({ explore: { faults: ['interrupt'], maxFaults: 1, faultTargets: ['a2', 'a1'] } })).toBe(
      'scenario.explore.faultTargets: interrupt and crash faults would hit a1, goals of an invocation (every goal of its daemon worker would stop, the model stops one); set explore.faultTargets to builds outside invocations',
    );
    expect(error({ explore: { faults: ['crash'], maxFaults: 1 } })).toMatch(/^scenario\.explore\.faults: interrupt and crash faults would hit a1, sib,/);
    // a builder failure is the builder's own: allowed on a goal
    expect(error({ explore: { faults: ['builderFailure'], maxFaults: 1, faultTargets: ['a1', 'sib'] } })).toBe('ok');
  });
});
