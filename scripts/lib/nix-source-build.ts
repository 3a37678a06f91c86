/**
 * Nix 2.34.8 built from a NixOS/nix git checkout with upstream's meson build, inside the sid root
 * of the 2.34.8 oracle (scripts/lib/sid-root.ts), once unpatched and then with
 * patches/backport-2.34/ applied on top of the same build tree, so that every daemon comes from
 * the same tree and toolchain and only the translation units a patch touches are compiled again.
 *
 * Layout (host paths; the build dir is bound at {@link INSIDE} in every session, so the absolute
 * paths meson writes stay valid):
 *   /var/cache/nix-outpath-lab/build-2.34.8/KEY     the build key (tree + recipe); another key wipes the dir
 *   .../build-2.34.8/src/                           `git archive 2.34.8`, a git repo of its own (to reset and re-apply)
 *   .../build-2.34.8/build-clang/                   meson's build dir
 *   .../build-2.34.8/logs/<stage>.log               ninja's output, one per stage build
 *   <root>/nol/nix-builds/<stage>-<key>/            a stage's binaries and libraries, copied out of the build
 *                                                   dir with their relative layout ($ORIGIN RUNPATHs), plus bin/
 *
 * Stages, in order: `unpatched` (2.34.8 with only the series' tests added), `series-without-0005`
 * (the series without the store-temp-dir backport, for the `<scratch>.tmp` wedge), `recommended`
 * (the whole series). Each is cached by a key over the build key and every patch of the series:
 * a stage whose snapshot exists is not built again.
 *
 * The test files of every patch (tests/, doc/) are in the tree at every stage: they compile
 * nothing, and the unpatched build must run the new tests too (they must fail there).
 */
