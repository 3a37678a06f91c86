/**
 * `npm run mutate [-- fs nix verify hash]`: StrykerJS over model/fs, model/nix, model/verify and model/hash, one
 * folder at a time (each with its own incremental file, so a folder's unchanged mutants are not run
 * again), killed only by the behaviour tests of vitest.mutate.config.ts. Writes the score per folder,
 * with date, commit, time and machine load, to docs/mutation.md (data kept in docs/mutation.json).
 *
 * `npm run mutate -- --render` re-renders docs/mutation.md from docs/mutation.json.
 * `npm run mutate -- --slice model/fs/permission.ts [--tests 'test/fs/*.spec.ts'] [--record]` mutates
 * one file, killed by the given tests only, and prints `N killed, N survived` (CI's slice runs that);
 * with --record its score joins docs/mutation.md's table of files measured on their own.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Stryker } from '@stryker-mutator/core';
import type { MutantResult, PartialStrykerOptions } from '@stryker-mutator/api/core';
import { renderMutationDoc, summarise, type FolderScore, type MutationData } from './lib/mutation-report.js';

const ROOT = join(import.meta.dirname, '..');
const FOLDERS = ['fs', 'nix', 'verify', 'hash'] as const;
type Folder = (typeof FOLDERS)[number];

/**
 * Each folder's own specs make its kill set. Wider sets kill more (a model/nix exploration runs the
 * kernel too) but every surviving mutant then runs every slow exploration: on 2 cores that turned a
 * folder's hours into a day. A survivor here is thus a mutant the folder's own tests miss.
 */
const TESTS: Readonly<Record<Folder, string[]>> = {
  fs: ['test/fs/**/*.spec.ts'],
  nix: ['test/nix/**/*.spec.ts'],
  verify: ['test/verify/**/*.spec.ts', 'test/prop/**/*.spec.ts'],
  hash: ['test/hash/**/*.spec.ts'],
};

/** Not mutated: re-export barrels, and the citation tables (upstream data the citation checker holds to NixOS/nix). */
const NOT_MUTATED = ['!model/*/index.ts', '!model/nix/citations.ts', '!model/nix/sources.ts'];

function options(mutate: string[], incrementalFile: string, testFiles?: string[], tempDirName = '.stryker-tmp'): PartialStrykerOptions {
  return {
    ...(testFiles ? { testFiles } : {}),
    testRunner: 'vitest',
    vitest: { configFile: 'vitest.mutate.config.ts', related: true },
    coverageAnalysis: 'perTest',
    mutate,
    incremental: true,
    incrementalFile,
    reporters: ['progress', 'clear-text'],
    clearTextReporter: { reportTests: false, reportMutants: false, reportScoreTable: true },
    concurrency: Number(process.env['MUTATE_CONCURRENCY'] ?? Math.max(1, cpus().length)),
    // a loaded 2-core machine runs a test several times slower than an idle one: a timeout must mean a loop
    timeoutMS: 30_000,
    timeoutFactor: 3,
    dryRunTimeoutMinutes: 90,
    tempDirName,
    cleanTempDir: 'always',
  };
}

function commit(): string {
  const head = execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--', 'model', 'test'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
  return dirty ? `${head}+uncommitted` : head;
}

async function run(mutate: string[], incrementalFile: string, testFiles?: string[], tempDir?: string): Promise<{ results: MutantResult[]; seconds: number; load: number[] }> {
  const load = loadavg();
  const start = performance.now();
  const results = await new Stryker(options(mutate, incrementalFile, testFiles, tempDir)).runMutationTest();
  return { results, seconds: Math.round((performance.now() - start) / 1000), load: load.map((l) => Math.round(l * 10) / 10) };
}

async function slice(file: string, tests: string | undefined, record: boolean): Promise<number> {
  // an incremental file per slice: with one shared file, a slice of lanes.ts counted permission.ts's
  // 193 mutants from the slice before it in its totals (229 killed of 40 mutants)
  const incremental = join('reports', 'mutation', `slice-${file.replace(/[^A-Za-z0-9.]+/g, '_')}.json`);
  const at = commit();
  const { results, seconds, load } = await run([file], incremental, tests === undefined ? undefined : [tests]);
  const s = summarise(results);
  if (record) {
    const data = readData();
    data.slices = { ...data.slices, [file]: { date: new Date().toISOString().slice(0, 10), commit: at, seconds, load, cores: cpus().length, ...(tests === undefined ? {} : { tests }), ...s } };
    writeData(data);
  }
  for (const m of results.filter((r) => r.status === 'Survived' || r.status === 'NoCoverage')) {
    console.log(`survived: ${m.fileName}:${String(m.location.start.line)} ${m.mutatorName} -> ${m.replacement ?? ''}`);
  }
  console.log(`mutation slice ${file}: ${String(seconds)} s`);
  console.log(`${String(s.killed)} killed, ${String(s.survived + s.noCoverage)} survived`);
  return s.survived + s.noCoverage === 0 ? 0 : 1;
}

const DATA_FILE = join(ROOT, 'docs', 'mutation.json');

function readData(): MutationData {
  return existsSync(DATA_FILE) ? (JSON.parse(readFileSync(DATA_FILE, 'utf8')) as MutationData) : { folders: {} };
}

function writeData(data: MutationData): void {
  writeFileSync(DATA_FILE, JSON.stringify(data, null, 2) + '\n');
  writeFileSync(join(ROOT, 'docs', 'mutation.md'), renderMutationDoc(data));
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--render') {
    // re-render docs/mutation.md from docs/mutation.json (after a change to the page's text)
    writeFileSync(join(ROOT, 'docs', 'mutation.md'), renderMutationDoc(readData()));
    return 0;
  }
  const at = argv.indexOf('--slice');
  if (at >= 0) {
    const file = argv[at + 1];
    if (!file || !existsSync(join(ROOT, file))) {
      console.error(`mutate: --slice needs an existing file, got '${file ?? ''}'`);
      return 2;
    }
    const t = argv.indexOf('--tests');
    return slice(file, t >= 0 ? argv[t + 1] : undefined, argv.includes('--record'));
  }
  const unknown = argv.filter((a) => !(FOLDERS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(`mutate: unknown folder '${unknown[0] ?? ''}' (one of ${FOLDERS.join(', ')})`);
    return 2;
  }
  const folders = argv.length > 0 ? (argv as Folder[]) : [...FOLDERS];
  for (const folder of folders) {
    const at = commit(); // the code the run mutates is the code at its start
    // a temp dir per folder, so runs of different folders can go on side by side
    const { results, seconds, load } = await run([`model/${folder}/**/*.ts`, ...NOT_MUTATED], join('reports', 'mutation', `${folder}.json`), TESTS[folder], `.stryker-tmp-${folder}`);
    // read now, not at the start: another folder's run may have written its score meanwhile
    const data = readData();
    const score: FolderScore = { date: new Date().toISOString().slice(0, 10), commit: at, seconds, load, cores: cpus().length, ...summarise(results) };
    data.folders[folder] = score;
    writeData(data);
    console.log(`model/${folder}: ${score.score.toFixed(1)}% killed (${String(score.killed)}/${String(score.total)}), ${String(seconds)} s`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
