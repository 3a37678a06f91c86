/**
 * Checks on patches/ that need no Nix tree and no network: every `*.patch` is well-formed
 * `git format-patch` output, its subject and files match patches/README.md, the series order
 * matches `series` and the README table, and each slug names a model variant.
 *
 * Applying the series to a Nix checkout is `applyToNixSource` (./apply.ts), re-exported here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Verdicts } from '../patch-claims.js';
import { checkClaims, checkVariantCoverage, type PatchModel } from './claims.js';

import { parseFormatPatch, patchChecks, type ParsedPatch } from './format-patch.js';
import { parseReadme, type Readme } from './readme.js';
import { item, report, type Report, type ReportItem } from './report.js';
import { EXTRA_DIR, PATCH_FILE, patchName, patchSets, type PatchSet } from './sets.js';

export { applyToNixSource, type ApplyOptions } from './apply.js';
export type { PatchModel } from './claims.js';
export { formatReport, type Report, type ReportItem } from './report.js';

/**
 * Structural check of a patches directory. `variants` are the model's variant names; a slug is
 * accepted if it is one of them, or if `patch-NNNN-<slug>` is.
 */
export function checkPatchesStructure(dir: string, variants: readonly string[]): Report {
  const items: ReportItem[] = [];
  let readmeText = '';
  try {
    readmeText = readFileSync(join(dir, 'README.md'), 'utf8');
    items.push(item('', 'readme', true, 'README.md present'));
  } catch {
    items.push(item('', 'readme', false, `no README.md in ${dir}`));
  }
  const readme = parseReadme(readmeText);
  const sets = patchSets(dir);
  for (const set of sets) {
    const position = new Map((set.series ?? []).map((f, i) => [f, i]));
    for (const file of set.patches) {
      const text = readFileSync(join(dir, set.rel, file), 'utf8');
      items.push(...checkPatch(set, file, text, { variants, readme, position: position.get(file) ?? null }));
    }
    items.push(...checkSeriesFile(set));
  }
  items.push(...checkReadmeTable(sets, readme));
  items.push(...checkAssistedBy(dir, sets));
  return report(items);
}

/**
 * The structural checks, and what the README claims against the model: a patch for every variant
 * of ours, upstream's variants named, and each row's claim cells equal to what `verdicts` give
 * (null: no verdicts to check against, which fails).
 */
export function checkPatches(dir: string, model: PatchModel, verdicts: Verdicts | null, verdictsSource: string): Report {
  const items = [...checkPatchesStructure(dir, model.variants).items];
  let readmeText = '';
  try {
    readmeText = readFileSync(join(dir, 'README.md'), 'utf8');
  } catch {
    // reported by the structural checks
  }
  items.push(...checkVariantCoverage(patchSets(dir), readmeText, model));
  if (verdicts === null) items.push(item('', 'claims', false, `no verdicts at ${verdictsSource}: run npm run docs:verification, or pass --from-model`));
  else items.push(...checkClaims(parseReadme(readmeText), verdicts, model.recommended));
  return report(items);
}

/** Every patch discloses the same assistance: the trailer line kept once in `ASSISTED-BY`. */
function checkAssistedBy(dir: string, sets: readonly PatchSet[]): ReportItem[] {
  const file = join(dir, 'ASSISTED-BY');
  if (!existsSync(file)) return [];
  const expected = readFileSync(file, 'utf8').trim();
  const items: ReportItem[] = [];
  for (const set of sets) {
    for (const f of set.patches) {
      const { patch } = parseFormatPatch(readFileSync(join(dir, set.rel, f), 'utf8'));
      const got = patch.trailers.filter((t) => /^assisted-by: /i.test(t));
      const ok = got.length === 1 && got[0] === expected;
      items.push(item(patchName(set, f), 'assisted-by', ok, ok ? 'as in ASSISTED-BY' : `has ${JSON.stringify(got)}, ASSISTED-BY says ${JSON.stringify(expected)}`));
    }
  }
  return items;
}

interface Context {
  readonly variants: readonly string[];
  readonly readme: Readme;
  /** Index of the patch in its set's `series`, if listed. */
  readonly position: number | null;
}

function checkPatch(set: PatchSet, file: string, text: string, ctx: Context): ReportItem[] {
  const name = patchName(set, file);
  const { patch, problems } = parseFormatPatch(text);
  const items = patchChecks.map((check) => {
    const found = problems.filter((p) => p.check === check).map((p) => p.detail);
    return item(name, check, found.length === 0, found.length === 0 ? 'ok' : found.join('; '));
  });
  const fm = PATCH_FILE.exec(file);
  if (!fm) {
    items.push(item(name, 'file-name', false, 'not named NNNN-<slug>.patch with a lower-case kebab-case slug'));
    return items;
  }
  const [, number = '', slug = ''] = fm;
  items.push(item(name, 'file-name', true, `slug ${slug}`));
  const known = ctx.variants.includes(slug) || ctx.variants.includes(`patch-${number}-${slug}`);
  items.push(item(name, 'variant', known, known ? `${slug} is a model variant` : `slug ${slug} is not a model variant (known: ${ctx.variants.join(', ')})`));
  items.push(...checkNumbering(set, name, Number(number), patch, ctx.position));
  items.push(...checkDeclaration(set, name, `${number}-${slug}`, patch, ctx.readme));
  return items;
}

