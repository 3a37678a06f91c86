/**
 * `npm run validate:patched -- --nix-src DIR`: the series in patches/backport-2.34/ built into a
 * real Nix 2.34.8 and checked two ways.
 *
 * 1. Build (scripts/lib/nix-source-build.ts): NixOS/nix at tag 2.34.8 from DIR, upstream's meson
 *    build, inside the sid root of the 2.34.8 oracle with Debian's build dependencies; unpatched
 *    first, then the series without the store-temp-dir backport, then the whole series, each an
 *    incremental build of the same tree. Each stage is cached by key.
 * 2. Nix's own functional tests (scripts/lib/nix-functional-tests.ts), in that build tree, at each
 *    stage: every test the series adds must fail before its patch and pass after it; the `ca`
 *    suite and the store/GC tests run on the unpatched and the patched build, and a test that
 *    passes unpatched must pass patched.
 * 3. The oracle (scripts/validate-real.ts --daemon-bin): every validation plan on each stage's
 *    daemon, against the model's prediction for that stage's variant (`upstream`, the series
 *    without d027dc38e8, `recommended`), and the list of scenarios where the patched daemon
 *    behaved differently from the unpatched one, each of which the model must predict.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { validationPlans } from '../../sim/repro/validation-plans.js';
import { newTestsOf, runFunctionalTests, STORE_GC_TESTS, testId, type FunctionalTest, type TestOutcome } from './nix-functional-tests.js';
import { BUILD_CACHE, BuildInputError, ensureBuildDeps, INSIDE, openBuilder, readSeriesPatches, resolveNixSource, stagesFor, type SeriesPatch, type StageBuild } from './nix-source-build.js';
import { norm, parseReport, type Row } from './real-report.js';
import type { Log } from './real-daemon.js';
import { ensureSidRoot } from './sid-root.js';
import { cellsOf, exploreUpstream, faultCells, notRunnable, registrationSweep, upstreamScenarios, writeFaultPlans, type NotRun } from './fault-plans.js';
import { modelTmpWedge, realTmpWedge, type ModelWedge, type RealWedge } from './tmp-wedge.js';

export interface Patched234Args {
  readonly repo: string;
  readonly nixSrc: string;
  readonly out: string;
  readonly jobs: number;
  readonly nice: number;
  readonly buildOnly: boolean;
  readonly tests: boolean;
  readonly validate: boolean;
}

/** The slug of the backport of upstream's d027dc38e8 in patches/backport-2.34/. */
const STORE_TEMP_DIR_SLUG = 'rewrite-in-store-temp-dir';

export { BuildInputError };

interface StageResult {
  readonly build: StageBuild;
  readonly newTests: TestOutcome[];
  readonly suites: TestOutcome[];
  report?: Map<string, Row>;
  reportFile?: string;
  /** The fault injector's schedules on this stage's daemon (validate-real --faults). */
  faults?: Map<string, Row>;
  faultsFile?: string;
  /** Fault plans that did not run on this stage's daemon, with the reason. */
  faultsNotRun?: NotRun[];
  wedge?: { variant: string; model: ModelWedge; real: RealWedge };
}

/** What can be checked of a NixOS VM test without nixpkgs or a VM: it parses, and tests/nixos/default.nix names it. */
interface NixosCheck {
  readonly file: string;
  readonly parses: string;
  readonly registered: boolean;
}

/** The model variant of exactly the patches a stage applies (`upstream` for none). */
const variantOfPatches = (applied: readonly SeriesPatch[]): string => applied.map((p) => p.file.replace(/^\d{4}-/, '').replace(/\.patch$/, '')).join('+') || 'upstream';

/** The `ca` suite (as meson registers it in the tree at that stage) and the store/GC tests. */
function regressionTests(caMeson: string): FunctionalTest[] {
  const ca = [...readFileSync(caMeson, 'utf8').matchAll(/^\s+'([^']+)\.sh',\s*$/gm)].map((m) => ({ suite: 'ca', name: m[1] ?? '' }));
  return [...ca, ...STORE_GC_TESTS];
}

