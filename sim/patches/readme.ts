/**
 * What patches/README.md declares about the patches, in the two places the checker reads:
 *
 * - the table whose header has a "patch" and a "variant" column: one row per patch, in series
 *   order; a row whose patch cell mentions `not-in-series/` is a patch left out of the series; its
 *   two claim columns list the scenarios the patch fixes (CLAIM_COLUMNS);
 * - one `### NNNN-<slug>` section per patch, with a `Subject: \`...\`` line and a
 *   `Files: \`a\`, \`b\`` line.
 */

export interface TableRow {
  readonly number: string;
  readonly slug: string;
  readonly inSeries: boolean;
  /**
   * The row's "fails upstream, passes with it" cells: scenario names, [] for `none`, null when the
   * table has no such column, or a string saying why the cell could not be read.
   */
  readonly claims: { readonly alone: Claim; readonly inSeries: Claim };
}

export type Claim = readonly string[] | null | { readonly unreadable: string };

/** Column headers of the two claim columns (the same words as docs/verification.md's section). */
export const CLAIM_COLUMNS = { alone: 'passes with it alone', inSeries: 'passes with it in the series' } as const;

export interface Declaration {
  readonly subject: string | null;
  readonly files: readonly string[] | null;
}

export interface Readme {
  /** Rows of the patch table, in the order they appear; empty if there is no such table. */
  readonly rows: readonly TableRow[];
  /** `NNNN-<slug>` → what its section declares. */
  readonly declarations: ReadonlyMap<string, Declaration>;
}

const PATCH_NAME = /\b(\d{4})-([a-z0-9]+(?:-[a-z0-9]+)*)\b/;

export function parseReadme(text: string): Readme {
  return { rows: patchTable(text.split('\n')), declarations: declarations(text) };
}

function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, '')
    .split('|')
    .map((c) => c.trim());
}

function patchTable(lines: readonly string[]): TableRow[] {
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i] ?? '';
    if (!head.trimStart().startsWith('|') || !/^\s*\|[\s:|-]+\|\s*$/.test(lines[i + 1] ?? '')) continue;
    const columns = cells(head).map((c) => c.toLowerCase());
    const patchCol = columns.findIndex((c) => c.includes('patch'));
    if (patchCol < 0 || !columns.some((c) => c.includes('variant'))) continue;
    const aloneCol = columns.findIndex((c) => c.includes(CLAIM_COLUMNS.alone));
    const seriesCol = columns.findIndex((c) => c.includes(CLAIM_COLUMNS.inSeries));
    const rows: TableRow[] = [];
    for (let j = i + 2; (lines[j] ?? '').trimStart().startsWith('|'); j++) {
      const row = cells(lines[j] ?? '');
      const cell = row[patchCol] ?? '';
      const m = PATCH_NAME.exec(cell);
      const claims = { alone: claim(row, aloneCol), inSeries: claim(row, seriesCol) };
      if (m) rows.push({ number: m[1] ?? '', slug: m[2] ?? '', inSeries: !cell.includes('not-in-series/'), claims });
    }
    return rows;
  }
  return [];
}

/** A claim cell: `none`, or scenario names separated by commas (backticks allowed). */
function claim(row: readonly string[], col: number): Claim {
  if (col < 0) return null;
  const cell = (row[col] ?? '').trim();
  if (cell === 'none') return [];
  const names = cell.split(',').map((n) => n.trim().replace(/^`|`$/g, ''));
  const bad = names.find((n) => !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(n));
  return bad === undefined ? names : { unreadable: `${JSON.stringify(bad)} is not a scenario name (write names separated by commas, or none)` };
}

function declarations(text: string): Map<string, Declaration> {
  const out = new Map<string, Declaration>();
  for (const section of text.split(/^#{1,3} /m).slice(1)) {
    const m = /^(\d{4}-[a-z0-9]+(?:-[a-z0-9]+)*)\b/.exec(section);
    if (!m) continue;
    const subject = /^Subject: `(.+)`\s*$/m.exec(section)?.[1] ?? null;
    const filesLine = /^Files: (.+)$/m.exec(section)?.[1];
    const files = filesLine === undefined ? null : [...filesLine.matchAll(/`([^`]+)`/g)].map((f) => f[1] ?? '');
    out.set(m[1] ?? '', { subject, files });
  }
  return out;
}
