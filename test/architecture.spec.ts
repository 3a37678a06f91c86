import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, rel)).isDirectory()) out.push(...tsFiles(rel));
    else if (name.endsWith('.ts')) out.push(rel);
  }
  return out;
}

function importsOf(file: string): string[] {
  const src = readFileSync(join(root, file), 'utf8');
  const specs: string[] = [];
  for (const m of src.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/gm)) specs.push(m[1] ?? '');
  for (const m of src.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) specs.push(m[1] ?? '');
  return specs;
}

/** Resolves a relative specifier to a repository path, so the layer it lands in can be checked. */
function target(file: string, spec: string): string {
  return spec.startsWith('.') ? relative(root, join(root, file, '..', spec)) : spec;
}

describe('architecture: imports point the way STYLE.md draws them', () => {
  it('model/fs imports nothing from model/nix or sim, and only store.ts imports memfs', () => {
    for (const f of tsFiles('model/fs')) {
      for (const s of importsOf(f)) {
        const t = target(f, s);
        expect(t.startsWith('model/nix') || t.startsWith('sim'), `${f} imports ${s}`).toBe(false);
        if (/^(memfs|@jsonjoy\.com\/)/.test(s)) expect(f, `${f} imports ${s}`).toBe('model/fs/store.ts');
      }
    }
  });

  it('model/hash imports nothing from the other model folders or sim: both fs and nix use it', () => {
    for (const f of tsFiles('model/hash')) {
      for (const s of importsOf(f)) {
        const t = target(f, s);
        expect(t.startsWith('model/') && !t.startsWith('model/hash/'), `${f} imports ${s}`).toBe(false);
        expect(t.startsWith('sim'), `${f} imports ${s}`).toBe(false);
      }
    }
  });

  it('model/nix imports model/fs only through its index', () => {
    for (const f of tsFiles('model/nix')) {
      for (const s of importsOf(f)) {
        const t = target(f, s);
        expect(t.startsWith('sim'), `${f} imports ${s}`).toBe(false);
        if (t.startsWith('model/fs')) expect(t, `${f} imports ${s}`).toBe('model/fs/index.js');
        expect(/^(memfs|@jsonjoy\.com\/)/.test(s), `${f} imports ${s}`).toBe(false);
      }
    }
  });

  it('nothing under model/ touches node:*, process, console, the clock or Math.random', () => {
    for (const f of tsFiles('model')) {
      const src = readFileSync(join(root, f), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
      for (const s of importsOf(f)) expect(s.startsWith('node:'), `${f} imports ${s}`).toBe(false);
      for (const bad of [/\bprocess\./, /\bconsole\./, /\bDate\b/, /Math\.random/]) {
        expect(bad.test(src), `${f} uses ${String(bad)}`).toBe(false);
      }
    }
  });

  it('sim imports the model only through model/*/index.js', () => {
    for (const f of tsFiles('sim')) {
      for (const s of importsOf(f)) {
        const t = target(f, s);
        if (t.startsWith('model/')) expect(/^model\/[a-z]+\/index\.js$/.test(t), `${f} imports ${s}`).toBe(true);
      }
    }
  });
});
