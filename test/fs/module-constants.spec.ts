/**
 * Values a module builds once, when it is loaded: populate's builder credentials (root, umask 0),
 * formatTree's default id printer, the superuser's credentials and the type letters of a mode string. Each test imports a fresh copy of the module, so it sees what the
 * module's load makes now, not a copy an earlier test file loaded (a mutation runner keeps modules
 * loaded between runs).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createKernel } from '../../model/fs/index.js';

beforeEach(() => { vi.resetModules(); });

describe('module constants, freshly loaded', () => {
  it('should build as root with umask 0: modes exactly as listed, under a root-only directory', async () => {
    const { populate } = await import('../../model/fs/populate.js');
    const k = createKernel();
    const r = populate(k, [
      { path: '/', kind: 'dir', mode: 0o700, uid: 0, gid: 0 },
      { path: '/d', kind: 'dir', mode: 0o777, uid: 5, gid: 5 },
      { path: '/d/f', kind: 'file', mode: 0o666, uid: 5, gid: 5, content: 'x' },
    ]);
    expect(r).toEqual({ ok: true, value: undefined });
    expect(k.tree().map((e) => [e.path, e.mode, e.uid])).toEqual([['/', 0o700, 0], ['/d', 0o777, 5], ['/d/f', 0o666, 5]]);
  });

  it('should print numeric ids when no names are given', async () => {
    const { formatTree } = await import('../../model/fs/print.js');
    expect(formatTree([{ path: '/x', kind: 'file', mode: 0o644, uid: 30001, gid: 30000, content: '' }]))
      .toEqual(['-rw-r--r--  30001:30000  /x']);
  });

  it('should give the superuser uid 0, gid 0, group 0 and umask 022, frozen', async () => {
    const { ROOT } = await import('../../model/fs/creds.js');
    expect(ROOT).toStrictEqual({ uid: 0, gid: 0, groups: [0], umask: 0o022 });
    expect(Object.isFrozen(ROOT) && Object.isFrozen(ROOT.groups)).toBe(true);
  });

  it('should start a mode string with the kind\'s letter, as ls -l does', async () => {
    const { formatMode } = await import('../../model/fs/mode.js');
    expect([formatMode('file', 0o644), formatMode('dir', 0o755), formatMode('symlink', 0o777)]).toEqual(['-rw-r--r--', 'drwxr-xr-x', 'lrwxrwxrwx']);
  });
});
