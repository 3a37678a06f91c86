/**
 * fs.protected_symlinks and fs.protected_regular (Linux fs/namei.c:may_follow_link,
 * may_create_in_sticky; Documentation/admin-guide/sysctl/fs.rst), modelled as kernel options. Each
 * case names both settings it is written for and runs on the model with them. test/differential/
 * rules.spec.ts runs it against Linux where the machine has those settings; elsewhere it sets them
 * for the case when allowed (NOL_SET_SYSCTL=1, as root: CI), else runs it where its outcome does not
 * depend on them, else skips it saying why.
 */
import { alice, bob, carol, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

// Every case names both settings, so none depends on a default (or on the machine it runs on).
const links = { protectedSymlinks: true, protectedRegular: 0 } as const;
const noLinks = { protectedSymlinks: false, protectedRegular: 0 } as const;
const regular = (level: 0 | 1 | 2) => ({ protectedSymlinks: false, protectedRegular: level }) as const;

export const protectedRules: readonly RuleGroup[] = [
  {
    describe: 'protected_symlinks = 1 (may_follow_link)',
    cases: [
      {
        it: 'should fail with EACCES following another user\'s symlink in a sticky world-writable directory',
        kernel: links,
        steps: [step(alice.stat('/tmp/link-b'), 'EACCES'), step(alice.readlink('/tmp/link-b'), 'ok "/tmp/b-file"')],
      },
      { it: 'should let the link\'s owner follow it', kernel: links, steps: [step(bob.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1')] },
      { it: 'should not exempt root', kernel: links, steps: [step(root.stat('/tmp/link-b'), 'EACCES')] },
      {
        it: 'should allow links owned by the directory\'s owner',
        kernel: links,
        steps: [step(root.lchown('/tmp/link-b', 0, 0), 'ok'), step(alice.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1')],
      },
      {
        it: 'should not apply outside sticky world-writable directories',
        kernel: links,
        steps: [
          step(root.stat('/home/alice/store'), 'ok dir 01775 0:30000 nlink=4'),
          // a link owned by neither the follower nor the directory's owner, in a directory that is not sticky
          step(alice.mkdir('/tmp/adir', 0o755), 'ok'),
          step(root.symlink('/tmp/b-file', '/tmp/adir/l'), 'ok'),
          step(bob.stat('/tmp/adir/l'), 'ok file 0666 30002:30000 size=4 nlink=1'),
        ],
      },
    ],
  },
  {
    describe: 'protected_symlinks = 0',
    cases: [
      {
        it: 'should follow another user\'s symlink in a sticky world-writable directory',
        kernel: noLinks,
        steps: [step(alice.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1'), step(root.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1')],
      },
    ],
  },
  {
    describe: 'protected_regular (may_create_in_sticky)',
    cases: [
      { it: 'should fail with EACCES for O_CREAT on another user\'s file in a sticky world-writable directory (level 1)', kernel: regular(1), steps: [step(alice.open('/tmp/b-file', 'w|creat'), 'EACCES')] },
      { it: 'should let the file\'s owner open it with O_CREAT', kernel: regular(1), steps: [step(bob.open('/tmp/b-file', 'w|creat'), 'ok')] },
      {
        it: 'should let anyone open a file of the directory\'s owner with O_CREAT (level 1)',
        kernel: regular(1),
        steps: [step(root.writeFile('/tmp/rf', 'r', 0o644), 'ok'), step(alice.open('/tmp/rf', 'r|creat'), 'ok')],
      },
      {
        it: 'should not apply in a world-writable directory that is not sticky (level 1)',
        kernel: regular(1),
        steps: [
          step(alice.mkdir('/tmp/ww', 0o755), 'ok'),
          step(alice.chmod('/tmp/ww', 0o777), 'ok'),
          step(bob.writeFile('/tmp/ww/bf', 'b', 0o666), 'ok'),
          step(alice.open('/tmp/ww/bf', 'w|creat'), 'ok'),
        ],
      },
      { it: 'should allow group-writable sticky directories at level 1', kernel: regular(1), steps: [step(bob.open('/nix/store/ddd-sgid', 'r|creat'), 'ok')] },
      { it: 'should fail with EACCES in group-writable sticky directories at level 2', kernel: regular(2), steps: [step(bob.open('/nix/store/ddd-sgid', 'r|creat'), 'EACCES')] },
      {
        it: 'should not apply to a sticky directory only its owner can write (level 2)',
        kernel: regular(2),
        steps: [
          step(alice.mkdir('/tmp/adir', 0o755), 'ok'),
          step(alice.chmod('/tmp/adir', 0o1755), 'ok'),
          step(root.writeFile('/tmp/adir/f', 'x', 0o644), 'ok'),
          step(root.chown('/tmp/adir/f', 30002, 30000), 'ok'),
          step(carol.open('/tmp/adir/f', 'r|creat'), 'ok'),
        ],
      },
      {
        it: 'should leave a symlink in a group-writable sticky directory to may_open (ELOOP, level 2)',
        kernel: regular(2),
        steps: [step(alice.symlink('x', '/nix/store/lnk'), 'ok'), step(bob.open('/nix/store/lnk', 'r|creat|nofollow'), 'ELOOP')],
      },
      { it: 'should allow O_CREAT on another user\'s file when the sysctl is 0', kernel: regular(0), steps: [step(alice.open('/tmp/b-file', 'w|creat'), 'ok')] },
    ],
  },
];
