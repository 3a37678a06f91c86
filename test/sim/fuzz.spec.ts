import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { seed487 } from '../../sim/scenarios/builtin.js';
import { traceScenario } from '../../sim/trace.js';
import { cli } from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'outpath-fuzz-'));

/** A valid scenario or trace with one random part replaced, deleted or retyped. */
function mutated(base: unknown): fc.Arbitrary<string> {
  const text = JSON.stringify(base);
  return fc.oneof(
    // structural mutations of the JSON value
    fc.tuple(fc.nat(), fc.oneof(fc.constant(null), fc.integer(), fc.string(), fc.constant([]), fc.constant({}), fc.boolean())).map(([i, v]) => {
      const o = JSON.parse(text) as Record<string, unknown>;
      const paths: (string | number)[][] = [];
      const walk = (x: unknown, p: (string | number)[]): void => {
        paths.push(p);
        if (x && typeof x === 'object') for (const [k, c] of Object.entries(x)) walk(c, [...p, Array.isArray(x) ? Number(k) : k]);
      };
      walk(o, []);
      const p = paths[1 + (i % Math.max(1, paths.length - 1))] ?? [];
      let parent: Record<string | number, unknown> = o;
      for (const k of p.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      const last = p[p.length - 1];
      if (last !== undefined) parent[last] = v;
      return JSON.stringify(o);
    }),
    // byte-level damage: truncation and garbage
    fc.nat().map((n) => text.slice(0, n % text.length)),
    fc.string(),
  );
}

describe('fuzz: malformed scenario and trace files', () => {
  it('never throws and always exits 2 with one line on 1,000 malformed scenario files', () => {
    let n = 0;
    fc.assert(
      fc.property(mutated(seed487), (json) => {
        const f = join(dir, `s${String(n++)}.json`);
        writeFileSync(f, json);
        const r = cli('run', f);
        // a mutation that is still a valid scenario: a verdict (0, 1 or 3), not an error
        if (r.code !== 2) {
          expect([0, 1, 3]).toContain(r.code);
          expect(r.err).toBe('');
          return true;
        }
        expect(r.err.trim().split('\n')).toHaveLength(1);
        expect(r.err).not.toMatch(/at .*\.ts:\d+/);
        return true;
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws and always exits 2 on 1,000 malformed trace files', () => {
    const trace = {
      format: 'nix-output-model-trace/2',
      scenario: traceScenario(seed487, { kind: 'builtin' }),
      variant: 'upstream',
      search: { mode: 'bfs', faults: ['interrupt'], maxFaults: 1 },
      model: { sha256: '0'.repeat(64) },
      nixRev: 'x',
      foundBy: 'x',
      replay: 'x',
      violations: [],
      events: [{ type: 'start', actor: 'a1' }],
      initial: [],
      states: [{ n: 2, action: 'start', actor: 'a1', source: 's', note: 'n', syscalls: [], changes: [] }],
    };
    let n = 0;
    fc.assert(
      fc.property(mutated(trace), (json) => {
        const f = join(dir, `t${String(n++)}.json`);
        writeFileSync(f, json);
        const r = cli('show', f, '--format', 'text');
        if (r.code === 0) return true;
        expect(r.code).toBe(2);
        expect(r.err.trim().split('\n')).toHaveLength(1);
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});
