/** ls -l rendering of modes and trees, and tree diffs as traces print them. */
import { describe, expect, it } from 'vitest';
import { diffTrees, formatMode, formatOctal, formatTree, type TreeEntry } from '../../model/fs/index.js';

describe('formatOctal', () => {
  it.each([[0o755, '0755'], [0o1775, '01775'], [0o4755, '04755'], [0, '0000'], [0o7, '0007'], [0o644, '0644']] as const)(
    'should print %o as %s', (mode, want) => { expect(formatOctal(mode)).toBe(want); });
});

describe('formatMode', () => {
  it.each([
    ['dir', 0o1775, 'drwxrwxr-t'],
    ['file', 0o444, '-r--r--r--'],
    ['symlink', 0o777, 'lrwxrwxrwx'],
    ['file', 0o6755, '-rwsr-sr-x'],
    ['file', 0o7644, '-rwSr-Sr-T'],
    ['dir', 0o2770, 'drwxrws---'],
    ['dir', 0o1777, 'drwxrwxrwt'],
    ['file', 0, '----------'],
  ] as const)('should render %s %o as %s', (kind, mode, want) => {
    expect(formatMode(kind, mode)).toBe(want);
  });
});

const store: TreeEntry = { path: '/nix/store', kind: 'dir', mode: 0o1775, uid: 0, gid: 30000 };
const foo: TreeEntry = { path: '/nix/store/aaaa-foo', kind: 'dir', mode: 0o555, uid: 30001, gid: 30000 };
const link: TreeEntry = { path: '/nix/var/gcroots', kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: '/nix/store' };

describe('formatTree', () => {
  it('should print mode, owner:group in an aligned column, path and link target', () => {
    const names = (id: number): string => ({ 0: 'root', 30001: 'nixbld1' })[id] ?? String(id);
    const groups = (id: number): string => ({ 0: 'root', 30000: 'nixbld' })[id] ?? String(id);
    expect(formatTree([store, foo, link], names, groups)).toEqual([
      'drwxrwxr-t  root:nixbld     /nix/store',
      'dr-xr-xr-x  nixbld1:nixbld  /nix/store/aaaa-foo',
      'lrwxrwxrwx  root:root       /nix/var/gcroots -> /nix/store',
    ]);
  });

  it('should print numeric ids by default', () => {
    expect(formatTree([store])).toEqual(['drwxrwxr-t  0:30000  /nix/store']);
  });
});

describe('diffTrees', () => {
  it('should list additions, removals and changes sorted by path', () => {
    const changed = { ...foo, mode: 0o755 };
    const added: TreeEntry = { path: '/nix/store/bbbb-bar', kind: 'file', mode: 0o444, uid: 0, gid: 0, content: '' };
    expect(diffTrees([store, foo, link], [store, changed, added])).toEqual([
      { op: '~', entry: changed },
      { op: '+', entry: added },
      { op: '-', entry: link },
    ]);
  });

  it('should report content and link target changes, and nothing for equal trees', () => {
    expect(diffTrees([link], [{ ...link, content: '/elsewhere' }])).toHaveLength(1);
    expect(diffTrees([store, foo], [foo, store])).toEqual([]);
  });
});

describe('diffTrees, each respect and order', () => {
  const at = (path: string, over: Partial<TreeEntry> = {}): TreeEntry => ({ path, kind: 'file', mode: 0o644, uid: 1, gid: 2, content: 'c', ...over });

  it('should sort removals, additions and changes together by path, as strings compare', () => {
    const before = [at('/c'), at('/a'), at('/a/b')];
    const after = [at('/c', { mode: 0o600 }), at('/b'), at('/a-b')];
    expect(diffTrees(before, after).map((c) => `${c.op}${c.entry.path}`)).toEqual(['-/a', '+/a-b', '-/a/b', '+/b', '~/c']);
  });

  it('should keep a path listed twice in its listing order (the sort is stable)', () => {
    const first = at('/x', { mode: 0o600 });
    const second = at('/x', { mode: 0o640 });
    expect(diffTrees([], [first, second])).toEqual([{ op: '+', entry: first }, { op: '+', entry: second }]);
    expect(diffTrees([first, second], [])).toEqual([{ op: '-', entry: first }, { op: '-', entry: second }]);
  });

  it.each([
    ['kind', { kind: 'symlink' }],
    ['mode', { mode: 0o640 }],
    ['owner', { uid: 3 }],
    ['group', { gid: 3 }],
    ['content', { content: 'd' }],
  ] as const)('should report a change of %s alone', (_what, over) => {
    expect(diffTrees([at('/x')], [at('/x', over)])).toEqual([{ op: '~', entry: at('/x', over) }]);
  });
});

describe('formatTree, links without a target', () => {
  it('should print a link listed without content as pointing at the empty string', () => {
    expect(formatTree([{ path: '/l', kind: 'symlink', mode: 0o777, uid: 0, gid: 0 }])).toEqual(['lrwxrwxrwx  0:0  /l -> ']);
  });
});
