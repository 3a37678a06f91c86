import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ABSENT, compareObservation, formatMismatch, summarize, type Mismatch } from '../../sim/repro/observe.js';
import type { AttemptObservation, Observation } from '../../sim/repro/plan.js';
import { reportTable, totalsLine, type ReportRow } from '../../sim/repro/report.js';

const wedged: Observation = {
  attempts: {
    a1: { buildUser: 'nixbld1', outcome: 'interrupted', actions: [{ i: 0, ok: true }, { i: 1, ok: true }] },
    a2: { buildUser: 'nixbld2', outcome: 'failed', actions: [{ i: 0, ok: true }, { i: 1, ok: false, errno: 'EACCES' }] },
  },
  paths: { scratch: { exists: true, valid: false, owner: 'nixbld1', mode: '755', files: ['a'] } },
  commands: { del: { removed: true, printedDontKnow: true, exitOk: true } },
};

const fields = (ms: readonly Mismatch[]): string[] => ms.map((m) => m.field);

describe('compareObservation', () => {
  it('agrees with itself', () => {
    expect(compareObservation(wedged, wedged)).toEqual([]);
  });

  it('names the field and both values', () => {
    const healed: Observation = {
      ...wedged,
      attempts: { ...wedged.attempts, a2: { buildUser: 'nixbld2', outcome: 'success', actions: [{ i: 0, ok: true }, { i: 1, ok: true }] } },
    };
    const ms = compareObservation(wedged, healed);
    expect(ms).toEqual([
      { field: 'attempts.a2.outcome', expected: '"failed"', got: '"success"' },
      { field: 'attempts.a2.actions[1].ok', expected: 'false', got: 'true' },
      { field: 'attempts.a2.actions[1].errno', expected: '"EACCES"', got: ABSENT },
    ]);
    expect(formatMismatch(ms[0] as Mismatch)).toBe('MISMATCH: attempts.a2.outcome expected "failed" got "success"');
  });

  it('reports missing and extra actions and entries', () => {
    const a2 = wedged.attempts['a2'] as AttemptObservation;
    const real: Observation = {
      attempts: { a1: wedged.attempts['a1'] as AttemptObservation, a2: { ...a2, actions: [...a2.actions, { i: 2, ok: true }] }, a3: a2 },
      paths: {},
      commands: wedged.commands,
    };
    expect(fields(compareObservation(wedged, real))).toEqual(['attempts.a2.actions[2]', 'attempts.a3', 'paths.scratch']);
  });

  it('compares optional fields only when the expectation states them', () => {
    const partial: Observation = {
      ...wedged,
      attempts: { ...wedged.attempts, a2: { buildUser: 'nixbld2', outcome: 'failed', actions: [{ i: 0, ok: true }, { i: 1, ok: false }] } },
      paths: { scratch: { exists: true, valid: false } },
    };
    expect(compareObservation(partial, wedged)).toEqual([]);
    // ...but the other way round the real side lacks what is expected.
    expect(fields(compareObservation(wedged, partial))).toEqual(['attempts.a2.actions[1].errno', 'paths.scratch.owner', 'paths.scratch.mode', 'paths.scratch.files']);
  });

  it('compares files as a set and output files per path', () => {
    const e: Observation = { attempts: { x: { buildUser: 'root', outcome: 'success', actions: [], outputFiles: { a: 'a', b: 'b' } } }, paths: { p: { exists: true, valid: true, files: ['b', 'a'] } }, commands: {} };
    const a: Observation = { attempts: { x: { buildUser: 'root', outcome: 'success', actions: [], outputFiles: { a: 'a', stale: 'attempt1', b: 'b' } } }, paths: { p: { exists: true, valid: true, files: ['a', 'b'] } }, commands: {} };
    expect(compareObservation(e, a)).toEqual([{ field: 'attempts.x.outputFiles["stale"]', expected: ABSENT, got: '"attempt1"' }]);
  });

  it('compares removedInvalid only when expected', () => {
    const e: Observation = { attempts: { x: { buildUser: null, outcome: 'success', actions: [], removedInvalid: true } }, paths: {}, commands: {} };
    const a: Observation = { attempts: { x: { buildUser: null, outcome: 'success', actions: [], removedInvalid: false } }, paths: {}, commands: {} };
    expect(fields(compareObservation(e, a))).toEqual(['attempts.x.removedInvalid']);
    expect(compareObservation(a, { attempts: { x: { buildUser: null, outcome: 'success', actions: [] } }, paths: {}, commands: {} })).toEqual([
      { field: 'attempts.x.removedInvalid', expected: 'false', got: ABSENT },
    ]);
  });
});

// ----------------------------------------------------------------- python oracle in step ---

