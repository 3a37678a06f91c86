/** One finding of a patch check: which patch, which check, and whether it passed. */
export interface ReportItem {
  patch: string;
  check: string;
  ok: boolean;
  detail: string;
}

/** The result of a patch check: `ok` is true when every item passed. */
export interface Report {
  ok: boolean;
  items: ReportItem[];
}

export function item(patch: string, check: string, ok: boolean, detail: string): ReportItem {
  return { patch, check, ok, detail };
}

export function report(items: ReportItem[]): Report {
  return { ok: items.every((i) => i.ok), items };
}

/**
 * Plain-text rendering: every failure in full, then one summary line (with `verbose`, the passing
 * checks too, before it); no colour, no IO.
 */
export function formatReport(r: Report, options: { readonly verbose?: boolean } = {}): string {
  const shown = options.verbose ? r.items : r.items.filter((i) => !i.ok);
  const lines = shown.map((i) => `${i.ok ? 'ok  ' : 'FAIL'}  ${i.patch || '-'}  ${i.check}: ${i.detail}`);
  const failed = r.items.filter((i) => !i.ok).length;
  const patches = new Set(r.items.map((i) => i.patch).filter((p) => p.endsWith('.patch'))).size;
  lines.push(`${String(r.items.length - failed)} passed, ${String(failed)} failed (${String(patches)} patches)`);
  return lines.join('\n');
}
