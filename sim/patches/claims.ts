/**
 * Checks of what patches/README.md claims against the model, beyond the structure of the patches:
 *
 * - every variant that stands for a patch of ours has a patch file (in the series or in
 *   not-in-series/), and every variant standing for upstream's own change is named in the README;
 * - each table row's two claim cells list exactly the scenarios the model's verdicts say the patch
 *   fixes (sim/patch-claims.ts), alone and in the series.
 */
import { fixedBy, type Verdicts } from '../patch-claims.js';
import { CLAIM_COLUMNS, type Claim, type Readme, type TableRow } from './readme.js';
import { item, type ReportItem } from './report.js';
import { EXTRA_DIR, PATCH_FILE, type PatchSet } from './sets.js';

/** What the checker needs from the model. */
export interface PatchModel {
  /** Every name a patch slug may be (variant slugs and named variants). */
  readonly variants: readonly string[];
  /** The variants that stand for a patch of ours: each needs a patch file. */
  readonly patchSlugs: readonly string[];
  /** Variants standing for upstream's own changes, with where they come from: the README names each. */
  readonly upstream: Readonly<Record<string, string>>;
  /** The model's `recommended`: the series in `series` plus upstream variants. */
  readonly recommended: readonly string[];
  /** Recomputes the verdicts by exploring the model (`--from-model`; slow). */
  readonly computeVerdicts: () => Verdicts;
}

function slugsIn(sets: readonly PatchSet[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const set of sets) {
    if (set.kind === 'backport') continue;
    for (const f of set.patches) {
      const m = PATCH_FILE.exec(f);
      if (m) out.set(m[2] ?? '', set.kind === 'extra' ? `${EXTRA_DIR}/${f}` : f);
    }
  }
  return out;
}

export function checkVariantCoverage(sets: readonly PatchSet[], readmeText: string, model: PatchModel): ReportItem[] {
  const patched = slugsIn(sets);
  const items: ReportItem[] = [];
  for (const slug of model.patchSlugs) {
    const file = patched.get(slug);
    items.push(
      item(`variant ${slug}`, 'has-patch', file !== undefined, file !== undefined ? file : `the model has variant ${slug} but patches/ has no NNNN-${slug}.patch (in the series or in ${EXTRA_DIR}/)`),
    );
  }
  const series = (sets.find((s) => s.kind === 'series')?.series ?? []).map((f) => PATCH_FILE.exec(f)?.[2] ?? f);
  const expected = model.recommended.filter((s) => model.upstream[s] === undefined);
  const same = series.join() === expected.join();
  items.push(item('series', 'is-recommended', same, same ? `series is the model's recommended without upstream's changes` : `series has ${series.join(', ') || 'nothing'}; the model's recommended (without upstream's changes) has ${expected.join(', ')}`));
  for (const [slug, origin] of Object.entries(model.upstream)) {
    const named = readmeText.includes(`\`${slug}\``);
    items.push(item(`variant ${slug}`, 'upstream-named', named, named ? `stands for ${origin}` : `README.md does not name \`${slug}\` (${origin}), a variant of upstream's own change`));
  }
  return items;
}

function rowName(r: TableRow): string {
  return `${r.inSeries ? '' : `${EXTRA_DIR}/`}${r.number}-${r.slug}.patch`;
}

function compare(name: string, what: string, claimed: Claim, computed: readonly string[]): ReportItem {
  const check = `claims-${what}`;
  if (claimed === null) return item(name, check, false, `the README table has no "${what === 'alone' ? CLAIM_COLUMNS.alone : CLAIM_COLUMNS.inSeries}" column`);
  if ('unreadable' in claimed) return item(name, check, false, claimed.unreadable);
  const said = [...claimed].sort();
  const is = [...computed].sort();
  if (said.join() === is.join()) return item(name, check, true, said.length === 0 ? 'none, as the model says' : `${String(said.length)} scenarios, as the model says`);
  const missing = is.filter((x) => !said.includes(x));
  const extra = said.filter((x) => !is.includes(x));
  const detail = [missing.length ? `the model also has ${missing.join(', ')}` : '', extra.length ? `the model does not have ${extra.join(', ')}` : ''].filter((x) => x !== '');
  return item(name, check, false, `README says ${said.length === 0 ? 'none' : said.join(', ')}; ${detail.join('; ')}`);
}

/** Each row's claim cells against the scenarios the verdicts say its patch fixes. */
export function checkClaims(readme: Readme, verdicts: Verdicts, recommended: readonly string[]): ReportItem[] {
  if (verdicts.recommended.join() !== recommended.join()) {
    return [item('', 'claims', false, `the verdicts were computed for recommended = ${verdicts.recommended.join('+')}, the model has ${recommended.join('+')}: regenerate them (npm run docs:verification) or pass --from-model`)];
  }
  const known = new Set(Object.values(verdicts.scenarios).flatMap((row) => Object.keys(row)));
  const items: ReportItem[] = [];
  for (const row of readme.rows) {
    const name = rowName(row);
    if (!known.has(row.slug)) {
      items.push(item(name, 'claims', false, `the verdicts have nothing for ${row.slug}: regenerate them (npm run docs:verification) or pass --from-model`));
      continue;
    }
    const f = fixedBy(verdicts, row.slug);
    items.push(compare(name, 'alone', row.claims.alone, f.alone), compare(name, 'in-series', row.claims.inSeries, f.inSeries));
  }
  return items;
}
