/** The timeout fault model through the CLI: explore it, write and replay its trace, refuse it where nothing can time out. */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nol-timeout-cli-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('outpath explore --faults timeout', () => {
  it('explores timeout-retry under the timeout column and writes a trace that replays', () => {
    const r = cli('explore', 'timeout-retry', '--variant', 'upstream', '--faults', 'timeout', '--jobs', '1', '--out', dir);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/upstream\s+✗\(t\)/);
    expect(r.out).toContain('t = build timeout');
    const trace = readdirSync(dir).find((f) => f.includes('NoWedge.timeout'));
    expect(trace).toBeDefined();
    const replay = cli('replay', join(dir, trace ?? ''));
    expect(replay.code, replay.err).toBe(0); // confirmed: the violation recurs
    expect(replay.out).toMatch(/confirmed: .*NoWedge as violated/);
    const show = cli('show', join(dir, trace ?? ''));
    expect(show.out).toContain('<timeout a1>');
  });

  it('is bad input (exit 2) on a scenario that sets no build deadline', () => {
    const r = cli('explore', 'seed-487', '--variant', 'upstream', '--faults', 'timeout', '--jobs', '1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no build of seed-487 can time out/);
  });
});