const python = spawnSync('python3', ['--version']).status === 0;
const oracle = join(import.meta.dirname, '..', '..', 'sim', 'repro', 'oracle.py');

const text = fc.oneof(fc.constantFrom('a', 'b', 'stale', 'd/', 'd/f', 'x y', 'é', '"q"', '→'), fc.string({ maxLength: 4 }));
const action = fc.record({ i: fc.nat(5), ok: fc.boolean(), errno: fc.constantFrom('EACCES', 'EEXIST', 'ENOENT') }, { requiredKeys: ['i', 'ok'] });
const attempt = fc.record(
  {
    buildUser: fc.constantFrom('nixbld1', 'nixbld2', 'root', null),
    outcome: fc.constantFrom('success', 'failed', 'interrupted', 'cancelled'),
    actions: fc.array(action, { maxLength: 4 }),
    outputFiles: fc.dictionary(text, text, { maxKeys: 3 }),
    otherOutputFiles: fc.dictionary(fc.constantFrom('dev', 'lib'), fc.dictionary(text, text, { maxKeys: 2 }), { maxKeys: 2 }),
    removedInvalid: fc.boolean(),
    buildDirKept: fc.boolean(),
  },
  { requiredKeys: ['buildUser', 'outcome', 'actions'] },
);
const pathObs = fc.record(
  { exists: fc.boolean(), valid: fc.boolean(), owner: fc.constantFrom('root', 'nixbld1'), mode: fc.constantFrom('755', '555'), files: fc.array(text, { maxLength: 3 }) },
  { requiredKeys: ['exists', 'valid'] },
);
const command = fc.record({ removed: fc.boolean(), printedDontKnow: fc.boolean(), exitOk: fc.boolean() });
const key = fc.constantFrom('a1', 'a2', '3', 'k');
const observation: fc.Arbitrary<Observation> = fc.record({
  attempts: fc.dictionary(key, attempt, { maxKeys: 3 }),
  paths: fc.dictionary(key, pathObs, { maxKeys: 3 }),
  commands: fc.dictionary(key, command, { maxKeys: 2 }),
});
/** Pairs that are often close (one derived from the other), so the deep branches get exercised. */
const pair = fc.oneof(
  fc.tuple(observation, observation),
  observation.chain((o) => fc.tuple(fc.constant(o), observation.map((p) => ({ attempts: { ...o.attempts, ...p.attempts }, paths: { ...p.paths, ...o.paths }, commands: o.commands })))),
);

describe.skipIf(!python)('oracle.py compare (embedded in every script) matches compareObservation', () => {
  it('on random pairs', () => {
    const cases = fc.sample(pair, { numRuns: 400, seed: 6 });
    const r = spawnSync('python3', [oracle, 'compare'], { input: JSON.stringify(cases), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const py = JSON.parse(r.stdout) as [string, string, string][][];
    const ts = cases.map(([e, a]) => compareObservation(e, a).map((m) => [m.field, m.expected, m.got]));
    expect(py).toEqual(ts);
    expect(ts.some((m) => m.length > 0) && ts.some((m) => m.length === 0)).toBe(true);
  });
});

describe('report', () => {
  const row = (scenario: string, real: Observation | undefined, error?: string): ReportRow => ({
    scenario,
    model: wedged,
    seconds: 5.25,
    mismatches: real ? compareObservation(wedged, real) : [],
    ...(real ? { real } : {}),
    ...(error !== undefined ? { error } : {}),
  });

  it('prints scenario | model | real | seconds | agree and the totals line', () => {
    const healed: Observation = { ...wedged, commands: { del: { removed: false, printedDontKnow: true, exitOk: true } } };
    const t = reportTable([row('seed', wedged), row('heal', healed), row('broken', undefined, 'probe failed')]);
    const lines = t.split('\n');
    expect(lines[0]).toBe('| scenario | model | real | seconds | agree |');
    expect(lines[2]).toMatch(/^\| seed \| a1 interrupted@nixbld1; a2 failed@nixbld2 EACCES; .* \| 5\.3 \| yes \|$/);
    expect(lines[3]).toMatch(/\| \*\*NO\*\* \|$/);
    expect(lines[4]).toMatch(/\| error: probe failed \| 5\.3 \| \*\*ERROR\*\* \|$/);
    expect(t.trimEnd().split('\n').at(-1)).toBe('1 agree, 2 disagree (1 of them harness errors)');
    expect(totalsLine([row('seed', wedged)])).toBe('1 agree, 0 disagree');
  });

  it('summarizes an observation in one line', () => {
    expect(summarize(wedged)).toBe('a1 interrupted@nixbld1; a2 failed@nixbld2 EACCES; scratch present invalid nixbld1 755 [a]; del removed dontknow');
  });
});
