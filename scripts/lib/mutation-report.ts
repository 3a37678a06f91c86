/**
 * The mutation score of one folder, from StrykerJS results, and docs/mutation.md rendered from the
 * scores of every folder. Killed = killed by a test, or a timeout (the mutant made the code loop).
 * Ignored mutants are the ones marked equivalent in the source with `// Stryker disable … : reason`.
 */
import type { MutantResult } from '@stryker-mutator/api/core';

export interface MutantLine {
  /** file:line:column of the mutated code, so a reader finds which operand of a condition it is. */
  readonly at: string;
  readonly mutator: string;
  readonly replacement: string;
  readonly reason?: string;
  /** Set when the mutant is in code that runs as its module loads (see the doc's note on static mutants). */
  readonly static?: true;
}

export interface Summary {
  readonly killed: number;
  readonly timeout: number;
  readonly survived: number;
  readonly noCoverage: number;
  readonly ignored: number;
  readonly errors: number;
  /** Mutants that count: everything but ignored (equivalent) and compile/runtime errors. */
  readonly total: number;
  /** killed (timeouts included) / total, in percent. */
  readonly score: number;
  readonly survivors: readonly MutantLine[];
  readonly equivalents: readonly MutantLine[];
}

export interface FolderScore extends Summary {
  readonly date: string;
  readonly commit: string;
  readonly seconds: number;
  /** loadavg() (1, 5, 15 min) when the run started. */
  readonly load: readonly number[];
  readonly cores: number;
}

/** One file mutated on its own (`--slice F --record`), killed only by the tests it names. */
export interface SliceScore extends FolderScore {
  /** The vitest file glob of the kill set; every behaviour test (vitest.mutate.config.ts) when absent. */
  readonly tests?: string;
}

export interface MutationData {
  folders: Partial<Record<string, FolderScore>>;
  slices?: Partial<Record<string, SliceScore>>;
}

/** Goals per folder, in percent killed. */
export const GOALS: Readonly<Record<string, number>> = { fs: 90, nix: 90, verify: 85, hash: 90 };

function line(m: MutantResult): MutantLine {
  // runMutationTest reports the schema's positions, lines and columns both 1-based (unlike Stryker's internal 0-based ones)
  const at = `${m.fileName.replace(/^.*?(model\/)/, '$1')}:${String(m.location.start.line)}:${String(m.location.start.column)}`;
  const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80);
  return { at, mutator: m.mutatorName, replacement, ...(m.statusReason ? { reason: m.statusReason } : {}), ...(m.static ? { static: true as const } : {}) };
}

const byPlace = (a: MutantLine, b: MutantLine): number => a.at.localeCompare(b.at, 'en', { numeric: true });