import { createHash } from 'node:crypto';
import { closeSync, cpSync, existsSync, lstatSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { run, type Log } from './real-daemon.js';
import { acquireRootDaemonLock, CACHE_DIR, NIX_VERSION, openRootSession, type RootSession } from './sid-root.js';

/** The tag the model is pinned to, and the commit it must name in any checkout. */
export const NIX_TAG = NIX_VERSION;
export const NIX_TAG_COMMIT = 'f3f1c3c5b8ad91850e0f7c590cf177f7ab022024';
/** NOL_NIX_BUILD_CACHE points elsewhere, e.g. to try a stage checkout on a copy. */
export const BUILD_CACHE = process.env['NOL_NIX_BUILD_CACHE'] ?? path.join(CACHE_DIR, `build-${NIX_VERSION}`);
/** Where the build cache appears inside the root. */
export const INSIDE = '/nol-build';
/** meson's build dir, under the build cache (named for the compiler). */
export const BUILD_DIR = 'build-clang';
/** The compilers meson is set up with. */
const COMPILER_ENV = { CC: 'clang', CXX: 'clang++' };
/** Where stage snapshots live, as seen inside the root. */
export const SNAPSHOTS_INSIDE = '/nol/nix-builds';

/**
 * meson options: what the daemon, the CLI and the functional tests need, nothing else. -O0 without
 * debug info because only behaviour is compared and compile time is what limits us. As Debian's
 * nix-bin: readline, not editline (the only flavour its build dependencies carry), and
 * bash-static as the sandbox's /bin/sh (Debian's daemon has `sandbox-paths = /bin/sh=/usr/bin/bash-static`).
 */
export const MESON_OPTIONS: readonly string[] = [
  '-Dunit-tests=false',
  '-Dbindings=false',
  '-Djson-schema-checks=false',
  '-Ddoc-gen=false',
  '-Dbuildtype=debug',
  '-Ddebug=false',
  '-Dlocalstatedir=/nix/var',
  '-Dsysconfdir=/etc',
  '-Dprefix=/usr',
  '-Dlibcmd:readline-flavor=readline',
  '-Dlibstore:sandbox-shell=/usr/bin/bash-static',
];

/**
 * Extra packages in the root: strace for ca/gc-during-registration.sh (it skips without), and
 * clang, because upstream's meson build precompiles headers only with clang
 * (nix-meson-build-support/common: `do_pch = cxx.get_id() == 'clang'`, with
 * `-fpch-instantiate-templates`): on the same 2 shared, busy cores a ninja step took about 6.6 s
 * with clang against about 19 s with Debian's g++ (no precompiled headers), about 3 times faster.
 */
const EXTRA_PACKAGES = ['strace', 'clang'];

/** The binaries a stage's bin/ offers: all are `nix`, which dispatches on argv[0]. */
const NIX_NAMES = ['nix', 'nix-daemon', 'nix-store', 'nix-build', 'nix-env', 'nix-instantiate', 'nix-shell', 'nix-collect-garbage', 'nix-channel', 'nix-hash', 'nix-prefetch-url', 'nix-copy-closure'];

export class BuildInputError extends Error {}

const sha256 = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

export interface NixSource {
  readonly gitDir: string;
  readonly commit: string;
  readonly tree: string;
}

/** DIR is a clone (work tree or bare) or a git dir holding tag 2.34.8 at {@link NIX_TAG_COMMIT}. */
export function resolveNixSource(dir: string): NixSource {
  if (!existsSync(dir)) throw new BuildInputError(`--nix-src ${dir} does not exist`);
  const gd = run('git', ['-C', dir, 'rev-parse', '--absolute-git-dir'], { timeoutSec: 30 });
  if (gd.status !== 0) throw new BuildInputError(`--nix-src ${dir} is not a git checkout or git dir: ${gd.stderr.trim()}`);
  const gitDir = gd.stdout.trim();
  const rev = (spec: string): string | undefined => {
    const r = run('git', ['--git-dir', gitDir, 'rev-parse', '--verify', '--quiet', spec], { timeoutSec: 30 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  const commit = rev(`refs/tags/${NIX_TAG}^{commit}`);
  if (commit === undefined) throw new BuildInputError(`--nix-src ${dir} has no tag ${NIX_TAG} (fetch NixOS/nix's tags)`);
  if (commit !== NIX_TAG_COMMIT) throw new BuildInputError(`--nix-src ${dir}: tag ${NIX_TAG} is ${commit}, not NixOS/nix's ${NIX_TAG_COMMIT}`);
  const tree = rev(`${commit}^{tree}`) ?? '';
  return { gitDir, commit, tree };
}

export interface SeriesPatch {
  readonly file: string;
  readonly host: string;
  readonly text: string;
}

/** The patches of a set, in `series` order. */
export function readSeriesPatches(dir: string): SeriesPatch[] {
  const seriesFile = path.join(dir, 'series');
  if (!existsSync(seriesFile)) throw new BuildInputError(`${dir} has no series file`);
  return readFileSync(seriesFile, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l !== '')
    .map((file) => {
      const host = path.resolve(dir, file);
      if (!existsSync(host)) throw new BuildInputError(`${seriesFile} lists ${file}, which does not exist`);
      return { file, host, text: readFileSync(host, 'utf8') };
    });
}

export interface Stage {
  /** `unpatched`, `series-without-0005`, `recommended`. */
  readonly name: string;
  /** Patches whose source hunks are applied (test hunks of every patch always are). */
  readonly applied: readonly SeriesPatch[];
  /** The model variant whose predictions this daemon is held to. */
  readonly variant: string;
}

/**
 * The stages for a series: unpatched, the series without the patch named `withoutSlug` (if it is
 * in the series), and the whole series.
 */
export function stagesFor(series: readonly SeriesPatch[], withoutSlug: string, variants: { upstream: string; without: string; all: string }): Stage[] {
  const left = series.filter((p) => p.file.replace(/^\d{4}-/, '').replace(/\.patch$/, '') === withoutSlug);
  const stages: Stage[] = [{ name: 'unpatched', applied: [], variant: variants.upstream }];
  if (left.length === 1) {
    const n = left[0]?.file.slice(0, 4) ?? '';
    stages.push({ name: `series-without-${n}`, applied: series.filter((p) => !left.includes(p)), variant: variants.without });
  }
  stages.push({ name: 'recommended', applied: series, variant: variants.all });
  return stages;
}

export interface StageBuild {
  readonly stage: Stage;
  readonly key: string;
  /** The snapshot's bin dir as seen inside the root (for validate-real's --daemon-bin). */
  readonly binInside: string;
  /** Wall seconds and steps of the ninja run that made the snapshot (an earlier run's, when cached). */
  readonly seconds: number;
  readonly steps: number;
  readonly cached: boolean;
}

/** The build session: the root with the build cache bound at {@link INSIDE}. */
export interface Builder {
  readonly session: RootSession;
  readonly buildKey: string;
  /** Builds (or finds cached) one stage; the build dir is left at that stage, so tests can run there. */
  buildStage(stage: Stage, all: readonly SeriesPatch[], opts: { jobs: number; nice: number }): Promise<StageBuild>;
  close(): Promise<void>;
}

const GIT_ID = ['-c', 'user.name=nix-outpath-lab', '-c', 'user.email=nix-outpath-lab@localhost', '-c', 'commit.gpgsign=false'];

function must(r: { status: number | null; stdout: string; stderr: string; timedOut: boolean }, what: string): string {
  if (r.timedOut) throw new Error(`${what}: timed out`);
  if (r.status !== 0) throw new Error(`${what}: exit ${String(r.status)}: ${(r.stderr || r.stdout).trim().split('\n').slice(-6).join(' / ')}`);
  return r.stdout;
}

/**
 * Build dependencies in the root: a deb-src line for sid (only its Sources index is fetched, so
 * the binary lists the root was made with stay as they are), `apt-get build-dep nix`, and strace.
 * Holds the root daemon lock while dpkg runs, so no oracle run sees packages change under it.
 * A marker in the root makes later runs skip it.
 */
export async function ensureBuildDeps(rootPath: string, log: Log): Promise<void> {
  const marker = path.join(rootPath, 'var/lib/nix-outpath-lab/build-deps');
  const want = `build-dep nix; ${EXTRA_PACKAGES.join(' ')}\n`;
  if (existsSync(marker) && readFileSync(marker, 'utf8') === want) return;
  const list = 'sources.list.d/nix-outpath-lab-src.list';
  writeFileSync(path.join(rootPath, 'etc/apt', list), 'deb-src http://deb.debian.org/debian sid main\n');
  const lock = await acquireRootDaemonLock(3600, log);
  const s = await openRootSession(rootPath, log);
  try {
    log('sid root: apt-get update of the deb-src list only, then apt-get build-dep nix (about 190 packages, once)');
    must(s.run(['apt-get', 'update', '-o', `Dir::Etc::sourcelist=${list}`, '-o', 'Dir::Etc::sourceparts=-', '-o', 'APT::Get::List-Cleanup=0'], { timeoutSec: 1800 }), 'apt-get update (deb-src)');
    must(s.run(['apt-get', 'build-dep', '-y', 'nix'], { timeoutSec: 3600 }), 'apt-get build-dep nix (in the sid root)');
    must(s.run(['apt-get', 'install', '-y', ...EXTRA_PACKAGES], { timeoutSec: 1800 }), `apt-get install ${EXTRA_PACKAGES.join(' ')}`);
    const v = must(s.run(['nix', '--version'], { timeoutSec: 30 }), 'nix --version').trim();
    if (v !== `nix (Nix) ${NIX_VERSION}`) throw new Error(`installing the build dependencies changed the root's nix to '${v}'`);
  } finally {
    await s.close();
    await lock.release();
  }
  mkdirSync(path.dirname(marker), { recursive: true });
  writeFileSync(marker, want);
}

/** The recipe part of the build key: meson options and the toolchain as the root has it. */
function recipe(s: RootSession): string {
  const tool = (argv: string[]): string => must(s.run(argv, { timeoutSec: 30 }), argv.join(' ')).split('\n')[0]?.trim() ?? '';
  return [...MESON_OPTIONS, tool(['clang++', '--version']), tool(['meson', '--version']), tool(['ninja', '--version'])].join('\n');
}

/** Patch text restricted to its test and doc hunks (`tests`) or to the others. */
const TEST_GLOBS = ['tests/*', 'doc/*'];
const applyArgs = (tests: boolean): string[] => TEST_GLOBS.flatMap((g) => [tests ? '--include' : '--exclude', g]);

/** The build key: the source tree and the recipe. */
export const buildKeyFor = (s: RootSession, tree: string): string => sha256(`tree ${tree}\n${recipe(s)}\n`).slice(0, 16);

/** Opens the build session and makes sure the build dir is configured for `src`'s tree. */
export async function openBuilder(rootPath: string, src: NixSource, log: Log): Promise<Builder> {
  mkdirSync(BUILD_CACHE, { recursive: true });
  mkdirSync(path.join(rootPath, SNAPSHOTS_INSIDE.slice(1)), { recursive: true });
  const s = await openRootSession(rootPath, log, [{ host: BUILD_CACHE, inside: INSIDE }]);
  try {
    const buildKey = buildKeyFor(s, src.tree);
    const keyFile = path.join(BUILD_CACHE, 'KEY');
    const have = existsSync(keyFile) ? readFileSync(keyFile, 'utf8').trim() : '';
    const srcHost = path.join(BUILD_CACHE, 'src');
    if (have !== buildKey || !existsSync(path.join(BUILD_CACHE, BUILD_DIR, 'build.ninja'))) {
      log(`build dir ${BUILD_CACHE}: key ${have || '(none)'} is not ${buildKey}: exporting ${NIX_TAG} and configuring from scratch`);
      for (const d of ['src', BUILD_DIR, 'logs']) rmSync(path.join(BUILD_CACHE, d), { recursive: true, force: true });
      rmSync(keyFile, { force: true });
      mkdirSync(srcHost, { recursive: true });
      mkdirSync(path.join(BUILD_CACHE, 'logs'), { recursive: true });
      const archive = run('sh', ['-c', 'git --git-dir="$1" archive "$2" | tar -x -C "$3"', 'archive', src.gitDir, src.commit, srcHost], { timeoutSec: 600 });
      must(archive, `git archive ${NIX_TAG}`);
      // A repo of its own, so each stage starts from the pristine tree (git checkout) and re-applies.
      must(run('git', ['-C', srcHost, 'init', '-q'], { timeoutSec: 60 }), 'git init');
      must(run('git', ['-C', srcHost, ...GIT_ID, 'add', '-A'], { timeoutSec: 300 }), 'git add');
      must(run('git', ['-C', srcHost, ...GIT_ID, 'commit', '-q', '-m', `NixOS/nix ${NIX_TAG} (${src.commit})`], { timeoutSec: 300 }), 'git commit');
      log(`meson setup ${MESON_OPTIONS.join(' ')}`);
      must(s.run(['meson', 'setup', `${INSIDE}/${BUILD_DIR}`, `${INSIDE}/src`, ...MESON_OPTIONS], { timeoutSec: 1800, cwd: INSIDE, env: COMPILER_ENV }), 'meson setup');
      writeFileSync(keyFile, `${buildKey}\n`);
    }
    return {
      session: s,
      buildKey,
      buildStage: (stage, all, opts) => buildStage(s, buildKey, rootPath, stage, all, opts, log),
      close: () => s.close(),
    };
  } catch (e) {
    await s.close();
    throw e;
  }
}

export const stageKey = (buildKey: string, stage: Stage, all: readonly SeriesPatch[]): string =>
  sha256([buildKey, stage.name, ...all.map((p) => `${p.file} ${sha256(p.text)} ${stage.applied.includes(p) ? 'applied' : 'tests'}`)].join('\n')).slice(0, 16);

/** Every path a patch of the series touches. */
const touchedBy = (all: readonly SeriesPatch[]): string[] => [...new Set(all.flatMap((p) => [...p.text.matchAll(/^diff --git a\/(\S+) b\//gm)].map((m) => m[1] ?? '')))].sort();

/**
 * Puts the source tree at `stage`: pristine 2.34.8, every patch's tests, the stage's source
 * hunks. The stage is made in a scratch worktree and only files whose content differs are
 * written, so that ninja recompiles what changed and nothing else (a rewritten meson.build
 * would make it run meson again).
 */
export function checkoutStage(stage: Stage, all: readonly SeriesPatch[], log: Log): void {
  const srcHost = path.join(BUILD_CACHE, 'src');
  const scratch = path.join(BUILD_CACHE, 'stage-worktree');
  run('git', ['-C', srcHost, 'worktree', 'remove', '--force', scratch], { timeoutSec: 120 });
  rmSync(scratch, { recursive: true, force: true });
  must(run('git', ['-C', srcHost, 'worktree', 'prune'], { timeoutSec: 60 }), 'git worktree prune');
  must(run('git', ['-C', srcHost, 'worktree', 'add', '--detach', '-q', scratch, 'HEAD'], { timeoutSec: 300 }), 'git worktree add');
  try {
    for (const p of all) must(run('git', ['-C', scratch, 'apply', ...applyArgs(true), p.host], { timeoutSec: 60 }), `git apply (tests of) ${p.file}`);
    for (const p of stage.applied) must(run('git', ['-C', scratch, 'apply', ...applyArgs(false), p.host], { timeoutSec: 60 }), `git apply ${p.file}`);
    const changed: string[] = [];
    for (const rel of touchedBy(all)) {
      const want = path.join(scratch, rel);
      const have = path.join(srcHost, rel);
      if (!existsSync(want)) {
        if (existsSync(have)) {
          rmSync(have);
          changed.push(`-${rel}`);
        }
        continue;
      }
      const w = readFileSync(want);
      if (existsSync(have) && readFileSync(have).equals(w)) continue;
      mkdirSync(path.dirname(have), { recursive: true });
      cpSync(want, have); // keeps the mode (test scripts are executable)
      changed.push(rel);
    }
    log(`${stage.name}: source tree ${changed.length === 0 ? 'already at this stage' : `changed: ${changed.join(', ')}`}`);
  } finally {
    run('git', ['-C', srcHost, 'worktree', 'remove', '--force', scratch], { timeoutSec: 120 });
  }
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** The last `[done/total ...]` status line of a ninja log. */
function ninjaProgress(logFile: string): { done: number; total: number } | undefined {
  if (!existsSync(logFile)) return undefined;
  const text = readFileSync(logFile, 'utf8');
  const all = [...text.matchAll(/^\[(\d+)\/(\d+)[^\]]*\]/gm)];
  const m = all.at(-1);
  return m ? { done: Number(m[1]), total: Number(m[2]) } : undefined;
}

/** ninja in the build dir, its output to `logFile`, a progress line every 30 s. */
async function ninja(s: RootSession, targets: readonly string[], logFile: string, opts: { jobs: number; nice: number }, log: Log): Promise<{ seconds: number; steps: number }> {
  const t0 = Date.now();
  const fd = openSync(logFile, 'a');
  let exit: Promise<number>;
  try {
    const p = await s.spawn(['nice', '-n', String(opts.nice), 'ninja', '-C', `${INSIDE}/${BUILD_DIR}`, `-j${String(opts.jobs)}`, ...targets], {
      env: { NINJA_STATUS: '[%f/%t %es] ' },
      stdio: ['ignore', fd, fd],
    });
    exit = p.exit;
  } finally {
    closeSync(fd);
  }
  let code: number | undefined;
  void exit.then((c) => (code = c));
  let last = Date.now();
  while (code === undefined) {
    await sleep(1000);
    if (Date.now() - last >= 30_000) {
      last = Date.now();
      const p = ninjaProgress(logFile);
      log(`ninja: ${p ? `${String(p.done)}/${String(p.total)}` : 'starting'} after ${((Date.now() - t0) / 1000).toFixed(0)} s (log ${logFile})`);
    }
  }
  const seconds = (Date.now() - t0) / 1000;
  if (code !== 0) {
    const tail = readFileSync(logFile, 'utf8').split('\n').filter((l) => /error|FAILED/.test(l)).slice(0, 8).join('\n');
    throw new Error(`ninja exited ${String(code)} after ${seconds.toFixed(0)} s; see ${logFile}:\n${tail}`);
  }
  return { seconds, steps: ninjaProgress(logFile)?.done ?? 0 };
}

/** What the daemon, the CLI and the functional tests use: `nix` and its argv[0] symlinks (the tests' bindir). */
export const NINJA_TARGETS = ['src/nix/nix', ...NIX_NAMES.filter((n) => n !== 'nix').map((n) => `src/nix/${n}`)];

async function buildStage(s: RootSession, buildKey: string, rootPath: string, stage: Stage, all: readonly SeriesPatch[], opts: { jobs: number; nice: number }, log: Log): Promise<StageBuild> {
  const key = stageKey(buildKey, stage, all);
  const snapInside = `${SNAPSHOTS_INSIDE}/${stage.name}-${key}`;
  const snapHost = path.join(rootPath, snapInside.slice(1));
  const binInside = `${snapInside}/bin`;
  checkoutStage(stage, all, log);
  const logFile = path.join(BUILD_CACHE, 'logs', `${stage.name}.log`);
  if (existsSync(path.join(snapHost, 'ok'))) {
    // Bring the build dir to this stage too (the tests run there); usually a few TUs, or nothing.
    const r = await ninja(s, NINJA_TARGETS, logFile, opts, log);
    const meta = JSON.parse(readFileSync(path.join(snapHost, 'build.json'), 'utf8')) as { seconds: number; steps: number };
    log(`${stage.name}: cached snapshot ${snapInside} (built in ${meta.seconds.toFixed(0)} s, ${String(meta.steps)} steps; build dir brought back in ${r.seconds.toFixed(0)} s)`);
    return { stage, key, binInside, seconds: meta.seconds, steps: meta.steps, cached: true };
  }
  log(`${stage.name}: building (${stage.applied.length === 0 ? 'no source patches' : stage.applied.map((p) => p.file.slice(0, 4)).join(' ')}; log ${logFile})`);
  writeFileSync(logFile, '');
  const r = await ninja(s, NINJA_TARGETS, logFile, opts, log);
  log(`${stage.name}: ninja done in ${r.seconds.toFixed(0)} s, ${String(r.steps)} steps`);
  snapshot(path.join(BUILD_CACHE, BUILD_DIR), snapHost);
  writeFileSync(path.join(snapHost, 'build.json'), JSON.stringify({ stage: stage.name, key, buildKey, patches: stage.applied.map((p) => p.file), seconds: r.seconds, steps: r.steps, date: new Date().toISOString() }, null, 2) + '\n');
  writeFileSync(path.join(snapHost, 'ok'), '');
  const v = must(s.run([`${binInside}/nix-daemon`, '--version'], { timeoutSec: 30 }), `${binInside}/nix-daemon --version`).trim();
  if (v !== `nix-daemon (Nix) ${NIX_VERSION}`) throw new Error(`${binInside}/nix-daemon --version says '${v}'`);
  return { stage, key, binInside, seconds: r.seconds, steps: r.steps, cached: false };
}

/** Copies the nix binary and the in-tree shared libraries with their relative layout, and makes bin/. */
function snapshot(buildDir: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(to, { recursive: true });
  const srcDir = path.join(buildDir, 'src');
  for (const sub of readdirSync(srcDir)) {
    const d = path.join(srcDir, sub);
    if (!sub.startsWith('lib') || !existsSync(d)) continue;
    for (const f of readdirSync(d)) {
      // libnixstore.so, its versioned names (symlinks) and the library itself; not the `.p` object dirs
      if (/\.so(\.[\d.]+)?$/.test(f) && !lstatSync(path.join(d, f)).isDirectory()) cpSync(path.join(d, f), path.join(to, 'src', sub, f), { verbatimSymlinks: true });
    }
  }
  cpSync(path.join(srcDir, 'nix/nix'), path.join(to, 'src/nix/nix'));
  mkdirSync(path.join(to, 'bin'));
  for (const n of NIX_NAMES) symlinkSync('../src/nix/nix', path.join(to, 'bin', n));
}
