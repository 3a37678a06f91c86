/**
 * Citations hold together without a Nix checkout: every SRC key has a structured citation, and
 * every `l.N` the repository writes (SRC strings, model comments, docs/model.md, docs/README.md,
 * README.md) is a line of one, in the file it names. Whether those lines are right is
 * `npm run check:citations`' job (it needs NixOS/nix).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CITATIONS, NOTE_CITATIONS, SRC, type Citation } from '../../model/nix/index.js';

const root = join(import.meta.dirname, '..', '..');

/** A cited line: `l.N` or `l.N-M` (hyphen or en dash), and the file named before it. */
interface Mention {
  readonly where: string;
  readonly file: string | null;
  readonly from: number;
  readonly to: number | null;
}

const LINE = /\bl\.(\d+)(?:[-–](\d+))?/g;
const FILE = /[\w.-]+\.(?:cc|hh)\b/g;

function lastFile(text: string): string | null {
  const all = [...text.matchAll(FILE)];
  return all.length === 0 ? null : (all[all.length - 1]?.[0] ?? null);
}

/**
 * Every l.N in `text`, each with the nearest file name before it: on its own line, else on the
 * lines before it that `sameBlock` accepts (a paragraph, a comment).
 */
function mentions(text: string, name: string, sameBlock: (line: string) => boolean): Mention[] {
  const lines = text.split('\n');
  const out: Mention[] = [];
  for (const [i, line] of lines.entries()) {
    for (const m of line.matchAll(LINE)) {
      let file = lastFile(line.slice(0, m.index));
      for (let j = i - 1; file === null && j >= 0 && sameBlock(lines[j] ?? '') && sameBlock(line); j--) file = lastFile(lines[j] ?? '');
      out.push({ where: `${name}:${String(i + 1)} ${m[0]}`, file, from: Number(m[1]), to: m[2] === undefined ? null : Number(m[2]) });
    }
  }
  return out;
}

const isComment = (l: string): boolean => /^\s*(\/\/|\/\*|\*)/.test(l);
const inParagraph = (l: string): boolean => l.trim() !== '';

function tsFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((n) => {
    const rel = join(dir, n);
    return statSync(join(root, rel)).isDirectory() ? tsFiles(rel) : n.endsWith('.ts') ? [rel] : [];
  });
}

function citesOf(key: string): readonly Citation[] {
  const c = (CITATIONS as Record<string, readonly Citation[] | { none: string } | undefined>)[key];
  return c === undefined || 'none' in c ? [] : c;
}

const ALL: readonly Citation[] = [...Object.keys(SRC).flatMap(citesOf), ...Object.values(NOTE_CITATIONS).flat()];

/** Whether the mention is a cited line (or a range from one cited line to another) of the file. */
function isCited(m: Mention, cites: readonly Citation[]): boolean {
  const inFile = cites.filter((c) => m.file !== null && basename(c.file) === m.file);
  const lines = new Set(inFile.flatMap((c) => (c.to ? [c.line, c.to.line] : [c.line])));
  return lines.has(m.from) && (m.to === null || lines.has(m.to));
}

describe('every SRC key has a structured citation', () => {
  it.each(Object.keys(SRC))('SRC.%s', (key) => {
    const c = (CITATIONS as Record<string, unknown>)[key];
    expect(c, `add CITATIONS.${key} in model/nix/citations.ts`).toBeDefined();
    if (c !== undefined && !Array.isArray(c)) expect((c as { none: string }).none.length).toBeGreaterThan(0);
    if (Array.isArray(c)) expect(c.length).toBeGreaterThan(0);
  });
});

describe("each SRC string's l.N is a line of its own key's citation", () => {
  it.each(Object.entries(SRC))('SRC.%s', (key, text) => {
    const bad = mentions(text, `SRC.${key}`, () => false).filter((m) => !isCited(m, citesOf(key)));
    expect(bad.map((m) => `${m.where} (file: ${m.file ?? 'none named before it'})`)).toEqual([]);
  });

  it('a step citing no upstream code names no line', () => {
    for (const [key, c] of Object.entries(CITATIONS)) {
      if (!Array.isArray(c)) expect(mentions(SRC[key as keyof typeof SRC], key, () => false)).toEqual([]);
    }
  });
});

describe('every l.N in model comments and the docs is a cited line of the file named before it', () => {
  const sources: [string, (l: string) => boolean][] = [
    ...tsFiles('model').filter((f) => !f.endsWith('sources.ts') && !f.endsWith('citations.ts')).map((f): [string, (l: string) => boolean] => [f, isComment]),
    ['docs/model.md', inParagraph],
    ['docs/README.md', inParagraph],
    ['README.md', inParagraph],
  ];
  it.each(sources)('%s', (file, sameBlock) => {
    const text = readFileSync(join(root, file), 'utf8');
    const bad = mentions(text, relative(root, join(root, file)), sameBlock).filter((m) => !isCited(m, ALL));
    expect(bad.map((m) => `${m.where} (file: ${m.file ?? 'none named before it'})`)).toEqual([]);
  });

  it('finds the mentions it checks (the scan is not vacuous)', () => {
    const text = readFileSync(join(root, 'docs/model.md'), 'utf8');
    const found = mentions(text, 'docs/model.md', inParagraph);
    expect(found.length).toBeGreaterThan(30);
    expect(found.every((m) => m.file !== null)).toBe(true);
  });

  it('flags a line no citation holds, and one attributed to the wrong file', () => {
    const wrongLine = mentions('`derivation-building-goal.cc` constructor (l.36)', 't', inParagraph);
    const wrongFile = mentions('`gc.cc` (l.43)', 't', inParagraph);
    const right = mentions('`derivation-building-goal.cc` constructor (l.43)', 't', inParagraph);
    expect(wrongLine.map((m) => isCited(m, ALL))).toEqual([false]);
    expect(wrongFile.map((m) => isCited(m, ALL))).toEqual([false]);
    expect(right.map((m) => isCited(m, ALL))).toEqual([true]);
  });
});

describe('the structured citations are well formed', () => {
  it.each(Object.entries({ ...Object.fromEntries(Object.keys(SRC).map((k) => [`SRC.${k}`, citesOf(k)])), ...NOTE_CITATIONS }))('%s', (_key, cites) => {
    for (const c of cites) {
      expect(c.file).toMatch(/^[\w./-]+\.(cc|hh)$/);
      expect(c.file.startsWith('src/')).toBe(false);
      expect(c.quote.trim()).not.toBe('');
      if (c.to) expect(c.to.line).toBeGreaterThan(c.line);
    }
  });
});
