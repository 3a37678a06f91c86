/**
 * The four ways the tool used to make a contributor trust a wrong answer, each reproduced through
 * the CLI: a cut-short search printed ✓, `run` never checked invariants, `replay` trusted the file,
 * and traces of scenario files could not be shown, replayed or scripted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seed487 } from '../../sim/scenarios/builtin.js';
import { cli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'outpath-blockers-'));

/** The matrix rows of a text report: `variant  cell  cell …`. */
function rows(out: string): string[] {
  return out.split('\n').filter((l) => /^(upstream|recommended)\s/.test(l));
}

interface TraceJson {
  events: unknown[];
  states: { syscalls: string[] }[];
  violation?: { invariant: string } | null;
  violations?: { invariant: string }[];
  model?: { sha256: string };
  replay: string;
}

/** Explores seed-487 under upstream/interrupt into a fresh directory and returns the NoWedge trace file. */
function noWedgeTrace(): { file: string; json: TraceJson } {
  const out = mkdtempSync(join(dir, 'trace-'));
  const r = cli('explore', 'seed-487', '--variant', 'upstream', '--faults', 'interrupt', '--out', out);
  expect(r.code, r.err).toBe(1);
  const file = [join(out, 'seed-487.upstream.NoWedge.interrupt.trace.json'), join(out, 'seed-487.upstream.NoWedge.trace.json')].find((f) => {
    try {
      readFileSync(f);
      return true;
    } catch {
      return false;
    }
  });
  if (!file) throw new Error('no NoWedge trace written');
  return { file, json: JSON.parse(readFileSync(file, 'utf8')) as TraceJson };
}

function edited(json: TraceJson, name: string, edit: (t: TraceJson) => void): string {
  const t = JSON.parse(JSON.stringify(json)) as TraceJson;
  edit(t);
  const f = join(dir, name);
  writeFileSync(f, JSON.stringify(t, null, 2));
  return f;
}

describe('blocker 1: a search cut short never prints ✓', () => {
  for (const flag of ['--max-states', '--max-depth']) {
    it(`explore seed-487 --variant upstream ${flag} 5 exits 3 and marks every unfinished cell inconclusive`, () => {
      const r = cli('explore', 'seed-487', '--variant', 'upstream', flag, '5');
      expect(r.code, r.out + r.err).toBe(3);
      const [row] = rows(r.out);
      expect(row).toBeDefined();
      expect(row).not.toContain('✓');
      expect(r.out).not.toMatch(/holds over the whole bounded space/);
      expect(r.out).toMatch(flag === '--max-states' ? /max-states 5/ : /max-depth 5/);
    });
  }

  it('random mode says "no violation in N schedules" and exits 3, never ✓', () => {
    const r = cli('explore', 'seed-487', '--variant', 'recommended', '--mode', 'random', '--runs', '20', '--seed', '1');
    expect(r.code, r.out + r.err).toBe(3);
    expect(rows(r.out)[0]).not.toContain('✓');
    expect(r.out).toMatch(/no violation in 20 schedules/);
  });

  it('--json names the limit that cut each cell', () => {
    const r = cli('explore', 'seed-487', '--variant', 'upstream', '--faults', 'interrupt', '--max-states', '5', '--json');
    const j = JSON.parse(r.out) as { cells: { limit?: string; verdicts?: Record<string, string> }[] };
    expect(j.cells[0]?.limit).toBe('maxStates');
    expect(Object.values(j.cells[0]?.verdicts ?? {})).toContain('inconclusive');
  });
});

describe('blocker 2: run checks every invariant along its scripted run', () => {
  it('run same-user-retry reports the stale file in the registered output and exits 1', () => {
    const r = cli('run', 'same-user-retry');
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/✗ Invariant CleanOutput violated at state \d+/);
    expect(r.out).toMatch(/\+stale/);
    expect(r.out).not.toMatch(/no violation/);
  });
});

