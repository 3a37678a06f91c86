import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../model/verify/index.js';
import { main } from '../../sim/cli.js';
import { cli, cliProcess } from './run-cli.js';

const out = mkdtempSync(join(tmpdir(), 'outpath-cli-'));

describe('outpath (real process)', () => {
  it('runs the main job with no arguments: verdict matrix, exit 1 for the upstream violation, and the shortest upstream counterexample', () => {
    const r = cliProcess();
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/^upstream\s+✗/m);
    // every invariant column of the recommended series, not only the first
    const recommended = r.out.split('\n').find((l) => l.startsWith('recommended '))?.trim().split(/\s+/) ?? [];
    expect(recommended.slice(1, 1 + INVARIANTS.length), r.out).toEqual(INVARIANTS.map(() => '✓'));
    expect(r.out).toContain('✗ Invariant NoWedge violated');
  });

  it('lists the built-in scenarios', () => {
    const r = cliProcess('scenarios');
    expect(r.code).toBe(0);
    expect(r.out).toContain('seed-487');
    expect(r.out).toContain('concurrent-gc');
  });

  it('rejects an unknown flag with exit 2 and one line', () => {
    const r = cliProcess('explore', 'seed-487', '--frobnicate');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });
});

describe('outpath explore / replay / show / repro', () => {
  const explored = cli('explore', 'seed-487', '--variant', 'upstream', '--faults', 'interrupt', '--out', out);
  const traceFile = join(out, 'seed-487.upstream.NoWedge.interrupt.trace.json');

  it('explore exits 1 on a violation and writes its traces', () => {
    expect(explored.code).toBe(1);
    expect(readdirSync(out)).toContain('seed-487.upstream.NoWedge.interrupt.trace.json');
  });

  it('explore exits 0 where the variant holds', () => {
    expect(cli('explore', 'seed-487', '--variant', 'recommended', '--faults', 'interrupt').code).toBe(0);
  });

  it('replay confirms the same violation', () => {
    const r = cli('replay', traceFile);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('NoWedge');
  });

  it('replay says where a trace with an event removed differs', () => {
    const t = JSON.parse(readFileSync(traceFile, 'utf8')) as { events: { type: string; actor: string }[] };
    t.events.splice(1, 1);
    const bad = join(out, 'tampered.json');
    writeFileSync(bad, JSON.stringify(t));
    const r = cli('replay', bad);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/(differs|diverges) at state 3 \(event 2/);
  });

  it('show renders markdown with a mermaid sequence diagram and the text trace folded', () => {
    const r = cli('show', traceFile, '--format', 'markdown');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\*\*✗ NoWedge\*\*/);
    expect(r.out).toContain('```mermaid\nsequenceDiagram');
    expect(r.out).toContain('<details><summary>Full trace</summary>');
  });

  it('show --format json round-trips the trace', () => {
    const r = cli('show', traceFile, '--format', 'json');
    expect(JSON.parse(r.out)).toEqual(JSON.parse(readFileSync(traceFile, 'utf8')));
  });

  it('repro of the seed trace is a bash script that bash -n accepts', () => {
    const r = cli('repro', 'seed-487');
    expect(r.code, r.err).toBe(0);
    expect(r.out.startsWith('#!')).toBe(true);
    const check = spawnSync('bash', ['-n'], { input: r.out, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
  });

  it('repro of a scenario whose GC runs inside registerOutputs holds the daemon at its own call there (the fault injector)', () => {
    const r = cli('repro', 'gc-during-registration', '--plan');
    expect(r.code, r.err).toBe(0);
    const plan = JSON.parse(r.out) as { steps: { kind: string; daemonAt?: { op: string; action: string } }[] };
    expect(plan.steps.map((s) => s.kind)).toEqual(['build', 'delete', 'resume', 'pathInfo']);
    expect(plan.steps[0]?.daemonAt).toMatchObject({ op: 'rename', action: 'hold' });
    const script = cli('repro', 'gc-during-registration');
    expect(script.out).toContain('fault injector');
  });

  it('repro of a schedule neither gates nor the injector can hold says why', () => {
    const r = cli('repro', 'linux-orphan-subprocess');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/cannot reproduce on a real daemon: not realisable here: .*with the fault injector: .*spawn/);
  });

  it('repro of a GC placed between two builder commands holds the build at a gate meanwhile', () => {
    const r = cli('repro', 'concurrent-gc', '--plan');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out) as { steps: { kind: string; holdAt?: string; command?: string }[] };
    expect(plan.steps.map((s) => s.kind)).toEqual(['build', 'delete', 'resume']);
    expect(plan.steps[0]?.holdAt).toMatch(/^before\d+$/);
  });
});

describe('progress', () => {
  it('draws states, depth, rate and elapsed time on a terminal, and nothing when piped', () => {
    let err = '';
    main(['explore', 'seed-487', '--variant', 'upstream', '--faults', 'interrupt'], { out: () => undefined, err: (s) => (err += s), isTty: true });
    expect(err).toMatch(/\d+ states, depth \d+, \d+ states\/s, [\d.]+ s/);
    expect(cli('explore', 'seed-487', '--variant', 'upstream', '--faults', 'interrupt').err).toBe('');
  });

  it('--json prints only JSON on stdout', () => {
    const r = cli('explore', 'seed-487', '--variant', 'upstream', '--faults', 'interrupt', '--json');
    expect(() => JSON.parse(r.out) as unknown).not.toThrow();
  });
});

