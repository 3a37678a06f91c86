/**
 * changedSince walks two states at once instead of diffing their tree() listings: it must name
 * exactly the paths the listing diff names, whatever syscalls ran in between. `has` answers whether
 * a tree() listing would be empty without building it.
 */
import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { createKernel, populateOrThrow, type TreeEntry } from '../../model/fs/index.js';
import { sequenceArb } from '../arbitraries/fs-ops.js';
import { INITIAL_TREE } from '../differential/cast.js';
import { runModel } from '../differential/ops.js';

function listingDiff(before: readonly TreeEntry[], after: readonly TreeEntry[]): string[] {
  const key = (e: TreeEntry): string => `${e.kind}|${String(e.mode)}|${String(e.uid)}|${String(e.gid)}|${e.content ?? ''}`;
  const b = new Map(before.map((e) => [e.path, key(e)]));
  const a = new Map(after.map((e) => [e.path, key(e)]));
  const out = new Set<string>();
  for (const [p, k] of b) if (a.get(p) !== k) out.add(p);
  for (const p of a.keys()) if (!b.has(p)) out.add(p);
  return [...out].sort();
}

const ROOTS = [['/'], ['/nix/store', '/tmp'], ['/home/alice'], ['/missing']];

describe('changedSince', () => {
  it.prop([sequenceArb, sequenceArb, fc.constantFrom(...ROOTS)], { numRuns: 300 })(
    'should name the paths a diff of the two tree() listings names',
    (setup, ops, roots) => {
      const k = createKernel();
      populateOrThrow(k, INITIAL_TREE);
      for (const o of setup) runModel(k, o);
      const before = k.snapshot();
      const listed = roots.flatMap((r) => k.tree(r));
      for (const o of ops) runModel(k, o);
      expect(k.changedSince(before, roots)).toEqual(listingDiff(listed, roots.flatMap((r) => k.tree(r))));
    },
  );

  it('should see a chmod and a new file, and nothing when nothing changed', () => {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    const before = k.snapshot();
    expect(k.changedSince(before, ['/'])).toEqual([]);
    k.chmod({ uid: 0, gid: 0, groups: [], umask: 0o022 }, '/tmp', 0o700);
    k.writeFile({ uid: 0, gid: 0, groups: [], umask: 0o022 }, '/tmp/fresh', 'x');
    expect(k.changedSince(before, ['/'])).toEqual(['/tmp', '/tmp/fresh']);
  });
});

describe('has', () => {
  const PATHS = ['/', '/nix', '/nix/store', '/nix/var/self', '/home/bob/dangling', '/home/carol/ro/file', '/home/alice/store/x', '/tmp', '/tmp/', '/tmp/x', '/home/alice/.', '/missing', '/tmp/../tmp', ''];
  it.prop([sequenceArb, fc.constantFrom(...PATHS)], { numRuns: 300 })('should say whether tree() of the path lists anything', (ops, path) => {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    for (const o of ops) runModel(k, o);
    expect(k.has(path)).toBe(k.tree(path).length > 0);
  });
});
