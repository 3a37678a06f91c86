/**
 * A reader for `git format-patch` output (git's builtin/log.c make_cover_letter/log_write_email_headers
 * and diff.c's diffstat and unified diff), strict enough to catch patches damaged by hand editing:
 * a truncated hunk, a hunk whose @@ line counts disagree with its lines, a missing header.
 */

/** A problem found while reading a patch, tagged with the check it belongs to. */
export interface Problem {
  readonly check: PatchCheck;
  readonly detail: string;
}

/** The structural checks, in the order the parts appear in a patch file. */
export const patchChecks = [
  'from-line',
  'headers',
  'subject',
  'body',
  'trailer',
  'separator',
  'diffstat',
  'diff',
  'hunks',
  'signature',
] as const;
export type PatchCheck = (typeof patchChecks)[number];

export interface FileDiff {
  /** The file the section changes: the new path, or the old one for a deletion. */
  readonly path: string;
  readonly added: number;
  readonly removed: number;
  readonly binary: boolean;
}

export interface ParsedPatch {
  readonly sha: string | null;
  readonly headers: ReadonlyMap<string, string>;
  readonly subject: string | null;
  /** `[PATCH n/m]` numbering, or null for a bare `[PATCH]`. */
  readonly number: { readonly n: number; readonly m: number } | null;
  readonly body: readonly string[];
  readonly trailers: readonly string[];
  readonly files: readonly FileDiff[];
  readonly version: string | null;
}

const FROM_LINE = /^From ([0-9a-f]{40}) Mon Sep 17 00:00:00 2001$/;
const SUBJECT = /^\[PATCH(?: v\d+)?(?: (\d+)\/(\d+))?\] (\S.*)$/;
const DIFF_GIT = /^diff --git a\/(.+) b\/(.+)$/;
const HUNK = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;
const STAT_LINE = /^ (\S.*?) +\| +(?:(\d+) ?([+-]*)|Bin .*)$/;
const STAT_SUMMARY = /^ (\d+) files? changed(?:, (\d+) insertions?\(\+\))?(?:, (\d+) deletions?\(-\))?$/;
const STAT_MODE = /^ (?:create|delete) mode \d+ |^ mode change |^ rename |^ copy /;
const TRAILER = /^[A-Za-z][A-Za-z0-9-]*: \S/;

/** Read one patch file. Never throws: every defect becomes a `Problem`. */
export function parseFormatPatch(text: string): { patch: ParsedPatch; problems: Problem[] } {
  const lines = text.split('\n');
  const problems: Problem[] = [];
  const fail = (check: PatchCheck, detail: string): void => {
    problems.push({ check, detail });
  };

  const sha = FROM_LINE.exec(lines[0] ?? '')?.[1] ?? null;
  if (sha === null) fail('from-line', `line 1 is not "From <sha> Mon Sep 17 00:00:00 2001": ${JSON.stringify(lines[0] ?? '')}`);

  // Headers, RFC 2822 style: a line starting with whitespace continues the previous one.
  const headers = new Map<string, string>();
  let i = 1;
  let last: string | null = null;
  for (; i < lines.length && lines[i] !== ''; i++) {
    const line = lines[i] ?? '';
    if (/^[ \t]/.test(line) && last !== null) {
      headers.set(last, (headers.get(last) ?? '') + line);
      continue;
    }
    const m = /^([A-Za-z-]+): ?(.*)$/.exec(line);
    if (!m) {
      fail('headers', `line ${i + 1} is not a mail header: ${JSON.stringify(line)}`);
      continue;
    }
    last = (m[1] ?? '').toLowerCase();
    headers.set(last, m[2] ?? '');
  }
  for (const [key, name] of [['from', 'From:'], ['date', 'Date:']] as const)
    if (!headers.has(key)) fail('headers', `no ${name} header`);

  const rawSubject = headers.get('subject');
  const sm = rawSubject === undefined ? null : SUBJECT.exec(rawSubject);
  if (rawSubject === undefined) fail('subject', 'no Subject: header');
  else if (!sm) fail('subject', `Subject is not "[PATCH n/m] <summary>": ${JSON.stringify(rawSubject)}`);
  const number = sm?.[1] !== undefined ? { n: Number(sm[1]), m: Number(sm[2]) } : null;
  if (number && (number.n < 1 || number.n > number.m)) fail('subject', `[PATCH ${number.n}/${number.m}] is out of range`);

  // Body: from the blank line after the headers to the "---" line.
  i++;
  const bodyStart = i;
  while (i < lines.length && lines[i] !== '---') i++;
  const body = lines.slice(bodyStart, i);
  if (i >= lines.length) fail('separator', 'no "---" line between the message and the diffstat');
  if (!body.some((l) => l.trim() !== '')) fail('body', 'the commit message has no body explaining the change');
  const lastParagraph = body.join('\n').trimEnd().split(/\n\s*\n/).at(-1) ?? '';
  const trailers = lastParagraph.split('\n').filter((l) => TRAILER.test(l));
  if (!trailers.some((t) => /^assisted-by: /i.test(t))) fail('trailer', 'no Assisted-by: trailer');
  i++;

  const stat = readDiffstat(lines, i, fail);
  i = stat.next;
  const diff = readDiffSections(lines, i, fail);
  i = diff.next;
  compareDiffstat(stat, diff.files, fail);

  let version: string | null = null;
  if (lines[i] !== '-- ') fail('signature', `expected the "-- " signature line at line ${i + 1}, found ${JSON.stringify(lines[i] ?? '<end of file>')}`);
  else {
    version = lines[i + 1] ?? '';
    if (!/^\d+\.\d+/.test(version)) fail('signature', `the signature has no git version line: ${JSON.stringify(version)}`);
  }

  const subject = sm?.[3] ?? null;
  return { patch: { sha, headers, subject, number, body, trailers, files: diff.files, version }, problems };
}