describe('bad input: one clear line, exit 2, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['unknown scenario', ['explore', 'nope'], /unknown scenario 'nope'/],
    ['unknown variant', ['explore', 'seed-487', '--variant', 'upstream,bogus'], /--variant.*unknown variant 'bogus'/],
    ['unknown fault', ['explore', 'seed-487', '--faults', 'meteor'], /--faults.*unknown fault 'meteor'/],
    ['bad depth', ['explore', 'seed-487', '--max-depth', '-3'], /--max-depth/],
    ['bad format', ['show', 'x.json', '--format', 'pdf'], /cannot read trace|--format/],
    ['unknown command', ['frobnicate'], /unknown command/],
    ['unknown fault target', ['explore', 'seed-487', '--fault-targets', 'zz'], /--fault-targets: 'zz' is not a build of seed-487/],
    ['bad fault count', ['explore', 'seed-487', '--max-faults', 'two'], /--max-faults/],
  ];
  for (const [name, argv, msg] of cases) {
    it(name, () => {
      const before = readdirSync(out).length;
      const r = cli(...argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.out).toBe('');
      expect(readdirSync(out).length).toBe(before);
    });
  }

  it('a scenario file with an impossible setting names the JSON path', () => {
    const f = join(out, 'darwin-namespaces.json');
    const s: unknown = JSON.parse(JSON.stringify({
      name: 'x', doc: '', settings: { platform: 'darwin', sandbox: true, mountAndPidNamespaces: false, buildUsers: 2, keepFailed: false, nixVersion: '2.34.8' },
      derivations: [{ id: 'd', name: 'd', kind: 'ca-floating', program: [] }], actors: [{ id: 'a', kind: 'build', drv: 'd' }],
    }));
    writeFileSync(f, JSON.stringify(s));
    const r = cli('explore', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/scenario\.settings\.mountAndPidNamespaces/);
  });

  it('a scenario file with a sandbox value upstream does not parse exits 2, naming it, and writes nothing', () => {
    const f = join(out, 'sandbox-yes.json');
    const before = readdirSync(out).length;
    writeFileSync(f, JSON.stringify({
      name: 'x', doc: '', settings: { platform: 'linux', sandbox: 'yes', buildUsers: 2, keepFailed: false, nixVersion: '2.34.8' },
      derivations: [{ id: 'd', name: 'd', kind: 'ca-floating', program: [] }], actors: [{ id: 'a', kind: 'build', drv: 'd' }],
    }));
    const r = cli('run', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/scenario\.settings\.sandbox/);
    expect(r.out).toBe('');
    expect(readdirSync(out).length).toBe(before + 1);
  });

  it('a scenario file with an unknown build mode is refused with exit 2, naming the field and the modes', () => {
    const f = join(out, 'bad-mode.json');
    writeFileSync(f, JSON.stringify({
      name: 'x', doc: '', settings: { platform: 'linux', sandbox: false, buildUsers: 2, keepFailed: false, nixVersion: '2.34.8' },
      derivations: [{ id: 'd', name: 'd', kind: 'input-addressed', program: [] }], actors: [{ id: 'a', kind: 'build', drv: 'd', mode: 'fix' }],
    }));
    const before = readdirSync(out).length;
    const r = cli('explore', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/scenario\.actors\[0\]\.mode: .*"check"\|"repair"/);
    expect(r.out).toBe('');
    expect(readdirSync(out).length).toBe(before);
  });

  it('a trace of an older format is refused, saying how to get a new one', () => {
    const f = join(out, 'old.json');
    writeFileSync(f, JSON.stringify({ format: 'nix-output-model-trace/1', scenario: 'seed-487', variant: 'upstream', nixRev: '', foundBy: '', replay: '', violation: null, events: [], initial: [], states: [] }));
    const r = cli('replay', f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/\.format: must be 'nix-output-model-trace\/2': this trace is of format 1, .*explore again/);
  });
});

describe('every subcommand as a real process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'outpath-proc-'));
  it('explore writes traces, replay confirms them, show renders them, repro scripts them', () => {
    const ex = cliProcess('explore', 'seed-487', '--variant', 'upstream', '--faults', 'interrupt', '--out', dir);
    expect(ex.code, ex.err).toBe(1);
    const trace = join(dir, 'seed-487.upstream.NoWedge.interrupt.trace.json');
    expect(cliProcess('replay', trace).code).toBe(0);
    const md = cliProcess('show', trace, '--format', 'markdown');
    expect(md.out).toContain('```mermaid');
    const script = cliProcess('repro', trace);
    expect(script.code, script.err).toBe(0);
    expect(spawnSync('bash', ['-n'], { input: script.out, encoding: 'utf8' }).status).toBe(0);
  });

  it('run prints a scripted trace and patches check passes on patches/', () => {
    const run = cliProcess('run', 'same-user-retry');
    expect(run.out).toMatch(/State \d+: <builderAction a2>/);
    expect(run.code).toBe(1);
    const p = cliProcess('patches', 'check');
    expect(p.code, p.out).toBe(0);
  });
});