function checkNumbering(set: PatchSet, name: string, fileNumber: number, patch: ParsedPatch, position: number | null): ReportItem[] {
  const n = patch.number;
  if (set.kind === 'extra') {
    const ok = n === null || n.n === fileNumber;
    return [item(name, 'numbering', ok, ok ? 'ok' : `[PATCH ${n?.n ?? '?'}/${n?.m ?? '?'}] does not match file number ${fileNumber}`)];
  }
  if (position === null) return []; // reported by checkSeriesFile
  const length = set.series?.length ?? 0;
  const problems: string[] = [];
  if (fileNumber !== position + 1) problems.push(`file number ${fileNumber} but position ${position + 1} in series`);
  if (length > 1 && (n === null || n.n !== position + 1 || n.m !== length))
    problems.push(`subject numbered [PATCH ${n ? `${n.n}/${n.m}` : ''}], expected [PATCH ${position + 1}/${length}]`);
  return [item(name, 'numbering', problems.length === 0, problems.length === 0 ? `${position + 1} of ${length}` : problems.join('; '))];
}

function checkDeclaration(set: PatchSet, name: string, key: string, patch: ParsedPatch, readme: Readme): ReportItem[] {
  const decl = readme.declarations.get(key);
  if (!decl) return [item(name, 'readme-declared', false, `README.md has no "### ${key}" section`)];
  const items = [item(name, 'readme-declared', true, `### ${key}`)];
  const subjectOk = decl.subject !== null && decl.subject === patch.subject;
  items.push(
    item(name, 'readme-subject', subjectOk, subjectOk ? 'matches' : `README declares ${JSON.stringify(decl.subject)}, patch has ${JSON.stringify(patch.subject)}`),
  );
  const touched = [...new Set(patch.files.map((f) => f.path))].sort();
  const declared = [...new Set(decl.files ?? [])].sort();
  const missing = touched.filter((f) => !declared.includes(f));
  // A backport may touch fewer files (e.g. a comment that lives elsewhere on the older branch).
  const extra = set.kind === 'backport' ? [] : declared.filter((f) => !touched.includes(f));
  const filesOk = decl.files !== null && missing.length === 0 && extra.length === 0;
  const why = [
    decl.files === null ? 'README section has no Files: line' : '',
    missing.length ? `touched but not declared: ${missing.join(', ')}` : '',
    extra.length ? `declared but not touched: ${extra.join(', ')}` : '',
  ].filter((s) => s !== '');
  items.push(item(name, 'readme-files', filesOk, filesOk ? `${touched.length} files` : why.join('; ')));
  return items;
}

function checkSeriesFile(set: PatchSet): ReportItem[] {
  if (set.kind === 'extra') return [];
  const where = set.rel === '' ? 'series' : `${set.rel}/series`;
  if (set.series === null) return [item(set.rel, 'series', false, `no ${where} file`)];
  const items: ReportItem[] = [];
  const seen = new Set<string>();
  for (const entry of set.series) {
    const name = patchName(set, entry);
    if (seen.has(entry)) items.push(item(name, 'series', false, `listed twice in ${where}`));
    else if (!set.patches.includes(entry)) items.push(item(name, 'series', false, `listed in ${where} but there is no such file`));
    else items.push(item(name, 'series', true, `listed in ${where}`));
    seen.add(entry);
  }
  for (const file of set.patches)
    if (!seen.has(file)) items.push(item(patchName(set, file), 'series', false, `not listed in ${where} (put patches left out of the series in ${EXTRA_DIR}/)`));
  return items;
}

/** The README table lists the series in order, then the patches left out of it. */
function checkReadmeTable(sets: readonly PatchSet[], readme: Readme): ReportItem[] {
  if (readme.rows.length === 0) return [item('', 'readme-table', false, 'README.md has no table with "patch" and "variant" columns')];
  const items: ReportItem[] = [];
  const main = sets.find((s) => s.kind === 'series');
  const series = (main?.series ?? []).map((f) => PATCH_FILE.exec(f)).map((m) => (m ? `${m[1] ?? ''}-${m[2] ?? ''}` : ''));
  const rows = readme.rows.filter((r) => r.inSeries).map((r) => `${r.number}-${r.slug}`);
  const length = Math.max(series.length, rows.length);
  for (let i = 0; i < length; i++) {
    const s = series[i];
    const r = rows[i];
    const name = s !== undefined ? `${s}.patch` : `${r ?? ''}.patch`;
    if (s === r) items.push(item(name, 'readme-table', true, `row ${i + 1} of the series`));
    else if (s === undefined) items.push(item(name, 'readme-table', false, `README table lists ${r ?? ''} in the series, series does not`));
    else if (r === undefined || !rows.includes(s)) items.push(item(name, 'readme-table', false, `in series but not in the README table`));
    else items.push(item(name, 'readme-table', false, `series position ${i + 1}, README table position ${rows.indexOf(s) + 1}`));
  }
  const extras = sets.filter((s) => s.kind === 'extra').flatMap((s) => s.patches);
  const extraRows = readme.rows.filter((r) => !r.inSeries).map((r) => `${r.number}-${r.slug}.patch`);
  for (const f of extras)
    items.push(item(`${EXTRA_DIR}/${f}`, 'readme-table', extraRows.includes(f), extraRows.includes(f) ? 'listed as not in the series' : `not in the README table as ${EXTRA_DIR}/`));
  for (const f of extraRows.filter((r) => !extras.includes(r)))
    items.push(item(`${EXTRA_DIR}/${f}`, 'readme-table', false, `README table lists ${EXTRA_DIR}/${f}, which does not exist`));
  return items;
}
