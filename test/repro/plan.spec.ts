import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsonPath, parseObservation, parsePlan, PLAN_FORMAT } from '../../sim/repro/plan.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'repro-dev');
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json'));
const load = (f: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>;

/** A small valid plan to break one thing at a time. */
function base(): Record<string, unknown> {
  return {
    format: PLAN_FORMAT,
    scenario: 'unit',
    doc: 'unit test plan',
    settings: { buildUsers: 2, keepFailed: false },
    derivations: [
      {
        id: 'A',
        kind: 'ca-floating',
        name: 'nol-unit',
        program: [
          { op: 'mkdirP', path: '' },
          { op: 'gate', name: 'g' },
          { op: 'writeFile', path: 'a', content: 'a' },
        ],
      },
    ],
    steps: [
      { kind: 'build', attempt: 'a1', drv: 'A', interruptAt: 'g' },
      { kind: 'holdUsers', count: 1 },
      { kind: 'build', attempt: 'a2', drv: 'A' },
      { kind: 'releaseUsers' },
      { kind: 'pathInfo', target: { drv: 'A', which: 'scratch' } },
      { kind: 'delete', command: 'nix store delete', target: { drv: 'A', which: 'scratch' }, label: 'del' },
    ],
    expect: {
      upstream: {
        attempts: {
          a1: { buildUser: 'nixbld1', outcome: 'interrupted', actions: [{ i: 0, ok: true }, { i: 1, ok: true }] },
          a2: { buildUser: 'nixbld2', outcome: 'failed', actions: [{ i: 0, ok: true }, { i: 1, ok: true }, { i: 2, ok: false, errno: 'EACCES' }] },
        },
        paths: { '4': { exists: true, valid: false } },
        commands: { del: { removed: true, printedDontKnow: true, exitOk: true } },
      },
    },
  };
}

type Key = string | number;
/** One malformation, as an edit at a JSON path of the base plan. */
type Edit = { set: Key[]; value: unknown } | { del: Key[] } | { push: Key[]; value: unknown };

/** The container at `path` (all but the last key) and the last key. */
function locate(root: unknown, path: readonly Key[]): [Record<Key, unknown>, Key] {
  let node = root;
  for (const k of path.slice(0, -1)) node = (node as Record<Key, unknown>)[k];
  return [node as Record<Key, unknown>, path[path.length - 1] ?? ''];
}

/** Applies the edits to a fresh base plan and returns parsePlan's error. */
function errorOf(...edits: Edit[]): string {
  const p = base();
  for (const e of edits) {
    if ('set' in e) {
      const [c, k] = locate(p, e.set);
      c[k] = e.value;
    } else if ('del' in e) {
      const [c, k] = locate(p, e.del);
      if (Array.isArray(c)) c.splice(Number(k), 1);
      else Reflect.deleteProperty(c, k);
    } else {
      const [c, k] = locate(p, e.push);
      (c[k] as unknown[]).push(e.value);
    }
  }
  const r = parsePlan(p);
  if (r.ok) throw new Error('expected the plan to be rejected');
  return r.error;
}

describe('parsePlan', () => {
  it.each(fixtures)('accepts the dev fixture %s', (f) => {
    const r = parsePlan(load(f));
    expect(r.ok ? 'ok' : r.error).toBe('ok');
  });

  it('accepts the unit base plan', () => {
    expect(parsePlan(base()).ok).toBe(true);
  });

  it('accepts variant names composed with +', () => {
    const p = base();
    const expectations = p['expect'] as Record<string, unknown>;
    expectations['prepare-deletes-stale-scratch+temp-root-scratch'] = expectations['upstream'];
    expect(parsePlan(p).ok).toBe(true);
  });

  it('accepts a build held at a gate while another waits for its lock, both resumed', () => {
    const p = base();
    p['steps'] = [
      { kind: 'build', attempt: 'a1', drv: 'A', holdAt: 'g' },
      { kind: 'build', attempt: 'a2', drv: 'A', waitsForLock: true },
      { kind: 'resume', attempt: 'a1' },
      { kind: 'resume', attempt: 'a2' },
    ];
    p['expect'] = { upstream: { attempts: { a1: { buildUser: 'nixbld1', outcome: 'success', actions: [] }, a2: { buildUser: null, outcome: 'success', actions: [] } }, paths: {}, commands: {} } };
    const r = parsePlan(p);
    expect(r.ok ? 'ok' : r.error).toBe('ok');
  });

  it('finds the dev fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(8);
  });

  // Each case: a malformation and the JSON path (plus a word of the message) the error must name.
  const cases: [string, Edit[], string][] = [
    ['wrong format version', [{ set: ['format'], value: 'nix-outpath-repro-plan/0' }], '$.format: expected "nix-outpath-repro-plan/1"'],
    ['unknown top-level key (strict)', [{ set: ['extra'], value: 1 }], '$: Unrecognized key'],
    ['unknown settings key (strict)', [{ set: ['settings', 'substituters'], value: '' }], '$.settings: Unrecognized key'],
    ['non-boolean sandbox', [{ set: ['settings', 'sandbox'], value: 'yes' }], '$.settings.sandbox'],
    ['plan for an unknown Nix', [{ set: ['nix'], value: '2.26.3' }], '$.nix'],
    ['hold at a missing gate', [{ set: ['steps', 0, 'holdAt'], value: 'nope' }, { push: ['steps'], value: { kind: 'resume', attempt: 'a1' } }], '$.steps[0].holdAt: gate "nope"'],
    ['interrupt and hold at once', [{ set: ['steps', 0, 'holdAt'], value: 'g' }, { push: ['steps'], value: { kind: 'resume', attempt: 'a1' } }], '$.steps[0]: a build takes at most one of interruptAt, holdAt, waitsForLock'],
    ['a held build never resumed', [{ del: ['steps', 0, 'interruptAt'] }, { set: ['steps', 0, 'holdAt'], value: 'g' }], '$.steps: build "a1" is held or waiting and never resumed'],
    ['resume of a build that is not held', [{ push: ['steps'], value: { kind: 'resume', attempt: 'a2' } }], '$.steps[6].attempt: "a2" is not a held or waiting build'],
    ['waitsForLock false', [{ set: ['steps', 2, 'waitsForLock'], value: false }], '$.steps[2].waitsForLock'],
    ['negative build users', [{ set: ['settings', 'buildUsers'], value: -1 }], '$.settings.buildUsers'],
    ['unknown builder op', [{ set: ['derivations', 0, 'program', 1], value: { op: 'sleep', secs: 5 } }], '$.derivations[0].program[1].op'],
    ['path escaping $out', [{ set: ['derivations', 0, 'program', 2, 'path'], value: '../etc/passwd' }], '$.derivations[0].program[2].path'],
    ['absolute path', [{ set: ['derivations', 0, 'program', 2, 'path'], value: '/tmp/x' }], '$.derivations[0].program[2].path'],
    ['bad chmod mode', [{ push: ['derivations', 0, 'program'], value: { op: 'chmod', path: '', mode: 'u+w' } }], '$.derivations[0].program[3].mode'],
    ['shell-unsafe id', [{ set: ['derivations', 0, 'id'], value: 'A;rm' }], '$.derivations[0].id'],
    ['bad store name', [{ set: ['derivations', 0, 'name'], value: '.hidden' }], '$.derivations[0].name'],
    ['unknown derivation in a build', [{ set: ['steps', 2, 'drv'], value: 'B' }], '$.steps[2].drv: unknown derivation "B"'],
    ['unknown derivation in a path ref', [{ set: ['steps', 4, 'target', 'drv'], value: 'B' }], '$.steps[4].target.drv: unknown derivation "B"'],
    ['interrupt at a missing gate', [{ set: ['steps', 0, 'interruptAt'], value: 'nope' }], '$.steps[0].interruptAt: gate "nope"'],
    ['holding every build user', [{ set: ['steps', 1, 'count'], value: 2 }], '$.steps[1].count: holding 2 users needs settings.buildUsers > 2'],
    ['hold in single-user mode', [{ set: ['settings', 'buildUsers'], value: 0 }], '$.steps[1].count'],
    ['release without hold', [{ del: ['steps', 1] }], '$.steps[2]: releaseUsers without a preceding holdUsers'],
    ['duplicate attempt', [{ set: ['steps', 2, 'attempt'], value: 'a1' }], '$.steps[2].attempt: duplicate attempt name "a1"'],
    ['duplicate label', [{ set: ['steps', 4, 'label'], value: 'x' }, { set: ['steps', 5, 'label'], value: 'x' }], '$.steps[5].label: duplicate label "x"'],
    ['numeric label', [{ set: ['steps', 5, 'label'], value: '4' }], '$.steps[5].label'],
    ['unknown step kind', [{ push: ['steps'], value: { kind: 'sleep' } }], '$.steps[6].kind'],
    ['missing expectation entry', [{ del: ['expect', 'upstream', 'attempts', 'a2'] }], '$.expect.upstream.attempts: missing entry "a2"'],
    [
      'expectation for a step that does not exist',
      [{ set: ['expect', 'upstream', 'commands', 'gc'], value: { removed: true, printedDontKnow: false, exitOk: true } }],
      '$.expect.upstream.commands.gc: no delete step',
    ],
    ['action index past the program', [{ push: ['expect', 'upstream', 'attempts', 'a2', 'actions'], value: { i: 3, ok: true } }], '$.expect.upstream.attempts.a2.actions[3].i'],
    ['errno on a successful action', [{ set: ['expect', 'upstream', 'attempts', 'a1', 'actions', 0, 'errno'], value: 'EACCES' }], '$.expect.upstream.attempts.a1.actions[0].errno'],
    ['owner predicted for a pathInfo step', [{ set: ['expect', 'upstream', 'paths', '4', 'owner'], value: 'root' }], '$.expect.upstream.paths["4"]: a pathInfo step'],
    ['bad outcome', [{ set: ['expect', 'upstream', 'attempts', 'a1', 'outcome'], value: 'killed' }], '$.expect.upstream.attempts.a1.outcome'],
    ['bad variant name', [{ set: ['expect', 'up stream'], value: {} }], '$.expect["up stream"]: Invalid key in record (variant names must match'],
    ['non-boolean setting', [{ set: ['settings', 'keepFailed'], value: 'yes' }], '$.settings.keepFailed'],
  ];
  it.each(cases)('rejects %s, naming the JSON path', (_name, edits, want) => {
    expect(errorOf(...edits)).toContain(want);
  });

  it('rejects non-objects', () => {
    const r = parsePlan(42);
    expect(r.ok).toBe(false);
  });
});

describe('parseObservation / jsonPath', () => {
  it('formats paths like a JSON path', () => {
    expect(jsonPath(['steps', 3, 'target', 'drv'])).toBe('$.steps[3].target.drv');
    expect(jsonPath(['expect', 'upstream', 'paths', '4'])).toBe('$.expect.upstream.paths["4"]');
    expect(jsonPath(['expect', 'prepare-deletes-stale-scratch'])).toBe('$.expect["prepare-deletes-stale-scratch"]');
  });

  it('rejects an observation with a missing section', () => {
    const r = parseObservation({ attempts: {}, paths: {} });
    expect(r.ok ? 'ok' : r.error).toContain('$.commands');
  });
});
