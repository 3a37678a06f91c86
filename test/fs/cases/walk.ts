/** Path resolution (Linux fs/namei.c:link_path_walk, may_lookup, pick_link) and the read-only calls. */
import type { TreeEntry } from '../../../model/fs/index.js';
import { alice, bob, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

/** /c/t and a chain /c/l1 → t, /c/l2 → l1, … /c/l41 → l40. */
const chain: readonly TreeEntry[] = [
  { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
  { path: '/c', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
  { path: '/c/t', kind: 'file', mode: 0o644, uid: 0, gid: 0, content: 't' },
  ...Array.from({ length: 41 }, (_, i): TreeEntry => ({
    path: `/c/l${i + 1}`, kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: i === 0 ? 't' : `l${i}`,
  })),
];

export const walkRules: readonly RuleGroup[] = [
  {
    describe: 'path walk: search permission',
    cases: [
      { it: 'should fail with EACCES without search permission on a walked directory', steps: [step(bob.stat('/home/alice/notes'), 'EACCES')] },
      { it: 'should let root search any directory (CAP_DAC_READ_SEARCH)', steps: [step(root.stat('/home/alice/notes'), 'ok file 0600 30001:30000 size=1 nlink=1')] },
      {
        it: 'should need search but not read permission to walk',
        steps: [
          step(root.mkdir('/tmp/x', 0o711), 'ok'), step(root.writeFile('/tmp/x/f', 'y'), 'ok'),
          step(alice.stat('/tmp/x/f'), 'ok file 0644 0:0 size=1 nlink=1'), step(alice.readdir('/tmp/x'), 'EACCES'),
        ],
      },
      { it: 'should check search permission inside symlink bodies', steps: [step(bob.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1'), step(root.symlink('/home/alice/notes', '/tmp/l'), 'ok'), step(bob.stat('/tmp/l'), 'EACCES')] },
    ],
  },
  {
    describe: 'path walk: symlinks, dots and trailing slashes',
    cases: [
      { it: 'should fail with ELOOP on a symlink to itself', steps: [step(root.stat('/nix/var/self'), 'ELOOP')] },
      { it: 'should follow 40 symlinks and fail with ELOOP at the 41st', tree: chain, steps: [step(root.stat('/c/l40'), 'ok file 0644 0:0 size=1 nlink=1'), step(root.stat('/c/l41'), 'ELOOP')] },
      { it: 'should fail with ENOENT through a dangling symlink', steps: [step(root.stat('/home/bob/dangling'), 'ENOENT'), step(root.lstat('/home/bob/dangling'), 'ok symlink 0777 30002:30000 size=18 nlink=1')] },
      { it: 'should resolve a relative symlink from the link\'s directory', steps: [step(root.readlink('/home/bob/rel'), 'ok "dangling"'), step(root.stat('/home/bob/rel'), 'ENOENT')] },
      { it: 'should fail with ENOTDIR when a trailing slash names a file', steps: [step(root.stat('/tmp/b-file/'), 'ENOTDIR')] },
      { it: 'should fail with ENOTDIR walking through a file', steps: [step(root.stat('/tmp/b-file/x'), 'ENOTDIR')] },
      { it: 'should follow a symlink named with a trailing slash, even for lstat', steps: [step(root.lstat('/home/alice/store/'), 'ok dir 01775 0:30000 nlink=4')] },
      { it: 'should resolve ".." physically, from a symlink\'s target', steps: [step(root.stat('/home/alice/store/../var'), 'ok dir 02775 0:30000 nlink=3')] },
      {
        it: 'should treat ".." at the root as the root',
        chrooted: 'the oracle\'s per-case root is a directory whose ".." leads out of the test',
        steps: [step(root.stat('/../tmp'), 'ok dir 01777 0:0 nlink=3')],
      },
      { it: 'should fail with ENOENT for an empty path', chrooted: 'Node rejects an empty path before the syscall', steps: [step(root.stat(''), 'ENOENT')] },
    ],
  },
  {
    describe: 'readlink and readdir',
    cases: [
      { it: 'should fail with EINVAL reading a non-symlink', steps: [step(root.readlink('/tmp/b-file'), 'EINVAL')] },
      { it: 'should fail with EINVAL for a symlink named with a trailing slash (it is followed)', steps: [step(root.readlink('/home/alice/store/'), 'EINVAL')] },
      { it: 'should not need read permission on the link', steps: [step(alice.readlink('/tmp/link-b'), 'ok "/tmp/b-file"')] },
      { it: 'should list names sorted without . and ..', steps: [step(alice.readdir('/nix/store'), 'ok [aaa-foo,bbb-bar,ccc-suid,ddd-sgid]')] },
      { it: 'should fail with ENOTDIR on a file', steps: [step(root.readdir('/tmp/b-file'), 'ENOTDIR')] },
      { it: 'should fail with EACCES without read permission', steps: [step(bob.readdir('/home/alice'), 'EACCES')] },
      { it: 'should follow a symlink to a directory', steps: [step(alice.readdir('/home/alice/store'), 'ok [aaa-foo,bbb-bar,ccc-suid,ddd-sgid]')] },
      {
        it: 'should list names sorted whatever order they were made in',
        steps: [
          step(root.mkdir('/tmp/o', 0o755), 'ok'), step(root.writeFile('/tmp/o/zz', ''), 'ok'), step(root.mkdir('/tmp/o/a', 0o755), 'ok'),
          step(root.symlink('zz', '/tmp/o/m'), 'ok'), step(alice.readdir('/tmp/o'), 'ok [a,m,zz]'),
        ],
      },
      { it: 'should fail with EINVAL reading a directory as a link', steps: [step(root.readlink('/tmp'), 'EINVAL')] },
      { it: 'should fail with ENOENT reading a missing link', steps: [step(root.readlink('/tmp/none'), 'ENOENT')] },
    ],
  },
];
