/** unlink(2) and rmdir(2): Linux fs/namei.c:do_unlinkat(), do_rmdir(), may_delete(). */
import { bob, carol, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

export const removeRules: readonly RuleGroup[] = [
  {
    describe: 'unlink',
    cases: [
      { it: 'should fail with EISDIR on a directory', steps: [step(root.unlink('/tmp/bob-dir'), 'EISDIR')] },
      { it: 'should fail with ENOTDIR on a file named with a trailing slash', steps: [step(root.unlink('/tmp/b-file/'), 'ENOTDIR')] },
      {
        it: 'should report the trailing-slash error before checking permission',
        steps: [step(carol.unlink('/nix/store/bbb-bar/'), 'EISDIR')],
      },
      { it: 'should fail with EACCES without write permission on the parent', steps: [step(carol.unlink('/home/carol/ro/file'), 'EACCES')] },
      { it: 'should fail with EACCES without search permission on a walked directory', steps: [step(bob.unlink('/home/alice/notes'), 'EACCES')] },
      { it: 'should fail with ENOENT for a missing name', steps: [step(root.unlink('/tmp/none'), 'ENOENT')] },
      {
        it: 'should fail with EISDIR on "." and "..", before checking permission',
        steps: [step(root.unlink('/tmp/bob-dir/.'), 'EISDIR'), step(root.unlink('/tmp/bob-dir/..'), 'EISDIR'), step(carol.unlink('/home/carol/ro/.'), 'EISDIR')],
      },
      { it: 'should succeed for root in a non-writable directory (CAP_DAC_OVERRIDE)', steps: [step(root.unlink('/home/carol/ro/file'), 'ok')] },
      {
        it: 'should remove the symlink, not its target',
        steps: [step(bob.unlink('/tmp/link-b'), 'ok'), step(bob.lstat('/tmp/b-file'), 'ok file 0666 30002:30000 size=4 nlink=1')],
      },
    ],
  },
  {
    describe: 'rmdir',
    cases: [
      { it: 'should fail with ENOTEMPTY on a non-empty directory', steps: [step(root.rmdir('/nix/store/bbb-bar'), 'ENOTEMPTY')] },
      { it: 'should check permission before emptiness (EACCES before ENOTEMPTY)', steps: [step(carol.rmdir('/nix/store/bbb-bar'), 'EACCES')] },
      { it: 'should fail with ENOTDIR on a file', steps: [step(root.rmdir('/tmp/b-file'), 'ENOTDIR')] },
      { it: 'should fail with ENOTDIR on a symlink to a directory', steps: [step(root.rmdir('/home/alice/store'), 'ENOTDIR')] },
      { it: 'should fail with ENOTDIR on a symlink to a directory named with a trailing slash', steps: [step(root.rmdir('/home/alice/store/'), 'ENOTDIR')] },
      { it: 'should fail with EINVAL on "."', steps: [step(root.rmdir('/tmp/bob-dir/.'), 'EINVAL')] },
      { it: 'should fail with ENOTEMPTY on ".."', steps: [step(root.rmdir('/tmp/bob-dir/..'), 'ENOTEMPTY')] },
      { it: 'should fail with ENOENT for a missing name or parent', steps: [step(root.rmdir('/tmp/none'), 'ENOENT'), step(root.rmdir('/tmp/none/x'), 'ENOENT')] },
      { it: 'should succeed on an empty directory the caller may delete', steps: [step(bob.rmdir('/tmp/bob-dir'), 'ok')] },
    ],
  },
];