export async function validatePatched234(a: Patched234Args, log: Log): Promise<number> {
  const src = resolveNixSource(a.nixSrc);
  const series = readSeriesPatches(path.join(a.repo, 'patches/backport-2.34'));
  // each stage is predicted by the variant of exactly the patches it applies (0001-0004 is more than the 2.8 backport's BACKPORT_VARIANT)
  const stages = stagesFor(series, STORE_TEMP_DIR_SLUG, { upstream: 'upstream', without: variantOfPatches(series.filter((p) => !p.file.includes(STORE_TEMP_DIR_SLUG))), all: 'recommended' });
  const testsOf = new Map<SeriesPatch, FunctionalTest[]>(series.map((p) => [p, newTestsOf(p)]));
  mkdirSync(a.out, { recursive: true });
  log(`NixOS/nix ${src.commit} (tree ${src.tree}) from ${src.gitDir}; series ${series.map((p) => p.file).join(', ')}`);
  log(`stages: ${stages.map((s) => `${s.name} (${s.variant})`).join(', ')}`);

  const root = await ensureSidRoot(log);
  await ensureBuildDeps(root.root, log);
  const builder = await openBuilder(root.root, src, log);
  const results: StageResult[] = [];
  const nixos: NixosCheck[] = [];
  try {
    for (const stage of stages) {
      const build = await builder.buildStage(stage, series, { jobs: a.jobs, nice: a.nice });
      const r: StageResult = { build, newTests: [], suites: [] };
      results.push(r);
      if (a.buildOnly || !a.tests) continue;
      const opts = { jobs: a.jobs, nice: a.nice, timeoutSec: 3600 };
      r.newTests.push(...runFunctionalTests(builder.session, series.flatMap((p) => testsOf.get(p) ?? []), `${stage.name}-new`, opts, log));
      if (stage.name === 'unpatched' || stage.name === 'recommended') {
        const tests = regressionTests(path.join(BUILD_CACHE, 'src/tests/functional/ca/meson.build'));
        r.suites.push(...runFunctionalTests(builder.session, tests, `${stage.name}-suites`, opts, log));
      }
    }
    // The tree has every patch's tests at any stage.
    const defaultNix = readFileSync(path.join(BUILD_CACHE, 'src/tests/nixos/default.nix'), 'utf8');
    for (const p of series) {
      for (const m of p.text.matchAll(/^diff --git a\/(tests\/nixos\/(\S+)\.nix) b\/\S+\nnew file mode/gm)) {
        const file = m[1] ?? '';
        const r = builder.session.run(['nix-instantiate', '--parse', `${INSIDE}/src/${file}`], { timeoutSec: 60 });
        nixos.push({ file, parses: r.status === 0 ? 'parses' : `does not parse: ${r.stderr.trim().split('\n').pop() ?? ''}`, registered: defaultNix.includes(`./${m[2] ?? ''}.nix`) });
      }
    }
  } finally {
    await builder.close();
  }
  for (const r of results) log(`${r.build.stage.name}: daemon ${r.build.binInside}/nix-daemon (inside ${root.root})`);
  if (a.buildOnly) {
    for (const r of results) process.stdout.write(`${r.build.stage.name} ${r.build.binInside}\n`);
    return 0;
  }

  if (a.validate) {
    const plans = path.join(a.out, 'plans');
    mkdirSync(plans, { recursive: true });
    for (const p of validationPlans('2.34.8', stages.map((x) => x.variant))) {
      if (!p.ok) throw new Error(`the model could not make a validation plan: ${p.error}`);
      writeFileSync(path.join(plans, `${p.value.scenario}.json`), JSON.stringify(p.value, null, 2) + '\n');
    }
    const tsx = path.join(a.repo, 'node_modules/.bin/tsx');
    const validateReal = (r: StageResult, extra: readonly string[], report: string): Map<string, Row> => {
      const argv = [path.join(a.repo, 'scripts/validate-real.ts'), '--nix', '2.34.8', ...extra, '--variant', r.build.stage.variant, '--daemon-bin', r.build.binInside, '--report', report];
      log(`$ tsx ${argv.join(' ')}`);
      const x = spawnSync(tsx, argv, { cwd: a.repo, stdio: ['ignore', 'inherit', 'inherit'] });
      if (x.status !== 0 && x.status !== 1) throw new Error(`validate-real ${extra.join(' ')} for ${r.build.stage.name} exited ${String(x.status ?? x.signal)}`);
      return parseReport(readFileSync(report, 'utf8'));
    };
    for (const r of results) {
      r.reportFile = path.join(a.out, `real-${r.build.stage.name}.md`);
      r.report = validateReal(r, ['--plans', plans], r.reportFile);
    }
    // The fault injector: the model's upstream counterexamples, each with every stage's prediction for the same schedule.
    const faultPlans = path.join(a.out, 'fault-plans');
    const traces = path.join(a.out, 'fault-traces');
    log('exploring every scenario docs/verification.md lists with an upstream counterexample');
    exploreUpstream(upstreamScenarios(), traces, log);
    const variants = [...new Set(results.map((r) => r.build.stage.variant))].filter((v) => v !== 'upstream');
    const shared = writeFaultPlans(faultPlans, [...faultCells(traces, false, variants), ...cellsOf(registrationSweep(), variants)]);
    if (shared.length > 0) log(`traces that make the same plan as another (run once): ${shared.join('; ')}`);
    for (const r of results) {
      r.faultsFile = path.join(a.out, `real-faults-${r.build.stage.name}.md`);
      r.faultsNotRun = notRunnable(faultPlans, r.build.stage.variant);
      r.faults = validateReal(r, ['--faults', '--plans', faultPlans], r.faultsFile);
    }
    for (const r of results) {
      const variant = variantOfPatches(r.build.stage.applied);
      log(`${r.build.stage.name}: the <scratch>.tmp wedge, model (${variant}) and real daemon`);
      r.wedge = { variant, model: modelTmpWedge(variant), real: await realTmpWedge(root.root, r.build.binInside, log) };
    }
  }

  const { text, ok } = summary(results, series, testsOf, nixos);
  writeFileSync(path.join(a.out, 'validate-patched-2.34.8.md'), text);
  process.stdout.write(text);
  log(`summary written to ${path.join(a.out, 'validate-patched-2.34.8.md')}`);
  return ok ? 0 : 1;
}

