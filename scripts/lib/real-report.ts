/**
 * Reading back the markdown reports scripts/validate-real.ts writes (`--report FILE`): the
 * scenario table, by column name.
 */

export interface Row {
  model: string;
  real: string;
  seconds: string;
  agree: boolean;
}

export const norm = (s: string): string => s.replace(/[`*]/g, '').trim().toLowerCase();

function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((c) => c.trim());
}

/**
 * Reads the first markdown table of a validate-real report that has a scenario column. Columns
 * are found by header name: scenario; model/expected; real/observed/daemon; seconds/time/s;
 * and an agree/match column if present (otherwise model and real are compared as text).
 */
export function parseReport(md: string): Map<string, Row> {
  const lines = md.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i] ?? '';
    const sep = lines[i + 1] ?? '';
    if (!head.trim().startsWith('|') || !/^\s*\|?\s*:?-{3,}/.test(sep)) continue;
    const h = cells(head).map(norm);
    const col = (re: RegExp): number => h.findIndex((c) => re.test(c));
    const sc = col(/scenario/);
    if (sc < 0) continue;
    const mo = col(/model|expected/);
    const re = col(/real|observed|daemon|actual/);
    const se = col(/sec|time|wall|^s$|\(s\)/);
    const ag = h.findIndex((c, k) => k !== mo && k !== re && /agree|match|^ok$|^same/.test(c));
    const rows = new Map<string, Row>();
    for (let j = i + 2; j < lines.length && (lines[j] ?? '').trim().startsWith('|'); j++) {
      const c = cells(lines[j] ?? '');
      const name = c[sc] ?? '';
      if (!name) continue;
      const model = mo >= 0 ? (c[mo] ?? '') : '';
      const real = re >= 0 ? (c[re] ?? '') : '';
      const verdict = ag >= 0 ? norm(c[ag] ?? '') : '';
      const agree = ag >= 0 ? /^(yes|y|true|ok|agree|✓|✔)/.test(verdict) : norm(model) === norm(real);
      rows.set(name, { model, real, seconds: se >= 0 ? (c[se] ?? '') : '', agree });
    }
    return rows;
  }
  throw new Error('no markdown table with a "scenario" column in the report');
}

