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

/** Plain-text rendering, one line per item, failures marked; no colour, no IO. */
export function formatReport(r: Report): string {
  const lines = r.items.map((i) => `${i.ok ? 'ok  ' : 'FAIL'}  ${i.patch || '-'}  ${i.check}: ${i.detail}`);
  const failed = r.items.filter((i) => !i.ok).length;
  lines.push(`${r.items.length - failed} passed, ${failed} failed`);
  return lines.join('\n');
}
