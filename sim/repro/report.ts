/**
 * The validate-real report: one row per plan, model prediction vs real observation.
 * Pure (no I/O) so the table format, which `scripts/validate-patched.ts` parses back (first table
 * with a `scenario` column; `model`, `real`, `seconds`, `agree` found by header name), is tested.
 */
import { formatMismatch, summarize, type Mismatch } from './observe.js';
import type { Observation } from './plan.js';

export interface ReportRow {
  readonly scenario: string;
  /** The model's expectation for the variant run (absent if the plan had none). */
  readonly model?: Observation;
  /** What the real daemon did (absent on a harness error). */
  readonly real?: Observation;
  readonly seconds: number;
  /** Differences; empty = agree. Ignored when `error` is set. */
  readonly mismatches: readonly Mismatch[];
  /** A harness error: the run says nothing about the model. */
  readonly error?: string;
}

export interface ReportMeta {
  readonly variant: string;
  readonly nix: string;
  readonly daemon: string;
  readonly plans: string;
  readonly host: string;
  readonly date: string;
  readonly wallSeconds: number;
}

/** Markdown table cells cannot hold `|` or newlines. */
function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export type Verdict = 'agree' | 'disagree' | 'error';

export function verdictOf(r: ReportRow): Verdict {
  if (r.error !== undefined) return 'error';
  return r.mismatches.length === 0 ? 'agree' : 'disagree';
}

/** `N agree, M disagree` (harness errors count as disagreements: they prove nothing either way). */
export function totalsLine(rows: readonly ReportRow[]): string {
  const agree = rows.filter((r) => verdictOf(r) === 'agree').length;
  const errors = rows.filter((r) => verdictOf(r) === 'error').length;
  const disagree = rows.length - agree;
  return `${agree} agree, ${disagree} disagree${errors > 0 ? ` (${errors} of them harness errors)` : ''}`;
}

/** The table, then the totals line. */
export function reportTable(rows: readonly ReportRow[]): string {
  const lines = ['| scenario | model | real | seconds | agree |', '|---|---|---|---:|---|'];
  for (const r of rows) {
    const v = verdictOf(r);
    const real = r.error !== undefined ? `error: ${r.error}` : r.real ? summarize(r.real) : '–';
    lines.push(
      `| ${cell(r.scenario)} | ${cell(r.model ? summarize(r.model) : '–')} | ${cell(real)} | ${r.seconds.toFixed(1)} | ${v === 'agree' ? 'yes' : v === 'error' ? '**ERROR**' : '**NO**'} |`,
    );
  }
  lines.push('', totalsLine(rows));
  return lines.join('\n') + '\n';
}

/** Both sides of each disagreement, for the console and the report. */
export function disagreementDetails(rows: readonly ReportRow[]): string {
  const out: string[] = [];
  for (const r of rows) {
    const v = verdictOf(r);
    if (v === 'agree') continue;
    out.push(`### ${r.scenario}: ${v}`, '');
    if (r.error !== undefined) out.push(`harness error: ${r.error}`, '');
    if (r.mismatches.length > 0) out.push('```', ...r.mismatches.map(formatMismatch), '```', '');
    if (r.model) out.push('model:', '```json', JSON.stringify(r.model), '```', '');
    if (r.real) out.push('real:', '```json', JSON.stringify(r.real), '```', '');
  }
  return out.join('\n');
}

/** The whole markdown report (`validate-real --report FILE`). */
export function renderReport(rows: readonly ReportRow[], meta: ReportMeta): string {
  const details = disagreementDetails(rows);
  return [
    `# validate-real: model vs real nix-daemon (variant \`${meta.variant}\`)`,
    '',
    reportTable(rows),
    `- nix: ${meta.nix}; daemon: ${meta.daemon}`,
    `- plans: ${meta.plans}`,
    `- host: ${meta.host}; date: ${meta.date}; wall time: ${meta.wallSeconds.toFixed(1)} s`,
    '- model/real cells: `attempt outcome@buildUser errnos {output files}`; `key present|absent valid|invalid [owner mode files]`; `key removed|kept dontknow`',
    '',
    ...(details ? ['## Disagreements', '', details] : []),
  ].join('\n');
}
