/**
 * Checks structured citations (model/nix/citations.ts) against the text of upstream files: the
 * quoted code is on the cited line, and the line lies inside a definition of the cited function.
 * Pure: the caller reads the files (sim/citations-command.ts reads them with git).
 *
 * Finding a C++ definition without a compiler rests on how NixOS/nix is written (clang-format,
 * one definition per name token): a name followed by a parameter list, then only qualifiers, a
 * trailing return type or a constructor's initialiser list, then `{`. Comments and string literals
 * are blanked first, and each `#if` branch is read in a pass of its own, so braces match.
 */
import type { Citation } from '../model/nix/index.js';

/** A definition's extent, 1-based and inclusive: from its first line (return type included) to its closing brace. */
export interface Span {
  readonly from: number;
  readonly to: number;
}

/** A citation found wrong, with what is there instead. */
export interface Wrong {
  readonly key: string;
  readonly cite: Citation;
  readonly why: string;
}

/** Whitespace-insensitive: clang-format may rewrap, a quote should not depend on it. */
function norm(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Per line: the index of the `#if` group branch it is in, for each enclosing group (outermost first), and each group's branch count. */
function branches(lines: readonly string[]): { path: (readonly (readonly [number, number])[])[]; counts: number[] } {
  const counts: number[] = [];
  const stack: [number, number][] = [];
  const path: (readonly (readonly [number, number])[])[] = [];
  for (const line of lines) {
    const d = /^\s*#\s*(\w+)/.exec(line)?.[1];
    if (d === 'if' || d === 'ifdef' || d === 'ifndef') {
      counts.push(1);
      stack.push([counts.length - 1, 0]);
    } else if ((d === 'elif' || d === 'else') && stack.length > 0) {
      const top = stack[stack.length - 1] ?? [0, 0];
      counts[top[0]] = (counts[top[0]] ?? 1) + 1;
      stack[stack.length - 1] = [top[0], top[1] + 1];
    } else if (d === 'endif') stack.pop();
    path.push(stack.map(([g, b]) => [g, b] as const));
  }
  return { path, counts };
}

/**
 * The text with comments, string and character literal contents and preprocessor lines replaced
 * by spaces, line structure kept. Of each `#if` group only branch `view` is kept (its last branch
 * if it has fewer), so braces balance within one platform's reading; the caller reads every view.
 */
function codeOnly(text: string, view: number): string[] {
  const lines = text.split('\n');
  const { path, counts } = branches(lines);
  const out: string[] = [];
  let inBlock = false;
  for (const [n, line] of lines.entries()) {
    const kept = (path[n] ?? []).every(([g, b]) => b === Math.min(view, (counts[g] ?? 1) - 1));
    if ((!inBlock && /^\s*#/.test(line)) || !kept) {
      out.push('');
      continue;
    }
    let code = '';
    let i = 0;
    while (i < line.length) {
      if (inBlock) {
        const end = line.indexOf('*/', i);
        if (end < 0) {
          code += ' '.repeat(line.length - i);
          i = line.length;
        } else {
          code += ' '.repeat(end + 2 - i);
          i = end + 2;
          inBlock = false;
        }
        continue;
      }
      const c = line[i] ?? '';
      if (line.startsWith('//', i)) {
        code += ' '.repeat(line.length - i);
        break;
      }
      if (line.startsWith('/*', i)) {
        inBlock = true;
        code += '  ';
        i += 2;
        continue;
      }
      if (c === '"' || c === "'") {
        let j = i + 1;
        while (j < line.length && line[j] !== c) j += line[j] === '\\' ? 2 : 1;
        code += c + ' '.repeat(Math.max(0, Math.min(j, line.length) - i - 1)) + (j < line.length ? c : '');
        i = j + 1;
        continue;
      }
      code += c;
      i++;
    }
    out.push(code);
  }
  return out;
}

/** How many readings of the file's `#if` groups codeOnly needs: the most branches any group has. */
function viewCount(text: string): number {
  return Math.max(1, ...branches(text.split('\n')).counts);
}

/** Where the bracket opened at (line, col) closes, or null. */
function closing(code: readonly string[], line: number, col: number): { line: number; col: number } | null {
  const open = code[line]?.[col] ?? '';
  const close = open === '(' ? ')' : open === '{' ? '}' : open === '[' ? ']' : '';
  let depth = 0;
  for (let l = line; l < code.length; l++) {
    const s = code[l] ?? '';
    for (let c = l === line ? col : 0; c < s.length; c++) {
      if (s[c] === open) depth++;
      else if (s[c] === close && --depth === 0) return { line: l, col: c };
    }
  }
  return null;
}

/** The first non-blank character at or after (line, col), across lines. */
function nextChar(code: readonly string[], line: number, col: number): { line: number; col: number; ch: string } | null {
  for (let l = line; l < code.length; l++) {
    const s = code[l] ?? '';
    for (let c = l === line ? col : 0; c < s.length; c++) if (!/\s/.test(s[c] ?? '')) return { line: l, col: c, ch: s[c] ?? '' };
  }
  return null;
}

/** Text from (line, col) up to the first `{` or `;` outside brackets, with where it stopped. */
function upToBody(code: readonly string[], line: number, col: number): { text: string; at: { line: number; col: number; ch: string } } | null {
  let text = '';
  let depth = 0;
  for (let l = line; l < code.length; l++) {
    const s = code[l] ?? '';
    for (let c = l === line ? col : 0; c < s.length; c++) {
      const ch = s[c] ?? '';
      if (depth === 0 && (ch === '{' || ch === ';')) return { text, at: { line: l, col: c, ch } };
      if (ch === '(' || ch === '<') depth++;
      else if ((ch === ')' || ch === '>') && !(ch === '>' && s[c - 1] === '-') && --depth < 0) return null;
      text += ch;
    }
    text += ' ';
  }
  return null;
}

/** Skips a constructor's initialiser list (`: a(x), b{y}`) starting at the colon; returns where the body brace is, or null. */
function afterInitialisers(code: readonly string[], line: number, col: number): { line: number; col: number } | null {
  let at: { line: number; col: number } = { line, col: col + 1 };
  for (;;) {
    const n = nextChar(code, at.line, at.col);
    if (!n) return null;
    if (n.ch === '{') return n;
    const s = code[n.line] ?? '';
    const m = /^[\w:<>]+/.exec(s.slice(n.col));
    if (!m) return null;
    const open = nextChar(code, n.line, n.col + m[0].length);
    if (!open || (open.ch !== '(' && open.ch !== '{')) return null;
    const close = closing(code, open.line, open.col);
    if (!close) return null;
    const sep = nextChar(code, close.line, close.col + 1);
    if (!sep) return null;
    if (sep.ch === ',') at = { line: sep.line, col: sep.col + 1 };
    else if (sep.ch === '{') return sep;
    else return null;
  }
}

/** What may stand between a parameter list and the body of a definition. */
const QUALIFIERS = /^(?:\s|\bconst\b|\boverride\b|\bfinal\b|\bnoexcept\b|\bmutable\b|\btry\b|->\s*[\w:<>,*&\s]+)*$/;

/** The line a definition starts on: its name line, extended upward over a return type on lines of its own. */
function definitionStart(code: readonly string[], nameLine: number): number {
  let l = nameLine;
  while (l > 0) {
    const prev = (code[l - 1] ?? '').trim();
    if (prev === '' || /[;{},:]$/.test(prev)) break;
    l--;
  }
  return l;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every extent in which `name` (a function, a named lambda, or a struct/class/namespace) is defined. */
function extentsOf(code: readonly string[], name: string): Span[] {
  const spans: Span[] = [];
  const id = escape(name).replace(/::/g, '\\s*::\\s*');
  const fnRe = new RegExp(`(?<![\\w:~])${id}\\s*\\(`, 'g');
  const lambdaRe = new RegExp(`(?<![\\w:])${id}\\s*=\\s*\\[`, 'g');
  const typeRe = new RegExp(`\\b(?:struct|class|namespace)\\s+${id}\\b`, 'g');
  const bodyFrom = (nameLine: number, brace: { line: number; col: number }): void => {
    const end = closing(code, brace.line, brace.col);
    if (end) spans.push({ from: definitionStart(code, nameLine) + 1, to: end.line + 1 });
  };
  for (let l = 0; l < code.length; l++) {
    const s = code[l] ?? '';
    for (const m of s.matchAll(fnRe)) {
      const paren = (m.index ?? 0) + m[0].length - 1;
      const close = closing(code, l, paren);
      if (!close) continue;
      const n = nextChar(code, close.line, close.col + 1);
      if (n?.ch === ':' && (code[n.line] ?? '')[n.col + 1] !== ':') {
        const brace = afterInitialisers(code, n.line, n.col);
        if (brace) bodyFrom(l, brace);
        continue;
      }
      const rest = upToBody(code, close.line, close.col + 1);
      if (rest?.at.ch === '{' && QUALIFIERS.test(rest.text)) bodyFrom(l, rest.at);
    }
    for (const m of s.matchAll(lambdaRe)) {
      const bracket = (m.index ?? 0) + m[0].length - 1;
      const captured = closing(code, l, bracket);
      if (!captured) continue;
      let n = nextChar(code, captured.line, captured.col + 1);
      if (n?.ch === '(') {
        const params = closing(code, n.line, n.col);
        n = params ? nextChar(code, params.line, params.col + 1) : null;
      }
      if (!n) continue;
      const rest = upToBody(code, n.line, n.col);
      if (rest?.at.ch === '{' && QUALIFIERS.test(rest.text)) bodyFrom(l, rest.at);
    }
    for (const m of s.matchAll(typeRe)) {
      const rest = upToBody(code, l, (m.index ?? 0) + m[0].length);
      if (rest?.at.ch === '{') bodyFrom(l, rest.at);
    }
  }
  return spans;
}

/**
 * Where `fn` is defined in the file: `name`, `Scope::name` (written so, or `name` defined inside a
 * struct, class or namespace `Scope`), a named lambda (`auto name = [...](...) {`), or a type.
 */
export function definitionsOf(text: string, fn: string): Span[] {
  const spans: Span[] = [];
  const parts = fn.split('::');
  const scope = parts.slice(0, -1).join('::');
  const inner = parts[parts.length - 1] ?? '';
  for (let view = 0; view < viewCount(text); view++) {
    const code = codeOnly(text, view);
    spans.push(...extentsOf(code, fn));
    if (parts.length < 2) continue;
    const scopes = extentsOf(code, scope);
    spans.push(...extentsOf(code, inner).filter((d) => scopes.some((sc) => sc.from < d.from && d.to <= sc.to)));
  }
  // a definition outside every #if group is found once per reading
  const unique = new Map(spans.map((d) => [`${String(d.from)}-${String(d.to)}`, d]));
  return [...unique.values()].sort((x, y) => x.from - y.from);
}

/** What is wrong with one citation against its file's text (undefined: the file does not exist), or null. */
export function checkCitation(cite: Citation, text: string | undefined): string | null {
  if (text === undefined) return `src/${cite.file} does not exist`;
  const lines = text.split('\n');
  const quoteAt = (quote: string): number[] => lines.flatMap((l, i) => (norm(l).includes(norm(quote)) ? [i + 1] : []));
  const problems: string[] = [];
  const ends = cite.to ? [{ line: cite.line, quote: cite.quote }, cite.to] : [{ line: cite.line, quote: cite.quote }];
  for (const { line, quote } of ends) {
    if (norm(quote) === '') problems.push(`l.${String(line)}: empty quote`);
    else if (line < 1 || line > lines.length) problems.push(`l.${String(line)} is past the end (${String(lines.length)} lines)`);
    else if (!norm(lines[line - 1] ?? '').includes(norm(quote))) {
      const elsewhere = quoteAt(quote);
      const found = elsewhere.length === 0 ? 'nowhere in the file' : `at l.${elsewhere.slice(0, 5).join(', l.')}`;
      problems.push(`l.${String(line)} is ${JSON.stringify(norm(lines[line - 1] ?? ''))}, not ${JSON.stringify(norm(quote))} (that is ${found})`);
    }
  }
  const last = cite.to?.line ?? cite.line;
  if (cite.to && cite.to.line <= cite.line) problems.push(`the range l.${String(cite.line)}-${String(cite.to.line)} is empty`);
  const defs = definitionsOf(text, cite.fn);
  if (defs.length === 0) problems.push(`no definition of ${cite.fn}`);
  else if (!defs.some((d) => d.from <= cite.line && last <= d.to)) {
    const where = defs.map((d) => `l.${String(d.from)}-${String(d.to)}`).join(', ');
    problems.push(`l.${String(cite.line)}${cite.to ? `-${String(last)}` : ''} is outside ${cite.fn} (${where})`);
  }
  return problems.length === 0 ? null : problems.join('; ');
}

/** Checks every citation of a table; `read` gives a file's text (path under src/) or undefined. */
export function checkTable(table: Readonly<Record<string, readonly Citation[]>>, read: (file: string) => string | undefined): { checked: number; files: number; wrong: Wrong[] } {
  const cache = new Map<string, string | undefined>();
  const text = (file: string): string | undefined => {
    if (!cache.has(file)) cache.set(file, read(file));
    return cache.get(file);
  };
  const wrong: Wrong[] = [];
  let checked = 0;
  for (const [key, cites] of Object.entries(table)) {
    for (const cite of cites) {
      checked++;
      const why = checkCitation(cite, text(cite.file));
      if (why !== null) wrong.push({ key, cite, why });
    }
  }
  return { checked, files: cache.size, wrong };
}

/** One line per wrong citation: key, place, function, what is wrong. */
export function formatWrong(w: Wrong): string {
  const range = w.cite.to ? `${String(w.cite.line)}-${String(w.cite.to.line)}` : String(w.cite.line);
  return `wrong: ${w.key}: src/${w.cite.file}:${range} (${w.cite.fn}): ${w.why}`;
}
