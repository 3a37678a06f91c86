/**
 * The bench pipeline at tiny bounds: jobs run, docs come out well-formed. No timing assertion:
 * speed is judged by `npm run bench`, never by a test.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compact, group, renderMarkdown, renderSvg } from '../../bench/report.js';
import { plan, runBench, runIsolated, TINY, writeReport, type BenchResult } from '../../bench/run.js';
import { FAMILIES, GROWTH_STEPS } from '../../bench/scenarios.js';

/** Cells of a markdown table row, split on unescaped pipes. */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

/** Consecutive `|` lines, as tables. */
function tables(md: string): string[][] {
  const out: string[][] = [];
  let cur: string[] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) (cur ??= []).push(line);
    else if (cur) {
      out.push(cur);
      cur = undefined;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** Checks tags nest and close: every opened element is closed in order; returns the element names seen. */
function elements(svg: string): string[] {
  const stack: string[] = [];
  const seen: string[] = [];
  const body = svg.replace(/<title>[^<]*<\/title>/g, '');
  const tag = /<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z][a-zA-Z0-9:-]*="[^"<>]*")*)\s*(\/?)>/g;
  for (const m of body.matchAll(tag)) {
    const [, close, name = '', , self] = m;
    if (close) expect(stack.pop(), `</${name}>`).toBe(name);
    else {
      seen.push(name);
      if (!self) stack.push(name);
    }
  }
  expect(stack).toEqual([]);
  // nothing tag-like left over that the pattern did not understand
  expect(body.replace(tag, '')).not.toMatch(/[<>]/);
  return seen;
}

describe('bench pipeline (tiny bounds)', () => {
  let result: BenchResult;
  let md: string;
  let svg: string;

  beforeAll(async () => {
    result = await runBench(TINY, { isolate: false });
    const out = writeReport(result, mkdtempSync(join(os.tmpdir(), 'perf-')));
    md = readFileSync(out.md, 'utf8');
    svg = readFileSync(out.svg, 'utf8');
  });

  it('runs every job of the plan', () => {
    const jobs = plan(TINY);
    expect(result.headlines).toHaveLength(jobs.filter((j) => j.kind === 'headline').length);
    expect(result.growth).toHaveLength(FAMILIES.length * TINY.variants.length * GROWTH_STEPS.length);
    expect(Object.keys(result.fs.opsPerSec)).toContain('chmod (1 mutating syscall)');
    for (const h of result.headlines) {
      expect(h.explore.states).toBeGreaterThan(0);
      expect(h.explore.states).toBeLessThanOrEqual(TINY.headline[h.family].maxStates + 1);
    }
  });

  it('perf.md: the sections, the machine and commit, and tables with the same number of cells on every row', () => {
    for (const h of ['## Exploration speed', '## Time to the first counterexample', '## Cost per state as the scenario grows', '## fs kernel']) expect(md).toContain(h);
    expect(md).toContain(`commit \`${result.commit}\``);
    expect(md).toContain(result.machine.node);
    expect(md).toContain('](perf.svg)');
    expect(md).not.toMatch(/NaN|undefined|Infinity|\[object/);
    const ts = tables(md);
    expect(ts.length).toBeGreaterThanOrEqual(6);
    for (const t of ts) {
      const [head = '', sep = '', ...rows] = t;
      const n = cells(head).length;
      expect(cells(sep).every((c) => /^-{3}:?$/.test(c)), sep).toBe(true);
      expect(cells(sep)).toHaveLength(n);
      expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) expect(cells(row), row).toHaveLength(n);
    }
    for (const f of FAMILIES) for (const v of TINY.variants) expect(md).toContain(`| ${f} | ${v} |`);
  });

  it('perf.svg: well-formed, one bar per scenario, variant and step in each panel, finite coordinates', () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const els = elements(svg);
    const bars = [...svg.matchAll(/<rect [^>]*><title>/g)];
    expect(bars).toHaveLength(2 * FAMILIES.length * TINY.variants.length * GROWTH_STEPS.length);
    expect(els.filter((e) => e === 'g')).toHaveLength(2);
    for (const m of svg.matchAll(/\b(?:x|y|x1|y1|x2|y2|width|height)="([^"]*)"/g)) expect(Number.isFinite(Number(m[1])), m[0]).toBe(true);
    expect(svg).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('the SVG is a function of the numbers alone (no date, same bytes twice); the markdown links it', () => {
    const copy = JSON.parse(JSON.stringify(result)) as BenchResult;
    expect(renderSvg(copy)).toBe(svg);
    expect(renderSvg({ ...copy, date: '1999-01-01T00:00:00.000Z', wallMs: 1 })).toBe(svg);
    expect(renderMarkdown(copy, 'x.svg')).toContain('](x.svg)');
  });

  it('a job runs in its own node with --expose-gc', () => {
    const r = runIsolated({ kind: 'growth', family: 'seed-487', variant: 'upstream', maxDepth: 4, maxStates: 20, rounds: { budgetMs: 0, maxRounds: 1 } });
    expect(r.kind).toBe('growth-series');
    if (r.kind !== 'growth-series') return;
    expect(r.steps.map((g) => g.step)).toEqual([...GROWTH_STEPS]);
    for (const g of r.steps) {
      expect(g.explore.gcForced).toBe(true);
      expect(g.explore.states).toBeGreaterThan(0);
    }
  });

  it('numbers print the same whatever the locale', () => {
    expect(group(1234567)).toBe('1,234,567');
    expect(group(999)).toBe('999');
    expect(compact(100)).toBe('100');
    expect(compact(1107)).toBe('1.11k');
    expect(compact(55868)).toBe('55.9k');
    expect(compact(1000)).toBe('1k');
    expect(compact(0.1)).toBe('0.1');
  });
});