/**
 * One oracle run per stage: its agree line, and each scenario where a patched stage's daemon
 * behaved differently from the unpatched one (each must be one the model predicts to differ, and
 * every predicted difference must be seen).
 */
function oracleSection(results: readonly StageResult[], rows: (r: StageResult) => Map<string, Row> | undefined, file: (r: StageResult) => string | undefined, title: string): { lines: string[]; ok: boolean } {
  const withReports = results.filter((r) => rows(r) !== undefined);
  if (withReports.length === 0) return { lines: [], ok: true };
  let ok = true;
  const out = ['', `## ${title}`, ''];
  for (const r of withReports) {
    const all = [...(rows(r) ?? new Map<string, Row>()).values()];
    const agree = all.filter((x) => x.agree).length;
    if (agree !== all.length || all.length === 0) ok = false;
    out.push(`- ${r.build.stage.name} vs model \`${r.build.stage.variant}\`: ${String(agree)} agree, ${String(all.length - agree)} disagree (${file(r) ?? ''})`);
  }
  const first = withReports[0];
  const base = first ? rows(first) : undefined;
  for (const r of withReports.slice(1)) {
    const mine = rows(r);
    if (!base || !mine) continue;
    out.push('', `Scenarios where the ${r.build.stage.name} daemon behaved differently from the unpatched one:`, '');
    let n = 0;
    for (const [scenario, up] of base) {
      const p = mine.get(scenario);
      if (!p) continue;
      const realDiffers = norm(up.real) !== norm(p.real);
      const modelDiffers = norm(up.model) !== norm(p.model);
      if (!realDiffers && !modelDiffers) continue;
      n++;
      const fine = realDiffers && modelDiffers;
      if (!fine) ok = false;
      out.push(`- ${scenario}: real \`${up.real}\` → \`${p.real}\`; the model predicts ${modelDiffers ? 'a difference' : 'NO difference'}${fine ? '' : ' (**not as predicted**)'}`);
    }
    if (n === 0) out.push('- none');
  }
  return { lines: out, ok };
}