interface Diffstat {
  readonly entries: readonly { readonly name: string; readonly changes: number | null }[];
  readonly summary: { readonly files: number; readonly added: number; readonly removed: number } | null;
  readonly next: number;
}

function readDiffstat(lines: readonly string[], start: number, fail: (c: PatchCheck, d: string) => void): Diffstat {
  const entries: { name: string; changes: number | null }[] = [];
  let summary: Diffstat['summary'] = null;
  let i = start;
  for (; i < lines.length && !DIFF_GIT.test(lines[i] ?? '') && lines[i] !== '-- '; i++) {
    const line = lines[i] ?? '';
    const s = STAT_LINE.exec(line);
    const t = STAT_SUMMARY.exec(line);
    if (s) entries.push({ name: s[1] ?? '', changes: s[2] === undefined ? null : Number(s[2]) });
    else if (t) summary = { files: Number(t[1]), added: Number(t[2] ?? 0), removed: Number(t[3] ?? 0) };
    else if (line !== '' && !STAT_MODE.test(line)) fail('diffstat', `line ${i + 1} is not part of a diffstat: ${JSON.stringify(line)}`);
  }
  if (entries.length === 0) fail('diffstat', 'no diffstat after the "---" line');
  if (summary === null) fail('diffstat', 'no "N files changed" summary line');
  return { entries, summary, next: i };
}

function readDiffSections(
  lines: readonly string[],
  start: number,
  fail: (c: PatchCheck, d: string) => void,
): { files: FileDiff[]; next: number } {
  const files: FileDiff[] = [];
  let i = start;
  if (!DIFF_GIT.test(lines[i] ?? '')) fail('diff', 'no "diff --git" section');
  while (i < lines.length) {
    const m = DIFF_GIT.exec(lines[i] ?? '');
    if (!m) break;
    const header = i + 1;
    i++;
    let oldPath: string | null = m[1] ?? null;
    let newPath: string | null = m[2] ?? null;
    let binary = false;
    // Extended headers (new file mode, index, rename from, ...) up to "---"/"+++" or the next section.
    while (i < lines.length && !/^(?:--- |diff --git |-- $)/.test(lines[i] ?? '')) {
      if (/^(?:Binary files |GIT binary patch)/.test(lines[i] ?? '')) binary = true;
      i++;
    }
    let added = 0;
    let removed = 0;
    if ((lines[i] ?? '').startsWith('--- ')) {
      if ((lines[i] ?? '') === '--- /dev/null') oldPath = null;
      if (!(lines[i + 1] ?? '').startsWith('+++ ')) fail('diff', `line ${i + 2}: "---" is not followed by "+++"`);
      else if (lines[i + 1] === '+++ /dev/null') newPath = null;
      i += 2;
      if (!HUNK.test(lines[i] ?? '')) fail('hunks', `section at line ${header} has no hunk`);
      while (HUNK.test(lines[i] ?? '')) {
        const h = readHunk(lines, i, fail);
        added += h.added;
        removed += h.removed;
        i = h.next;
      }
    }
    const path = newPath ?? oldPath;
    if (path === null) fail('diff', `section at line ${header} has neither an old nor a new path`);
    else files.push({ path, added, removed, binary });
    if (i < lines.length && !/^(?:diff --git |-- $)/.test(lines[i] ?? '')) {
      fail('hunks', `line ${i + 1}: unexpected ${JSON.stringify(lines[i])} after the hunks of ${path ?? '?'}`);
      while (i < lines.length && !/^(?:diff --git |-- $)/.test(lines[i] ?? '')) i++;
    }
  }
  return { files, next: i };
}

