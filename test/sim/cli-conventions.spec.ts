/**
 * What a new user meets first: help for every subcommand, --version, the variant list, bad input
 * answered with one line and exit 2, scenario files honoured whole, and the everything-at-once
 * exploration of a design.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seed487 } from '../../sim/scenarios/builtin.js';
import { cli, cliProcess } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'outpath-conventions-'));
const SUBCOMMANDS = ['explore', 'run', 'replay', 'show', 'repro', 'scenarios', 'variants', 'patches'];

describe('help and version', () => {
  it('outpath --help lists every subcommand and exits 0', () => {
    const r = cli('--help');
    expect(r.code).toBe(0);
    for (const c of SUBCOMMANDS) expect(r.out).toMatch(new RegExp(`^\\s+${c}\\b`, 'm'));
  });

  for (const c of [...SUBCOMMANDS, 'patches check']) {
    it(`outpath ${c} --help and -h describe every option with examples and exit 0`, () => {
      const long = cli(...c.split(' '), '--help');
      const short = cli(...c.split(' '), '-h');
      expect(long.code, long.err).toBe(0);
      expect(short.out).toBe(long.out);
      expect(long.out).toMatch(/^Usage: outpath /m);
      expect(long.out).toMatch(/^Examples:\n(\s+\$ outpath .*\n){2,}/m);
      // every option line carries a description
      for (const line of long.out.split('\n').filter((l) => /^\s+-/.test(l))) expect(line.trim().split(/\s{2,}/).length, line).toBeGreaterThan(1);
    });
  }

  it('explore --help gives the defaults', () => {
    const r = cli('explore', '--help');
    expect(r.out).toMatch(/--max-states <n>[^\n]*\n?[^\n]*\(default: 50000\)/);
    expect(r.out).toMatch(/--mode <mode>[^\n]*\n?[^\n]*default: "bfs"\)/);
  });

  it('--version prints the package version', () => {
    const r = cliProcess('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('variants lists every variant with one line each', () => {
    const r = cli('variants');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toMatch(/^upstream\s+\S/);
    expect(lines.some((l) => /^recommended\s+\S/.test(l))).toBe(true);
    expect(lines.some((l) => /^cleanup-deletes-scratch\s+\S/.test(l))).toBe(true);
  });
});

describe('what a new user met', () => {
  it('recommended+nope names nope as the unknown part', () => {
    const r = cli('explore', 'seed-487', '--variant', 'recommended+nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown variant 'nope'/);
  });

  it('run refuses two variants instead of silently using the first', () => {
    const r = cli('run', 'seed-487', '--variant', 'upstream,recommended');
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('scenarios --bogus is an error', () => {
    const r = cli('scenarios', '--bogus');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--bogus/);
  });

  it('patches check --nix-src /missing is bad input (exit 2), not a failed check', () => {
    const r = cli('patches', 'check', '--nix-src', join(dir, 'missing'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--nix-src/);
  });

  it('--variant mine,upstream prints the trace of the variant asked first', () => {
    const r = cli('explore', 'seed-487', '--variant', 'cleanup-deletes-scratch,upstream', '--faults', 'interrupt');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Shortest counterexample \(cleanup-deletes-scratch\b/);
  });

  it('--max-faults above the schema bound is refused', () => {
    const r = cli('explore', 'seed-487', '--max-faults', '4');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--max-faults/);
  });
});

describe('scenario files are honoured whole', () => {
  function file(name: string, s: unknown): string {
    const f = join(dir, name);
    writeFileSync(f, JSON.stringify(s));
    return f;
  }

  it("the file's explore block decides the fault models unless --faults overrides it", () => {
    const f = file('interrupt-only.json', { ...seed487, name: 'interrupt-only', explore: { faults: ['interrupt'], maxFaults: 1, faultTargets: ['a1'] } });
    const own = JSON.parse(cli('explore', f, '--variant', 'upstream', '--json').out) as { cells: { fault: string }[] };
    expect(own.cells.map((c) => c.fault)).toEqual(['interrupt']);
    const flag = JSON.parse(cli('explore', f, '--variant', 'upstream', '--faults', 'crash', '--json').out) as { cells: { fault: string }[] };
    expect(flag.cells.map((c) => c.fault)).toEqual(['crash']);
  });

  it("the file's maxFaults: 0 explores no fault at all", () => {
    const f = file('no-faults.json', { ...seed487, name: 'no-faults', explore: { faults: ['interrupt'], maxFaults: 0 } });
    const r = cli('explore', f, '--variant', 'upstream');
    expect(r.code, r.out).toBe(0);
  });

  const bad: [string, (s: Record<string, unknown>) => unknown, RegExp][] = [
    ['an actor waiting after itself', (s) => ({ ...s, actors: [{ id: 'a1', kind: 'build', drv: 'godyn', after: ['a1'] }] }), /scenario\.actors\[0\]\.after/],
    ['a file name with / in a flat initial', (s) => ({ ...s, initial: [{ at: { drv: 'godyn', which: 'scratch' }, owner: 'builder1', mode: '755', files: { 'sub/x': 'y' } }] }), /scenario\.initial\[0\]\.files/],
    ['a fault target that is not a build', (s) => ({ ...s, explore: { faults: ['interrupt'], maxFaults: 1, faultTargets: ['info'] } }), /scenario\.explore\.faultTargets/],
  ];
  for (const [name, edit, path] of bad) {
    it(`${name} is an error naming the JSON path`, () => {
      const f = file(`${name.replace(/\W+/g, '-')}.json`, edit(JSON.parse(JSON.stringify(seed487)) as Record<string, unknown>));
      const r = cli('explore', f, '--variant', 'upstream', '--faults', 'interrupt');
      expect(r.code, r.out).toBe(2);
      expect(r.err).toMatch(path);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  }
});

describe('a design across every built-in scenario', () => {
  it('explore --scenarios all --variant V prints each scenario against upstream', () => {
    const r = cli('explore', '--scenarios', 'seed-487,same-user-retry', '--variant', 'recommended', '--faults', 'interrupt');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^seed-487\s/m);
    expect(r.out).toMatch(/^same-user-retry\s/m);
    expect(r.out).toMatch(/upstream/);
    expect(r.out).toMatch(/heals/);
  });
});
