/** chmod(2), chown(2), lchown(2), utimes(2): Linux fs/open.c chmod_common/chown_common, fs/attr.c notify_change/setattr_prepare. */
import { alice, bob, carol, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

export const attrRules: readonly RuleGroup[] = [
  {
    describe: 'chmod',
    cases: [
      { it: 'should fail with EPERM when the caller does not own the file', steps: [step(alice.chmod('/tmp/b-file', 0o777), 'EPERM')] },
      { it: 'should let the owner chmod a file it cannot write', steps: [step(alice.chmod('/nix/store/aaa-foo/f', 0o644), 'ok')] },
      { it: 'should let root chmod any file', steps: [step(root.chmod('/tmp/b-file', 0o4700), 'ok'), step(root.lstat('/tmp/b-file'), 'ok file 04700 30002:30000 size=4 nlink=1')] },
      { it: 'should follow symlinks', steps: [step(alice.chmod('/home/alice/store', 0o755), 'EPERM')] },
      {
        it: 'should clear S_ISGID when a non-root owner is not in the file\'s group',
        steps: [step(root.chown('/tmp/a-file', 30001, 30003), 'ok'), step(alice.chmod('/tmp/a-file', 0o2644), 'ok'), step(alice.lstat('/tmp/a-file'), 'ok file 0644 30001:30003 size=6 nlink=1')],
      },
      {
        it: 'should keep S_ISGID when the owner is in the file\'s group',
        steps: [step(alice.chmod('/tmp/a-file', 0o2644), 'ok'), step(alice.lstat('/tmp/a-file'), 'ok file 02644 30001:30000 size=6 nlink=1')],
      },
    ],
  },
  {
    describe: 'chown and lchown',
    cases: [
      { it: 'should fail with EPERM when a non-root owner gives a file away', steps: [step(alice.chown('/tmp/a-file', 30002, -1), 'EPERM')] },
      { it: 'should let the owner "change" the owner to itself', steps: [step(alice.chown('/tmp/a-file', 30001, -1), 'ok')] },
      {
        it: 'should let the owner change the group to one of its groups',
        steps: [step(bob.chown('/tmp/b-file', -1, 30010), 'ok'), step(bob.lstat('/tmp/b-file'), 'ok file 0666 30002:30010 size=4 nlink=1')],
      },
      { it: 'should fail with EPERM changing the group to one the owner is not in', steps: [step(alice.chown('/tmp/a-file', -1, 30003), 'EPERM')] },
      {
        it: 'should let the owner "change" the group to the file\'s current group, even when not a member',
        steps: [step(root.chown('/tmp/a-file', 30003, 30000), 'ok'), step(carol.chown('/tmp/a-file', -1, 30000), 'ok'), step(carol.lstat('/tmp/a-file'), 'ok file 0600 30003:30000 size=6 nlink=1')],
      },
      { it: 'should fail with EPERM for a non-owner, even to the current group', steps: [step(bob.chown('/tmp/a-file', -1, 30000), 'EPERM')] },
      {
        it: 'should clear setuid and setgid (with group-exec) when a non-root owner changes the group',
        steps: [step(carol.chown('/tmp/c-suid', -1, 30003), 'ok'), step(carol.lstat('/tmp/c-suid'), 'ok file 0777 30003:30003 size=1 nlink=1')],
      },
      {
        it: 'should clear setuid even when root changes the owner',
        steps: [step(root.chown('/nix/store/ccc-suid', 30001, -1), 'ok'), step(root.lstat('/nix/store/ccc-suid'), 'ok file 0755 30001:0 size=4 nlink=1')],
      },
      {
        it: 'should keep setgid without group-exec when root changes the owner',
        steps: [step(root.chown('/shared/g', 30002, -1), 'ok'), step(root.lstat('/shared/g'), 'ok file 02660 30002:30000 size=1 nlink=1')],
      },
      { it: 'should leave a directory\'s setgid bit alone', steps: [step(root.chown('/nix/var', 30001, -1), 'ok'), step(root.lstat('/nix/var'), 'ok dir 02775 30001:30000 nlink=3')] },
      { it: 'should fail with EPERM for chown(-1, -1) of another user\'s setuid file (the kill needs ATTR_MODE)', steps: [step(alice.chown('/tmp/c-suid', -1, -1), 'EPERM')] },
      { it: 'should let anyone chown(-1, -1) a plain file', steps: [step(alice.chown('/tmp/b-file', -1, -1), 'ok')] },
      {
        it: 'should follow a symlink and change its target, not the link',
        steps: [step(root.chown('/tmp/link-b', 30001, -1), 'ok'), step(root.lstat('/tmp/b-file'), 'ok file 0666 30001:30000 size=4 nlink=1'), step(root.lstat('/tmp/link-b'), 'ok symlink 0777 30002:30000 size=11 nlink=1')],
      },
      { it: 'should fail with EPERM when lchown gives away another user\'s symlink', steps: [step(alice.lchown('/tmp/link-b', 30001, -1), 'EPERM')] },
      {
        it: 'should change a symlink itself with lchown',
        steps: [
          step(root.lchown('/tmp/link-b', 30001, -1), 'ok'),
          step(root.lstat('/tmp/link-b'), 'ok symlink 0777 30001:30000 size=11 nlink=1'),
          step(root.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1'),
        ],
      },
    ],
  },
  {
    describe: 'utimes with explicit times',
    cases: [
      { it: 'should fail with EPERM when the caller does not own the file, even with write permission', steps: [step(alice.utimes('/tmp/b-file', 1, 2), 'EPERM')] },
      { it: 'should let the owner set times', steps: [step(bob.utimes('/tmp/b-file', 1, 2), 'ok')] },
      { it: 'should let root set times', steps: [step(root.utimes('/tmp/b-file', 1, 2), 'ok')] },
      // the link is alice's, its target root's: ownership of what the path resolves to decides
      { it: 'should follow a symlink and check the target\'s owner', steps: [step(alice.utimes('/home/alice/store', 1, 2), 'EPERM')] },
      { it: 'should fail with ENOENT through a dangling symlink', steps: [step(bob.utimes('/home/bob/dangling', 1, 2), 'ENOENT')] },
    ],
  },
];
