import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { VARIANT_SLUGS } from '../../../model/nix/index.js';
import { checkPatchesStructure, formatReport, type Report } from '../../../sim/patches/check.js';
import { makeFixture, writePatchDir, type Fixture } from './fixture.js';

const root = join(import.meta.dirname, '..', '..', '..');
const VARIANTS = ['upstream', 'say-hello'];
const NAME = '0001-say-hello.patch';

let fx: Fixture;
const dirs: string[] = [];

beforeAll(() => {
  fx = makeFixture();
});
afterAll(() => {
  fx.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dirWith(patch: string, extra: Partial<Parameters<typeof writePatchDir>[0]> = {}): string {
  const dir = writePatchDir({
    patches: { [NAME]: patch },
    declarations: { '0001-say-hello': { subject: fx.subject, files: ['greeting.txt', 'new.txt'] } },
    ...extra,
  });
  dirs.push(dir);
  return dir;
}

function failures(r: Report, patch: string): string[] {
  return r.items.filter((i) => !i.ok && i.patch === patch).map((i) => `${i.check}: ${i.detail}`);
}

describe('checkPatchesStructure: git format-patch output', () => {
  it('should pass a well-formed patch that README and series declare', () => {
    const r = checkPatchesStructure(dirWith(fx.patch), VARIANTS);
    expect(r.ok, formatReport(r)).toBe(true);
    expect(r.items.some((i) => i.patch === NAME && i.check === 'hunks' && i.ok)).toBe(true);
  });

  it('should fail a truncated hunk, naming the patch', () => {
    const cut = fx.patch.slice(0, fx.patch.indexOf('+hello') + '+hello'.length) + '\n';
    const r = checkPatchesStructure(dirWith(cut), VARIANTS);
    expect(r.ok).toBe(false);
    expect(failures(r, NAME).join('\n')).toMatch(/hunks: .*truncated/);
  });

  it('should fail a hunk whose @@ line count disagrees with its lines, naming the patch', () => {
    const wrong = fx.patch.replace(/^@@ -1,5 \+1,6 @@/m, '@@ -1,5 +1,7 @@');
    expect(wrong).not.toBe(fx.patch);
    const r = checkPatchesStructure(dirWith(wrong), VARIANTS);
    expect(r.ok).toBe(false);
    expect(failures(r, NAME).join('\n')).toMatch(/hunks: .*lines do not add up to the header's counts/);
  });

  it('should fail a hunk with more lines than its header says', () => {
    const extra = fx.patch.replace('+hello\n', '+hello\n+again\n');
    const r = checkPatchesStructure(dirWith(extra), VARIANTS);
    expect(failures(r, NAME).join('\n')).toMatch(/hunks: .*lines do not add up to the header's counts/);
  });

  it('should fail extra lines after a hunk whose counts are satisfied', () => {
    const extra = fx.patch.replace(' epsilon\n', ' epsilon\n+omega\n');
    const r = checkPatchesStructure(dirWith(extra), VARIANTS);
    expect(failures(r, NAME).join('\n')).toMatch(/hunks: .*more lines than the header's counts: line \d+ "\+omega"/);
  });

  it('should fail a patch without a Subject header, naming the patch', () => {
    const noSubject = fx.patch.replace(/^Subject: .*\n(?:[ \t].*\n)*/m, '');
    const r = checkPatchesStructure(dirWith(noSubject), VARIANTS);
    expect(r.ok).toBe(false);
    const f = failures(r, NAME).join('\n');
    expect(f).toMatch(/subject: no Subject: header/);
    expect(f).toMatch(/readme-subject/);
  });

  it('should fail a patch whose diffstat disagrees with its hunks', () => {
    const r = checkPatchesStructure(dirWith(fx.patch.replace(/greeting\.txt \| 1 \+/, 'greeting.txt | 3 +')), VARIANTS);
    expect(failures(r, NAME).join('\n')).toMatch(/diffstat: .*3 changed lines in greeting\.txt, the hunks have 1/);
  });

  it('should fail a patch without the "-- " signature', () => {
    const r = checkPatchesStructure(dirWith(fx.patch.replace(/^-- \n.*\n$/m, '')), VARIANTS);
    expect(failures(r, NAME).join('\n')).toMatch(/signature/);
  });

  it('should fail a patch without an Assisted-by trailer', () => {
    const r = checkPatchesStructure(dirWith(fx.patch.replace(/^Assisted-by: .*\n/m, '')), VARIANTS);
    expect(failures(r, NAME).join('\n')).toMatch(/trailer: no Assisted-by/);
  });
});

describe('checkPatchesStructure: slugs, series and README', () => {
  it('should fail a slug that is not a model variant, naming the patch', () => {
    const r = checkPatchesStructure(dirWith(fx.patch), ['upstream', 'something-else']);
    expect(r.ok).toBe(false);
    expect(failures(r, NAME).join('\n')).toMatch(/variant: slug say-hello is not a model variant/);
  });

  it('should accept a slug given as patch-NNNN-<slug>', () => {
    expect(checkPatchesStructure(dirWith(fx.patch), ['upstream', 'patch-0001-say-hello']).ok).toBe(true);
  });

  it('should fail when series and the README table disagree on the order, naming the patches', () => {
    const second = fx.patch.replace('[PATCH]', '[PATCH 2/2]');
    const first = fx.patch.replace('[PATCH]', '[PATCH 1/2]');
    const decl = { subject: fx.subject, files: ['greeting.txt', 'new.txt'] };
    const dir = writePatchDir({
      patches: { '0001-say-hello.patch': first, '0002-say-hello-again.patch': second },
      tableRows: ['0002-say-hello-again', '0001-say-hello'],
      declarations: { '0001-say-hello': decl, '0002-say-hello-again': decl },
    });
    dirs.push(dir);
    const r = checkPatchesStructure(dir, [...VARIANTS, 'say-hello-again']);
    expect(r.ok).toBe(false);
    expect(failures(r, '0001-say-hello.patch').join('\n')).toMatch(/readme-table: series position 1, README table position 2/);
    expect(failures(r, '0002-say-hello-again.patch').join('\n')).toMatch(/readme-table/);
  });

  it('should fail a patch that is in the README table but not in series', () => {
    const r = checkPatchesStructure(dirWith(fx.patch, { series: [], tableRows: ['0001-say-hello'] }), VARIANTS);
    expect(r.ok).toBe(false);
    const f = failures(r, NAME).join('\n');
    expect(f).toMatch(/series: not listed in series/);
    expect(f).toMatch(/readme-table: README table lists 0001-say-hello in the series, series does not/);
  });

  it('should fail when the README declares other files than the patch touches', () => {
    const r = checkPatchesStructure(
      dirWith(fx.patch, { declarations: { '0001-say-hello': { subject: fx.subject, files: ['greeting.txt', 'other.txt'] } } }),
      VARIANTS,
    );
    expect(failures(r, NAME).join('\n')).toMatch(/readme-files: touched but not declared: new\.txt; declared but not touched: other\.txt/);
  });

  it('should fail when the README declares another subject', () => {
    const r = checkPatchesStructure(dirWith(fx.patch, { declarations: { '0001-say-hello': { subject: 'libfoo: something else', files: ['greeting.txt', 'new.txt'] } } }), VARIANTS);
    expect(failures(r, NAME).join('\n')).toMatch(/readme-subject: README declares "libfoo: something else"/);
  });
});

describe('checkPatchesStructure on the project patches/', () => {
  it('should find the real series well-formed and consistent with README.md and the model variants', () => {
    const r = checkPatchesStructure(join(root, 'patches'), ['upstream', ...VARIANT_SLUGS]);
    expect(r.ok, formatReport({ ok: r.ok, items: r.items.filter((i) => !i.ok) })).toBe(true);
    const patches = new Set(r.items.map((i) => i.patch));
    expect(patches).toContain('0001-prepare-deletes-stale-scratch.patch');
    expect(patches).toContain('not-in-series/0001-cleanup-deletes-scratch.patch');
    expect(patches).toContain('backport-2.34/0003-store-delete-explains.patch');
  });
});
