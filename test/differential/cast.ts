/**
 * Who acts in the differential test, and the tree every sequence starts from. Paths are model paths;
 * the oracle maps them under a fresh directory on the real file system.
 */
import { creds, ROOT, type Creds, type TreeEntry } from '../../model/fs/index.js';

export const CAST = {
  root: ROOT,
  alice: creds(30001, 30000, [30000], 0o022),
  bob: creds(30002, 30000, [30000, 30010], 0o002),
  carol: creds(30003, 30003, [30003], 0o077),
} as const satisfies Record<string, Creds>;

export type Who = keyof typeof CAST;
export const WHO: readonly Who[] = ['root', 'alice', 'bob', 'carol'];

const d = (path: string, mode: number, uid: number, gid: number): TreeEntry => ({ path, kind: 'dir', mode, uid, gid });
const f = (path: string, mode: number, uid: number, gid: number, content: string): TreeEntry =>
  ({ path, kind: 'file', mode, uid, gid, content });
const l = (path: string, target: string, uid: number, gid: number): TreeEntry =>
  ({ path, kind: 'symlink', mode: 0o777, uid, gid, content: target });

/**
 * A sticky group-writable store, a setgid directory, non-writable (0555) directories, a 0700 home,
 * files of several owners and modes (setuid, setgid), and symlinks: one out of its subtree and back
 * in, one to itself, one dangling, one in a sticky world-writable directory owned by someone else.
 * No symlink target contains `..` or resolves to `/`, so a path can never climb out of the test root.
 */
export const INITIAL_TREE: readonly TreeEntry[] = [
  d('/', 0o755, 0, 0),
  d('/nix', 0o755, 0, 0),
  d('/nix/store', 0o1775, 0, 30000),
  d('/nix/store/aaa-foo', 0o555, 30001, 30000),
  f('/nix/store/aaa-foo/f', 0o444, 30001, 30000, 'foo'),
  d('/nix/store/bbb-bar', 0o755, 30002, 30000),
  f('/nix/store/bbb-bar/x', 0o644, 30002, 30000, 'bar'),
  f('/nix/store/ccc-suid', 0o4755, 0, 0, 'suid'),
  f('/nix/store/ddd-sgid', 0o2775, 30001, 30000, 'sgid'),
  d('/nix/var', 0o2775, 0, 30000),
  d('/nix/var/log', 0o755, 30001, 30000),
  l('/nix/var/self', 'self', 0, 30000),
  f('/nix/var/f', 0o664, 30002, 30000, 'var'),
  d('/tmp', 0o1777, 0, 0),
  f('/tmp/a-file', 0o600, 30001, 30000, 'secret'),
  f('/tmp/b-file', 0o666, 30002, 30000, 'open'),
  f('/tmp/c-suid', 0o6777, 30003, 30003, 'x'),
  d('/tmp/bob-dir', 0o755, 30002, 30000),
  l('/tmp/link-b', '/tmp/b-file', 30002, 30000),
  d('/home', 0o755, 0, 0),
  d('/home/alice', 0o700, 30001, 30000),
  f('/home/alice/notes', 0o600, 30001, 30000, 'n'),
  l('/home/alice/store', '/nix/store', 30001, 30000),
  d('/home/bob', 0o750, 30002, 30000),
  l('/home/bob/dangling', '/nix/store/missing', 30002, 30000),
  l('/home/bob/rel', 'dangling', 30002, 30000),
  d('/home/carol', 0o755, 30003, 30003),
  d('/home/carol/ro', 0o555, 30003, 30003),
  f('/home/carol/ro/file', 0o644, 30003, 30003, 'ro'),
  d('/shared', 0o2770, 0, 30000),
  f('/shared/g', 0o2660, 30001, 30000, 'g'),
];
