/**
 * What each patch fixes, computed by the model: the claims patches/README's table makes, and the
 * verdicts they are computed from. Two claims per patch, because the series targets master while
 * the model is pinned to 2.34.8:
 *
 * - alone (2.34.8): the built-in scenarios in which `upstream` breaks some invariant under some
 *   fault model and the patch's variant alone breaks none;
 * - in the series: the scenarios in which the rest of `recommended` (the series plus
 *   `rewrite-in-store-temp-dir`, upstream's d027dc38e8 that master has) breaks something and
 *   `recommended` breaks nothing; for a patch left out of the series, `recommended` is the base and
 *   `recommended+<slug>` the fix.
 *
 * `docs/verification/verdicts.json` holds the verdicts (generated with docs/verification.md, and
 * checked as fresh by the same test); `outpath patches check` reads it, or recomputes it with
 * `--from-model`.
 */
import type { FaultKind, Scenario } from '../model/nix/index.js';
import { NIX_REV } from '../model/nix/index.js';
import type { Cell } from './verdicts.js';

/** scenario -> variant -> the cells it breaks, as `Invariant/fault`, sorted. */
export type VerdictTable = Readonly<Record<string, Readonly<Record<string, readonly string[]>>>>;

export interface Verdicts {
  readonly model: string;
  readonly bounds: { readonly maxDepth: number; readonly maxStates: number; readonly maxFaults: number };
  /** The members of `recommended` the in-series claims were computed against. */
  readonly recommended: readonly string[];
  readonly scenarios: VerdictTable;
}

/** A base variant and the variant with the patch, named as parseVariant reads them. */
export interface ClaimPair {
  readonly base: string;
  readonly fix: string;
}

export interface FixedBy {
  readonly alone: readonly string[];
  readonly inSeries: readonly string[];
}

export function claimPairs(slug: string, recommended: readonly string[]): { alone: ClaimPair; inSeries: ClaimPair } {
  const rest = recommended.filter((s) => s !== slug);
  const inSeries = recommended.includes(slug)
    ? { base: rest.length === 0 ? 'upstream' : rest.join('+'), fix: 'recommended' }
    : { base: 'recommended', fix: `recommended+${slug}` };
  return { alone: { base: 'upstream', fix: slug }, inSeries };
}

export function brokenCells(cells: readonly Cell[]): string[] {
  const out = new Set<string>();
  for (const c of cells) for (const x of c.counterexamples) out.add(`${x.invariant}/${c.fault}`);
  return [...out].sort();
}

/**
 * The verdicts the claims of `slugs` need, from `explore` (one cell per fault model). A fix is
 * explored on a scenario only where its base breaks something: elsewhere it cannot count.
 */
export function computeVerdicts(
  scenarios: readonly Scenario[],
  slugs: readonly string[],
  recommended: readonly string[],
  faults: readonly FaultKind[],
  explore: (s: Scenario, variant: string, fault: FaultKind) => Cell,
  bounds: Verdicts['bounds'],
): Verdicts {
  const pairs = slugs.flatMap((slug) => Object.values(claimPairs(slug, recommended)));
  const table: Record<string, Record<string, readonly string[]>> = {};
  for (const s of scenarios) {
    const row: Record<string, readonly string[]> = {};
    const verdict = (v: string): readonly string[] => (row[v] ??= brokenCells(faults.map((f) => explore(s, v, f))));
    for (const p of pairs) if (verdict(p.base).length > 0) verdict(p.fix);
    table[s.name] = row;
  }
  return { model: NIX_REV, bounds, recommended, scenarios: table };
}

/** The scenarios `slug` fixes, alone and in the series; a verdict missing from the table counts as not fixed. */
export function fixedBy(v: Verdicts, slug: string): FixedBy {
  const pairs = claimPairs(slug, v.recommended);
  const alone: string[] = [];
  const inSeries: string[] = [];
  for (const [scenario, row] of Object.entries(v.scenarios)) {
    const fixes = (p: ClaimPair): boolean => (row[p.base]?.length ?? 0) > 0 && row[p.fix]?.length === 0;
    if (fixes(pairs.alone)) alone.push(scenario);
    if (fixes(pairs.inSeries)) inSeries.push(scenario);
  }
  return { alone, inSeries };
}