const fmtS = (s: number): string => (s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(0)} s`);

function summary(results: readonly StageResult[], series: readonly SeriesPatch[], testsOf: ReadonlyMap<SeriesPatch, FunctionalTest[]>, nixos: readonly NixosCheck[]): { text: string; ok: boolean } {
  const out: string[] = ['# validate:patched, Nix 2.34.8 built from source', ''];
  let ok = true;
  out.push('| stage | source patches | model variant | the ninja run that made this stage (a build resumed after an interruption counts only its last run) | daemon (inside the sid root) |', '|---|---|---|---|---|');
  for (const r of results) {
    const b = r.build;
    out.push(`| ${b.stage.name} | ${b.stage.applied.map((p) => p.file.slice(0, 4)).join(' ') || '–'} | ${b.stage.variant} | ${fmtS(b.seconds)}, ${String(b.steps)} ninja steps${b.cached ? ' (cached)' : ''} | ${b.binInside}/nix-daemon |`);
  }

  // The oracle, on the validation plans and on the fault injector's schedules.
  const plans = oracleSection(results, (r) => r.report, (r) => r.reportFile, 'The oracle: every validation plan on each daemon');
  const faults = oracleSection(results, (r) => r.faults, (r) => r.faultsFile, "The fault injector: every schedule of the model's upstream counterexamples on each daemon");
  out.push(...plans.lines, ...faults.lines);
  if (!plans.ok || !faults.ok) ok = false;
  for (const r of results.filter((x) => x.faultsNotRun !== undefined && x.faultsNotRun.length > 0)) {
    out.push('', `Fault plans not run on the ${r.build.stage.name} daemon (${String(r.faultsNotRun?.length ?? 0)}):`, '');
    for (const n of r.faultsNotRun ?? []) out.push(`- ${n.name}: ${n.why}`);
  }

  // The <scratch>.tmp wedge.
  const withWedge = results.filter((r) => r.wedge !== undefined);
  if (withWedge.length > 0) {
    out.push('', '## An interrupt during the hash-rewrite copy, then two retries', '');
    out.push('| stage | model variant | model: NoWedge under one interrupt (seed-487) | real: interrupt landed in the copy | real: left behind | real: retries | agree |', '|---|---|---|---|---|---|---|');
    for (const r of withWedge) {
      const w = r.wedge;
      if (!w) continue;
      const conclusive = w.real.landedInCopy;
      const agree = conclusive && w.model.wedges === w.real.wedged;
      if (!agree) ok = false;
      out.push(
        `| ${r.build.stage.name} | ${w.variant} | ${w.model.wedges ? `wedges: ${w.model.message}` : 'no wedge'}${w.model.complete ? '' : ' (search incomplete)'} | ${conclusive ? 'yes' : `no: inconclusive ${w.real.notes.join('; ')}`} | ${w.real.leftovers.join('; ') || 'nothing'} | ${w.real.retries.map((x) => (x.ok ? 'built' : `failed: ${x.last}`)).join('; ')} | ${conclusive ? (agree ? 'yes' : '**NO**') : 'inconclusive'} |`,
      );
    }
  }

  // The new tests.
  const stagesWithTests = results.filter((r) => r.newTests.length > 0);
  if (stagesWithTests.length > 0) {
    out.push('', '## The series\' functional tests (meson test), at each stage', '');
    out.push(`| test | patch | ${stagesWithTests.map((r) => r.build.stage.name).join(' | ')} |`, `|---|---|${stagesWithTests.map(() => '---').join('|')}|`);
    for (const p of series) {
      for (const t of testsOf.get(p) ?? []) {
        const cells = stagesWithTests.map((r) => {
          const got = r.newTests.find((o) => testId(o.test) === testId(t));
          const want = r.build.stage.applied.includes(p) ? 'OK' : 'FAIL';
          const res = got?.result ?? 'MISSING';
          if (res !== want) ok = false;
          return res === want ? `${res} (as expected)` : `**${res}** (expected ${want})`;
        });
        out.push(`| ${testId(t)} | ${p.file.slice(0, 4)} | ${cells.join(' | ')} |`);
      }
    }
    for (const r of stagesWithTests) {
      for (const o of r.newTests.filter((x) => x.tail !== '')) out.push('', `${r.build.stage.name}, ${testId(o.test)} (${o.result}), last lines:`, '', '```', o.tail, '```');
    }
  }

  // Regressions.
  const up = results.find((r) => r.build.stage.name === 'unpatched' && r.suites.length > 0);
  const rec = results.find((r) => r.build.stage.name === 'recommended' && r.suites.length > 0);
  if (up && rec) {
    out.push('', '## The `ca` suite and the store/GC tests, unpatched and patched', '');
    const count = (os: readonly TestOutcome[], res: string): number => os.filter((o) => o.result === res).length;
    for (const r of [up, rec]) out.push(`- ${r.build.stage.name}: ${String(r.suites.length)} tests, ${String(count(r.suites, 'OK'))} OK, ${String(count(r.suites, 'SKIP'))} skipped, ${String(r.suites.length - count(r.suites, 'OK') - count(r.suites, 'SKIP'))} failed`);
    const regressions = rec.suites.filter((o) => o.result !== 'OK' && up.suites.find((u) => testId(u.test) === testId(o.test))?.result === 'OK');
    if (regressions.length > 0) ok = false;
    out.push(`- passes unpatched, not patched: ${regressions.map((o) => `${testId(o.test)} (${o.result})`).join(', ') || 'none'}`);
    const notOk = [...new Set([...up.suites, ...rec.suites].filter((o) => o.result !== 'OK').map((o) => testId(o.test)))];
    for (const id of notOk) {
      const u = up.suites.find((o) => testId(o.test) === id);
      const p = rec.suites.find((o) => testId(o.test) === id);
      out.push(`- ${id}: unpatched ${u?.result ?? '–'}, patched ${p?.result ?? '–'}`);
    }
  }
  if (nixos.length > 0) {
    out.push('', '## NixOS VM tests (not run: no nixpkgs and no VM here)', '');
    for (const n of nixos) {
      if (n.parses !== 'parses' || !n.registered) ok = false;
      out.push(`- ${n.file}: ${n.parses} (nix-instantiate --parse); ${n.registered ? 'named' : '**not named**'} in tests/nixos/default.nix`);
    }
  }
  out.push('', ok ? 'everything as the model and the tests predict' : 'SOME RESULTS ARE NOT AS PREDICTED (see above)', '');
  return { text: out.join('\n'), ok };
}