export function summarise(results: readonly MutantResult[]): Summary {
  const count = (...s: string[]): number => results.filter((r) => s.includes(r.status)).length;
  const killed = count('Killed', 'Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const total = killed + survived + noCoverage;
  return {
    killed,
    timeout: count('Timeout'),
    survived,
    noCoverage,
    ignored: count('Ignored'),
    errors: count('CompileError', 'RuntimeError'),
    total,
    score: total === 0 ? 100 : (100 * killed) / total,
    survivors: results.filter((r) => r.status === 'Survived' || r.status === 'NoCoverage').map(line).sort(byPlace),
    equivalents: results.filter((r) => r.status === 'Ignored').map(line).sort(byPlace),
  };
}

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/`/g, "'");

export function renderMutationDoc(data: MutationData): string {
  const names = Object.keys(data.folders).sort();
  const rows = names.map((n) => {
    const f = data.folders[n];
    if (!f) return '';
    const goal = GOALS[n] ?? 0;
    const verdict = f.score >= goal ? 'met' : 'NOT met';
    return `| model/${n} | ${f.score.toFixed(1)}% | ${String(goal)}% ${verdict} | ${String(f.killed)} (${String(f.timeout)} by timeout) | ${String(f.survived)} | ${String(f.noCoverage)} | ${String(f.ignored)} | ${f.date} | \`${f.commit}\` | ${String(f.seconds)} s at load ${f.load.join(' / ')} on ${String(f.cores)} cores |`;
  });
  const out = [
    '# Mutation score',
    '',
    'Written by `npm run mutate` (`scripts/mutate.ts`, StrykerJS with its vitest runner, per-test coverage, incremental). Do not edit by hand.',
    'A mutant is killed when a behaviour test fails on it. The kill set of a folder is its own specs (`test/fs`, `test/nix`,',
    '`test/verify` + `test/prop`, `test/hash`; `TESTS` in `scripts/mutate.ts`), run under `vitest.mutate.config.ts`: the tests that compare output',
    'with committed copies (`docs/verification.md`, `docs/lifecycle.md`, quoted traces, `docs/README.md` excerpts, the schema) are',
    'not in it, since a regeneration would bless whatever the mutant did. A survivor is thus a mutant the folder\'s own tests miss',
    '(a model/verify exploration may still notice a model/nix mutant). Equivalent mutants are marked in the source',
    '(`// Stryker disable next-line <mutator>: <reason>`) and listed below with their reasons; they do not count.',
    '',
    'Not in CI: on this 2-core machine, shared with other jobs, one file (`model/fs/permission.ts`, 204 mutants, `test/fs` only)',
    'took 12 minutes at load 20; each folder takes from tens of minutes to hours (the time column). Incremental mode',
    '(`reports/mutation/<folder>.json`, not committed) re-runs only the mutants whose code or covering tests changed.',
    '',
    'Static mutants: a mutant in code that runs while its module loads (a table built at top level) is active only if the',
    'module is loaded again under it, which the vitest runner does not do, so no test can kill it here; survivors of that',
    'kind are marked *static*. Code whose mutants matter is kept out of load time (e.g. `isErrno` is a switch, not a Set).',
    '',
    '| folder | killed | goal | killed (timeouts) | survived | no coverage | equivalent | date | commit | time |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
  const slices = Object.keys(data.slices ?? {}).sort();
  if (slices.length > 0) {
    out.push(
      '## Files measured on their own',
      '',
      'A file mutated alone (`npm run mutate -- --slice FILE --tests GLOB --record`), killed only by the tests named: a narrower',
      'kill set than its folder\'s, so a survivor here may still die in the folder run. Newer than the folder row when its date is.',
      '',
      '| file | killed | killed (timeouts) | survived | no coverage | equivalent | tests | date | commit | time |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const f of slices) {
      const x = data.slices?.[f];
      if (x) out.push(`| ${f} | ${x.score.toFixed(1)}% | ${String(x.killed)} (${String(x.timeout)} by timeout) | ${String(x.survived)} | ${String(x.noCoverage)} | ${String(x.ignored)} | \`${x.tests ?? 'vitest.mutate.config.ts'}\` | ${x.date} | \`${x.commit}\` | ${String(x.seconds)} s at load ${x.load.join(' / ')} on ${String(x.cores)} cores |`);
    }
    out.push('');
    for (const f of slices) {
      const x = data.slices?.[f];
      if (!x || x.survivors.length === 0) continue;
      out.push(`Survivors of the ${f} slice:`, '');
      for (const m of x.survivors) out.push(`- \`${m.at}\` ${m.mutator}: \`${cell(m.replacement)}\`${m.static ? ' (static)' : ''}`);
      out.push('');
    }
  }
  for (const n of names) {
    const f = data.folders[n];
    if (!f) continue;
    out.push(`## model/${n}`, '');
    out.push(f.survivors.length === 0 ? 'No surviving mutant.' : 'Surviving mutants (a test that kills each is still to be written, or it is an equivalent not yet marked):', '');
    for (const m of f.survivors) out.push(`- \`${m.at}\` ${m.mutator}: \`${cell(m.replacement)}\`${m.static ? ' (static)' : ''}`);
    if (f.survivors.length > 0) out.push('');
    if (f.equivalents.length > 0) {
      out.push('Equivalent (not counted):', '', '| where | mutator | replacement | why it is equivalent |', '|---|---|---|---|');
      for (const m of f.equivalents) out.push(`| \`${m.at}\` | ${m.mutator} | \`${cell(m.replacement)}\` | ${cell(m.reason ?? '')} |`);
      out.push('');
    }
  }
  return out.join('\n');
}
