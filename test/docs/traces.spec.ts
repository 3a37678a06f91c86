import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../sim/cli.js';

const doc = join(import.meta.dirname, '..', '..', 'docs', 'traces.md');

/** The blocks docs/traces.md quotes from the tools, by the word after the fence's language. */
const KEYS = ['trace', 'run', 'replay', 'show', 'repro'] as const;
type Key = (typeof KEYS)[number];

/** A line that stands for lines the doc leaves out. */
const CUT = '[…]';

interface Quote {
  readonly key: Key;
  /** 1-based line of the opening fence in docs/traces.md. */
  readonly at: number;
  readonly lines: readonly string[];
}

/** Fenced blocks opened by ```<lang> <key> (any fence length, so a quote may contain ``` fences). */
function quotes(md: string): Quote[] {
  const out: Quote[] = [];
  const lines = md.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(`{3,})\S+ (\w+)\s*$/.exec(lines[i] ?? '');
    const key = open?.[2];
    if (!open || !(KEYS as readonly string[]).includes(key ?? '')) continue;
    const end = lines.indexOf(open[1] ?? '```', i + 1);
    if (end < 0) throw new Error(`docs/traces.md:${String(i + 1)}: unclosed ${key ?? ''} block`);
    out.push({ key: key as Key, at: i + 1, lines: lines.slice(i + 1, end) });
    i = end;
  }
  return out;
}

/**
 * Checks that the quote's lines are the generated output's, in order: each run of lines between
 * cuts appears contiguously, after the previous run. Returns what differs first, or null.
 */
function mismatch(q: Quote, generated: string): string | null {
  const gen = generated.split('\n');
  const runs: string[][] = [[]];
  for (const l of q.lines) {
    if (l === CUT) runs.push([]);
    else runs[runs.length - 1]?.push(l);
  }
  let from = 0;
  let docLine = q.at + 1;
  for (const run of runs) {
    // the place in the output that agrees with the longest prefix of this run
    let best = { start: -1, agree: -1 };
    for (let start = from; start + run.length <= gen.length && best.agree < run.length; start++) {
      let agree = 0;
      while (agree < run.length && gen[start + agree] === run[agree]) agree++;
      if (agree > best.agree) best = { start, agree };
    }
    if (best.agree === run.length) {
      from = best.start + run.length;
      docLine += run.length + 1;
      continue;
    }
    if (best.agree <= 0) return `docs/traces.md:${String(docLine)}: not in the ${q.key} output (any more): ${JSON.stringify(run[0])}`;
    const k = best.agree;
    return `docs/traces.md:${String(docLine + k)}: ${q.key} output now has ${JSON.stringify(gen[best.start + k])}, the doc ${JSON.stringify(run[k])}`;
  }
  return null;
}

/** The CLI in-process, run from `cwd` as the page's commands are run from a checkout. */
function cli(cwd: string, ...argv: string[]): { code: number; out: string } {
  let out = '';
  const code = main(argv, { out: (s) => (out += s), err: () => undefined, isTty: false }, cwd);
  return { code, out };
}

describe('docs/traces.md quotes what the tools print now', () => {
  const dir = mkdtempSync(join(tmpdir(), 'traces-doc-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  // the commands the page shows, run in-process from a scratch directory (so `out/…` is the page's path)
  const explored = cli(dir, 'explore', 'seed-487', '--variant', 'upstream', '--faults', 'interrupt', '--out', 'out');
  const json = 'out/seed-487.upstream.NoWedge.interrupt.trace.json';
  const generated: Record<Key, () => string> = {
    trace: () => readFileSync(join(dir, 'out', 'seed-487.upstream.NoWedge.interrupt.trace.txt'), 'utf8'),
    run: () => cli(dir, 'run', 'seed-487').out,
    replay: () => cli(dir, 'replay', json).out,
    show: () => cli(dir, 'show', json, '--format', 'markdown').out,
    repro: () => cli(dir, 'repro', json).out,
  };
  const found = quotes(readFileSync(doc, 'utf8'));

  it('explore finds the NoWedge trace the page reads', () => {
    expect(explored.code).toBe(1);
    expect(readFileSync(join(dir, 'out', 'seed-487.upstream.NoWedge.interrupt.trace.txt'), 'utf8')).toMatch(/^✗ Invariant NoWedge violated/);
  });

  it('quotes each of trace, run, replay, show and repro', () => {
    expect(found.map((q) => q.key).sort()).toEqual([...KEYS].sort());
  });

  it.each(KEYS)('the %s block matches a fresh generation (update the block from the command above it)', (key) => {
    for (const q of found.filter((x) => x.key === key)) expect(mismatch(q, generated[key]())).toBeNull();
  });

  it('the trace block is the whole trace', () => {
    const q = found.find((x) => x.key === 'trace');
    expect(q?.lines.join('\n')).toBe(generated.trace().replace(/\n$/, ''));
  });

  it('notices a stale quote', () => {
    const q = found.find((x) => x.key === 'run');
    if (!q) throw new Error('no run block');
    const stale = { ...q, lines: q.lines.map((l) => l.replace('EACCES', 'EPERM')) };
    expect(mismatch(stale, generated.run())).toMatch(/run output now has/);
    expect(mismatch({ ...q, lines: ['State 999: <nothing>'] }, generated.run())).toMatch(/not in the run output/);
  });
});