describe('blocker 3: replay re-executes and re-checks', () => {
  const { file, json } = noWedgeTrace();

  it('a trace cut to 8 events does not reach the violation', () => {
    const cut = edited(json, 'cut.json', (t) => {
      t.events = t.events.slice(0, 8);
      t.states = t.states.slice(0, 8);
    });
    const r = cli('replay', cut);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).not.toMatch(/same path/);
    expect(r.out).toMatch(/NoWedge/);
    expect(r.out).toMatch(/state 9/);
  });

  it('an invariant renamed inside the file is refused, not echoed back', () => {
    const renamed = edited(json, 'renamed.json', (t) => {
      if (t.violations?.[0]) t.violations[0].invariant = 'CleanOutput';
      if (t.violation) t.violation.invariant = 'CleanOutput';
    });
    const r = cli('replay', renamed);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/CleanOutput (does not fail|is not violated|holds)/);
  });

  it('a hand-edited state is reported at the first step that differs', () => {
    const f = edited(json, 'edited-state.json', (t) => {
      const s = t.states[4];
      if (s) s.syscalls = [...s.syscalls, 'as root  unlink("/nix/store/x") = 0'];
    });
    const r = cli('replay', f);
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.out).toMatch(/differs at state 6/);
  });

  it('a trace recorded on another model says so, and still reports what this model does', () => {
    const f = edited(json, 'other-model.json', (t) => {
      if (t.model) t.model.sha256 = '0'.repeat(64);
      else (t as unknown as Record<string, unknown>)['model'] = { sha256: '0'.repeat(64) };
    });
    const r = cli('replay', f);
    expect(r.out + r.err).toMatch(/recorded on another model/);
    expect(r.out).toMatch(/NoWedge/);
    expect(r.code).toBe(0);
  });

  it('the untouched trace is confirmed', () => {
    const r = cli('replay', file);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/confirmed/);
  });
});

describe('blocker 4: traces of scenario files are self-contained', () => {
  const scenarioFile = join(dir, 'my-seed.json');
  writeFileSync(scenarioFile, JSON.stringify({ ...seed487, name: 'my-seed' }));
  const out = mkdtempSync(join(dir, 'file-'));
  const explored = cli('explore', scenarioFile, '--variant', 'upstream', '--faults', 'interrupt', '--out', out);
  const trace = join(out, 'my-seed.upstream.NoWedge.interrupt.trace.json');

  it('explore FILE --out writes a trace that show, replay and repro accept', () => {
    expect(explored.code, explored.err).toBe(1);
    expect(cli('show', trace).code).toBe(0);
    expect(cli('show', trace, '--format', 'markdown').out).toContain('my-seed');
    const replayed = cli('replay', trace);
    expect(replayed.code, replayed.out + replayed.err).toBe(0);
    const script = cli('repro', trace);
    expect(script.code, script.err).toBe(0);
    expect(spawnSync('bash', ['-n'], { input: script.out, encoding: 'utf8' }).status).toBe(0);
  });

  it('show --format scenario gives back the scenario file the trace was found in', () => {
    const r = cli('show', trace, '--format', 'scenario');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync(scenarioFile, 'utf8')));
  });

  it("the trace's own replay hint is a command that works", () => {
    const t = JSON.parse(readFileSync(trace, 'utf8')) as TraceJson;
    const commands = t.replay.split(/\s+#\s+or:\s+|\s*&&\s*/).map((c) => c.replace(/#.*$/, '').trim()).filter((c) => c.startsWith('outpath '));
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) {
      const argv = c.replace(/^outpath /, '').split(/\s+/);
      if (argv.includes('>')) continue;
      const r = cli(...argv);
      expect(r.code, `${c}: ${r.err}`).not.toBe(2);
    }
  });

  it('a file scenario that shares a built-in name is replayed as itself, not as the built-in', () => {
    const renamedActors = JSON.parse(JSON.stringify(seed487).replace(/"a1"/g, '"first"')) as unknown;
    const f = join(dir, 'seed-487.json');
    writeFileSync(f, JSON.stringify(renamedActors));
    const o = mkdtempSync(join(dir, 'same-name-'));
    expect(cli('explore', f, '--variant', 'upstream', '--faults', 'interrupt', '--out', o).code).toBe(1);
    const r = cli('replay', join(o, 'seed-487.upstream.NoWedge.interrupt.trace.json'));
    expect(r.code, r.out + r.err).toBe(0);
  });
});
