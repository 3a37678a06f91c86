/** rename(2): Linux fs/namei.c:do_renameat2(), lock_rename(), vfs_rename(). */
import { alice, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

export const renameRules: readonly RuleGroup[] = [
  {
    describe: 'rename',
    cases: [
      {
        it: 'should fail with ENOTEMPTY when the target is a non-empty directory',
        steps: [step(root.mkdir('/tmp/d'), 'ok'), step(root.rename('/tmp/d', '/nix/store/bbb-bar'), 'ENOTEMPTY')],
      },
      {
        it: 'should replace an empty directory',
        steps: [step(root.mkdir('/tmp/d'), 'ok'), step(root.rename('/tmp/d', '/tmp/bob-dir'), 'ok'), step(root.lstat('/tmp/d'), 'ENOENT')],
      },
      { it: 'should fail with EISDIR when renaming a file over a directory', steps: [step(root.rename('/tmp/b-file', '/tmp/bob-dir'), 'EISDIR')] },
      { it: 'should fail with ENOTDIR when renaming a directory over a file', steps: [step(root.rename('/tmp/bob-dir', '/tmp/b-file'), 'ENOTDIR')] },
      { it: 'should fail with EINVAL when moving a directory into its own subtree', steps: [step(root.rename('/nix', '/nix/store/nix'), 'EINVAL')] },
      { it: 'should fail with ENOTEMPTY when the target is an ancestor of the source', steps: [step(root.rename('/nix/store/bbb-bar', '/nix'), 'ENOTEMPTY')] },
      {
        it: 'should succeed without effect when source and target are the same entry',
        steps: [step(root.rename('/tmp/b-file', '/tmp/b-file'), 'ok'), step(root.rename('/tmp/b-file', '/nix/../tmp/b-file'), 'ok')],
      },
      {
        it: 'should fail with EACCES moving a directory the caller cannot write to another parent (its .. changes)',
        steps: [step(alice.rename('/nix/store/aaa-foo', '/tmp/aaa-foo'), 'EACCES')],
      },
      {
        it: 'should not need write permission on a directory renamed within its parent',
        steps: [step(alice.rename('/nix/store/aaa-foo', '/nix/store/aaa-new'), 'ok')],
      },
      { it: 'should fail with ENOTDIR when a trailing slash names a non-directory source', steps: [step(root.rename('/tmp/b-file/', '/tmp/x'), 'ENOTDIR')] },
      { it: 'should fail with ENOTDIR when a trailing slash names a non-directory target', steps: [step(root.rename('/tmp/b-file', '/tmp/x/'), 'ENOTDIR')] },
      { it: 'should fail with EACCES without write permission on the target directory', steps: [step(alice.rename('/tmp/a-file', '/home/carol/ro/a'), 'EACCES')] },
      { it: 'should fail with ENOENT for a missing source', steps: [step(root.rename('/tmp/none', '/tmp/x'), 'ENOENT')] },
      {
        it: 'should rename a directory named with a trailing slash on either side',
        steps: [step(root.mkdir('/tmp/d'), 'ok'), step(root.rename('/tmp/d/', '/tmp/e/'), 'ok'), step(root.lstat('/tmp/d'), 'ENOENT')],
      },
      {
        it: 'should fail with ENOTEMPTY when a file is renamed onto an ancestor directory (lock_rename\'s trap, before EISDIR)',
        steps: [step(root.rename('/nix/store/ccc-suid', '/nix'), 'ENOTEMPTY')],
      },
      {
        it: 'should move an entry up into an ancestor directory under a new name',
        steps: [step(root.rename('/nix/store/ccc-suid', '/nix/moved'), 'ok'), step(root.readFile('/nix/moved'), 'ok "suid"')],
      },
      {
        it: 'should move a directory down into a sibling\'s subtree, its .. now the new parent',
        steps: [
          step(root.mkdir('/tmp/d'), 'ok'), step(root.rename('/tmp/d', '/nix/store/bbb-bar/d'), 'ok'),
          step(root.readdir('/nix/store/bbb-bar/d/..'), 'ok [d,x]'),
        ],
      },
      { it: 'should fail with ENOENT when the source\'s directory is missing', steps: [step(root.rename('/tmp/none/x', '/tmp/y'), 'ENOENT')] },
      { it: 'should fail with ENOENT when the target\'s directory is missing', steps: [step(root.rename('/tmp/b-file', '/tmp/none/y'), 'ENOENT')] },
      { it: 'should fail with ENOTDIR when the source\'s directory is a file', steps: [step(root.rename('/tmp/b-file/x', '/tmp/y'), 'ENOTDIR')] },
      {
        it: 'should rename a symlink itself, not its target',
        steps: [step(root.rename('/tmp/link-b', '/tmp/link-c'), 'ok'), step(root.readlink('/tmp/link-c'), 'ok "/tmp/b-file"')],
      },
    ],
  },
];