/** Consume one hunk exactly as its @@ line counts say; report any disagreement. */
function readHunk(
  lines: readonly string[],
  start: number,
  fail: (c: PatchCheck, d: string) => void,
): { added: number; removed: number; next: number } {
  const m = HUNK.exec(lines[start] ?? '');
  const where = `hunk at line ${start + 1} (${(lines[start] ?? '').split(' @@')[0] ?? ''} @@)`;
  let oldLeft = Number(m?.[2] ?? 1);
  let newLeft = Number(m?.[4] ?? 1);
  let added = 0;
  let removed = 0;
  let i = start + 1;
  while (oldLeft > 0 || newLeft > 0) {
    const line = lines[i];
    if (line === undefined || (i === lines.length - 1 && line === '')) {
      fail('hunks', `${where} is truncated: the file ends ${oldLeft} old / ${newLeft} new lines early`);
      return { added, removed, next: lines.length };
    }
    const c = line[0];
    if (c === '\\') {
      i++;
      continue;
    }
    if ((c === ' ' || c === '-') && oldLeft === 0) break;
    if ((c === ' ' || c === '+') && newLeft === 0) break;
    if (c === ' ') {
      oldLeft--;
      newLeft--;
    } else if (c === '-') {
      oldLeft--;
      removed++;
    } else if (c === '+') {
      newLeft--;
      added++;
    } else break;
    i++;
  }
  if (oldLeft > 0 || newLeft > 0) {
    fail('hunks', `${where}: its lines do not add up to the header's counts (${oldLeft} old / ${newLeft} new left at line ${i + 1})`);
    return { added, removed, next: i };
  }
  while ((lines[i] ?? '').startsWith('\\')) i++;
  const after = lines[i];
  if (after !== undefined && isHunkLine(after)) {
    fail('hunks', `${where} has more lines than the header's counts: line ${i + 1} ${JSON.stringify(after)}`);
    while (isHunkLine(lines[i] ?? '')) i++; // resynchronise at the next hunk, section or signature
  }
  return { added, removed, next: i };
}

/** A context, removal or addition line, as opposed to a hunk header, a section start or the signature. */
function isHunkLine(line: string): boolean {
  return /^[ +\\-]/.test(line) && line !== '-- ';
}

function compareDiffstat(stat: Diffstat, files: readonly FileDiff[], fail: (c: PatchCheck, d: string) => void): void {
  if (stat.entries.length !== files.length)
    fail('diffstat', `the diffstat lists ${stat.entries.length} files, the diff has ${files.length} sections`);
  for (const e of stat.entries) {
    if (e.name.includes(' => ')) continue; // renames are abbreviated as {a => b}
    const suffix = e.name.startsWith('...') ? e.name.slice(3) : null;
    const f = files.find((x) => (suffix === null ? x.path === e.name : x.path.endsWith(suffix)));
    if (!f) fail('diffstat', `the diffstat lists ${e.name}, which has no diff section`);
    else if (e.changes !== null && !f.binary && e.changes !== f.added + f.removed)
      fail('diffstat', `the diffstat says ${e.changes} changed lines in ${e.name}, the hunks have ${f.added + f.removed}`);
  }
  const s = stat.summary;
  if (s === null) return;
  const added = files.reduce((n, f) => n + f.added, 0);
  const removed = files.reduce((n, f) => n + f.removed, 0);
  if (s.files !== files.length || s.added !== added || s.removed !== removed)
    fail(
      'diffstat',
      `summary says ${s.files} files, +${s.added} -${s.removed}; the diff has ${files.length} files, +${added} -${removed}`,
    );
}
