import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const docs = join(import.meta.dirname, '..', '..', 'docs');

/** The hand-written pages of issue #9; generated ones are checked by their own tests. */
const PAGES = ['README.md', 'traces.md', 'lifecycle.md', 'model.md', 'fidelity.md', 'perf.md', 'decisions/0002-one-syscall-per-step.md', 'decisions/0003-the-interrupt-is-an-event.md'];

/** Linked before their authors have committed them: absence is allowed, nothing else. Delete an entry once the file exists. */
const PENDING: ReadonlySet<string> = new Set<string>();

function relativeLinks(md: string): string[] {
  const out: string[] = [];
  for (const m of md.matchAll(/\]\(([^)\s]+)\)/g)) {
    const target = (m[1] ?? '').split('#')[0] ?? '';
    if (target !== '' && !/^[a-z]+:/.test(target)) out.push(target);
  }
  return out;
}

describe('relative links in the docs of issue #9 resolve', () => {
  it.each(PAGES)('%s', (page) => {
    const from = dirname(join(docs, page));
    const missing = relativeLinks(readFileSync(join(docs, page), 'utf8')).filter((t) => !existsSync(join(from, t)) && !PENDING.has(t));
    expect(missing).toEqual([]);
  });
});
