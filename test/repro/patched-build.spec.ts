import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { newTestsOf, testId } from '../../scripts/lib/nix-functional-tests.js';
import { BuildInputError, readSeriesPatches, resolveNixSource, stageKey, stagesFor } from '../../scripts/lib/nix-source-build.js';

const SERIES = path.resolve('patches/backport-2.34');
const VARIANTS = { upstream: 'upstream', without: 'without', all: 'recommended' };

describe('the 2.34.8 build stages', () => {
  const series = readSeriesPatches(SERIES);

  it('reads backport-2.34 in series order', () => {
    expect(series.map((p) => p.file.slice(0, 4))).toEqual(['0001', '0002', '0003', '0004', '0005']);
  });

  it('makes unpatched, the series without the store-temp-dir backport, and the whole series', () => {
    const stages = stagesFor(series, 'rewrite-in-store-temp-dir', VARIANTS);
    expect(stages.map((s) => [s.name, s.variant, s.applied.map((p) => p.file.slice(0, 4)).join(' ')])).toEqual([
      ['unpatched', 'upstream', ''],
      ['series-without-0005', 'without', '0001 0002 0003 0004'],
      ['recommended', 'recommended', '0001 0002 0003 0004 0005'],
    ]);
  });

  it('has no middle stage when the series lacks that patch', () => {
    expect(stagesFor(series, 'no-such-patch', VARIANTS).map((s) => s.name)).toEqual(['unpatched', 'recommended']);
  });

  it('keys a stage by the build key, its name and every patch, so a change to any patch rebuilds it', () => {
    const [up, , all] = stagesFor(series, 'rewrite-in-store-temp-dir', VARIANTS);
    if (!up || !all) throw new Error('stages');
    const k = stageKey('b', all, series);
    expect(stageKey('b', all, series)).toBe(k);
    expect(stageKey('c', all, series)).not.toBe(k);
    expect(stageKey('b', up, series)).not.toBe(k);
    const edited = series.map((p, i) => (i === 3 ? { ...p, text: `${p.text}\n` } : p));
    expect(stageKey('b', up, edited)).not.toBe(stageKey('b', up, series)); // the tests of every patch are in every stage
  });

  it('finds the functional tests each patch adds and registers in meson', () => {
    expect(series.map((p) => newTestsOf(p).map(testId))).toEqual([
      ['ca/build-with-stale-scratch-path'],
      ['ca/gc-keeps-scratch-paths'],
      ['main/store-delete-invalid'],
      ['ca/gc-during-registration'],
      ['ca/rewrite-beside-tmp'],
    ]);
  });

  it('does not count a new script that no meson.build registers', () => {
    const p = series[0];
    if (!p) throw new Error('series');
    const unregistered = p.text.replace(/^\+\s+'build-with-stale-scratch-path\.sh',\s*$/m, '');
    expect(newTestsOf({ ...p, text: unregistered })).toEqual([]);
  });

  it('refuses a series file that names a missing patch', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'series-'));
    writeFileSync(path.join(dir, 'series'), '0001-missing.patch\n');
    expect(() => readSeriesPatches(dir)).toThrow(/lists 0001-missing\.patch, which does not exist/);
  });

  it('refuses a --nix-src that is not a git checkout', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nosrc-'));
    expect(() => resolveNixSource(dir)).toThrow(BuildInputError);
    expect(() => resolveNixSource(path.join(dir, 'absent'))).toThrow(/does not exist/);
  });
});
