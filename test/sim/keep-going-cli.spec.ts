/** keep-going-cancel through the CLI: its counterexample trace carries the cancel and replays; faults that would hit a whole worker are refused. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nol-keep-going-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('outpath explore keep-going-cancel', () => {
  it('finds the NoWedge counterexample through a cancel, writes it, and the trace replays', () => {
    const r = cli('explore', 'keep-going-cancel', '--variant', 'upstream', '--jobs', '1', '--out', dir);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/upstream\s+✗\(b\)/);
    const trace = readdirSync(dir).find((f) => f.includes('NoWedge.builderFailure'));
    expect(trace).toBeDefined();
    const replay = cli('replay', join(dir, trace ?? ''));
    expect(replay.code, replay.err).toBe(0);
    expect(replay.out).toMatch(/confirmed: .*NoWedge as violated/);
    const show = cli('show', join(dir, trace ?? ''));
    expect(show.out).toContain('<cancel a1>');
    expect(show.out).toContain('keep-going = false: sib failed, goal destroyed at');
  });

  it('is bad input (exit 2) when --faults or --fault-targets would interrupt or crash a goal of the invocation', () => {
    for (const args of [['--faults', 'interrupt'], ['--faults', 'crash', '--fault-targets', 'a1']]) {
      const r = cli('explore', 'keep-going-cancel', '--variant', 'upstream', '--jobs', '1', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/interrupt and crash faults would hit (sib|a1), goals of an invocation of keep-going-cancel/);
    }
  });
});
