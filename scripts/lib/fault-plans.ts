/**
 * What `validate-real --faults` (npm run validate:faults) runs: every counterexample the model
 * finds for `upstream` in the scenarios docs/verification.md lists, as plans for a real daemon
 * with the fault injector, and the ones that cannot run here with the reason. Also builds the
 * injector (sim/repro/fault-inject.c) into a cache dir, by source hash.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { planFromFaultTrace } from '../../sim/repro/from-fault-trace.js';
import type { ReproPlan } from '../../sim/repro/plan.js';
import { parseTrace } from '../../sim/trace-schema.js';
import type { Log } from './real-daemon.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const INJECTOR_SOURCE = path.join(repo, 'sim/repro/fault-inject.c');
const VERIFICATION = path.join(repo, 'docs/verification');

/** The injector as a shared object, compiled once per source (gcc on the host; the .so loads into sid's newer glibc). */
export function buildInjector(cacheDir: string, log: Log): string {
  const src = readFileSync(INJECTOR_SOURCE);
  const so = path.join(cacheDir, `libnolfault-${createHash('sha256').update(src).digest('hex').slice(0, 12)}.so`);
  if (existsSync(so)) return so;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = `${so}.${String(process.pid)}.tmp`;
  const r = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Wno-format-truncation', '-o', tmp, INJECTOR_SOURCE, '-ldl'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`could not compile the fault injector (gcc ${INJECTOR_SOURCE}): ${r.error?.message ?? r.stderr.trim()}`);
  renameSync(tmp, so);
  log(`fault injector built: ${so}`);
  return so;
}

/** Copies the injector into `dir` (a host path) as libnolfault.so. */
export function installInjector(so: string, dir: string): void {
  mkdirSync(dir, { recursive: true });
  copyFileSync(so, path.join(dir, 'libnolfault.so'));
}

/** The scenarios docs/verification.md links an upstream counterexample for (docs/verification/<scenario>/upstream.*.txt). */
export function upstreamScenarios(): string[] {
  return readdirSync(VERIFICATION, { withFileTypes: true })
    .filter((d) => d.isDirectory() && readdirSync(path.join(VERIFICATION, d.name)).some((f) => f.startsWith('upstream.') && f.endsWith('.txt')))
    .map((d) => d.name)
    .sort();
}

/** The model's upstream counterexamples for `scenarios`, written to `dir` by `outpath explore` (as docs/verification.md's replay lines do). */
export function exploreUpstream(scenarios: readonly string[], dir: string, log: Log): void {
  mkdirSync(dir, { recursive: true });
  for (const s of scenarios) {
    const r = spawnSync(process.execPath, [path.join(repo, 'bin/outpath.js'), 'explore', s, '--variant', 'upstream', '--out', dir], { encoding: 'utf8', cwd: repo });
    if (r.status !== 0 && r.status !== 1) throw new Error(`outpath explore ${s} exited ${String(r.status)}: ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    log(`explored ${s}: ${String(readdirSync(dir).filter((f) => f.startsWith(`${s}.upstream.`) && f.endsWith('.trace.json')).length)} upstream counterexample(s)`);
  }
}

export interface FaultCell {
  /** The trace's file name without `.trace.json`. */
  readonly name: string;
  readonly plan?: ReproPlan;
  readonly notRealisable?: string;
}

/** A plan name from a trace file name: `seed-487.upstream.NoWedge.crash` -> `seed-487.nowedge.crash`. */
function planName(traceName: string): string {
  return traceName.replace('.upstream.', '.').toLowerCase().replace(/[^a-z0-9._-]/g, '-').slice(0, 80);
}

/** Every trace in `dir` (only `upstream` ones unless `all`) as a plan or a reason it cannot run. */
export function faultCells(dir: string, all = false): FaultCell[] {
  const out: FaultCell[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.trace.json')).sort()) {
    const name = f.slice(0, -'.trace.json'.length);
    const t = parseTrace(JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
    if (!t.ok) throw new Error(`${f}: ${t.error}`);
    if (!all && t.trace.variant !== 'upstream') continue;
    const r = planFromFaultTrace(t.trace, planName(name));
    out.push(r.realisable ? { name, plan: r.plan } : { name, notRealisable: r.why });
  }
  return out;
}
