/** Creating names: mkdir(2), symlink(2), and who owns new inodes (Linux fs/inode.c:inode_init_owner, mode_strip_sgid). */
import { alice, bob, carol, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

export const createRules: readonly RuleGroup[] = [
  {
    describe: 'mkdir',
    cases: [
      { it: 'should fail with EEXIST on an existing name', steps: [step(root.mkdir('/tmp/b-file'), 'EEXIST')] },
      { it: 'should fail with EEXIST on a dangling symlink', steps: [step(root.mkdir('/home/bob/dangling'), 'EEXIST')] },
      { it: 'should report EEXIST before EACCES', steps: [step(carol.mkdir('/home/carol/ro/file'), 'EEXIST')] },
      { it: 'should fail with EACCES without write permission on the parent', steps: [step(carol.mkdir('/home/carol/ro/d'), 'EACCES')] },
      { it: 'should fail with ENOENT when the parent is missing', steps: [step(root.mkdir('/tmp/none/d'), 'ENOENT')] },
      { it: 'should fail with ENOTDIR when the parent is a file', steps: [step(root.mkdir('/tmp/b-file/d'), 'ENOTDIR')] },
      { it: 'should fail with EEXIST on "." and ".."', steps: [step(root.mkdir('/tmp/bob-dir/.'), 'EEXIST'), step(root.mkdir('/tmp/bob-dir/..'), 'EEXIST')] },
      { it: 'should accept a trailing slash', steps: [step(root.mkdir('/tmp/d/'), 'ok'), step(root.lstat('/tmp/d'), 'ok dir 0755 0:0 nlink=2')] },
      { it: 'should ignore setuid and setgid in the requested mode', steps: [step(root.mkdir('/tmp/d', 0o6755), 'ok'), step(root.lstat('/tmp/d'), 'ok dir 0755 0:0 nlink=2')] },
      { it: 'should keep the sticky bit and apply the umask', steps: [step(root.mkdir('/tmp/d', 0o1777), 'ok'), step(root.lstat('/tmp/d'), 'ok dir 01755 0:0 nlink=2')] },
      {
        it: 'should let root create in a directory it cannot write (CAP_DAC_OVERRIDE)',
        steps: [step(root.mkdir('/home/carol/ro/d'), 'ok')],
      },
    ],
  },
  {
    describe: 'owner and group of a new inode (inode_init_owner)',
    cases: [
      {
        it: 'should give a new file the caller\'s uid and primary gid, minus the umask',
        steps: [step(alice.writeFile('/tmp/n', 'x'), 'ok'), step(alice.lstat('/tmp/n'), 'ok file 0644 30001:30000 size=1 nlink=1')],
      },
      {
        it: 'should apply each caller\'s own umask',
        steps: [step(carol.writeFile('/tmp/n', 'x'), 'ok'), step(carol.lstat('/tmp/n'), 'ok file 0600 30003:30003 size=1 nlink=1')],
      },
      {
        it: 'should give a new directory in a setgid directory the directory\'s group and S_ISGID',
        steps: [step(root.mkdir('/nix/var/d', 0o755), 'ok'), step(root.lstat('/nix/var/d'), 'ok dir 02755 0:30000 nlink=2')],
      },
      {
        it: 'should give a new file in a setgid directory the directory\'s group but not S_ISGID',
        steps: [step(root.writeFile('/nix/var/g', 'x', 0o644), 'ok'), step(root.lstat('/nix/var/g'), 'ok file 0644 0:30000 size=1 nlink=1')],
      },
      {
        it: 'should strip S_ISGID from a new group-executable file when the caller is not in the directory\'s group (mode_strip_sgid)',
        steps: [
          step(root.mkdir('/tmp/sg', 0o755), 'ok'), step(root.chown('/tmp/sg', 0, 30000), 'ok'), step(root.chmod('/tmp/sg', 0o2777), 'ok'),
          step(carol.open('/tmp/sg/c', 'w|creat', { mode: 0o2775 }), 'ok'),
          step(carol.lstat('/tmp/sg/c'), 'ok file 0700 30003:30000 size=0 nlink=1'),
          step(bob.open('/tmp/sg/b', 'w|creat', { mode: 0o2775 }), 'ok'),
          step(bob.lstat('/tmp/sg/b'), 'ok file 02775 30002:30000 size=0 nlink=1'),
        ],
      },
      {
        it: 'should keep setuid requested by open(O_CREAT)',
        steps: [step(alice.open('/tmp/s', 'w|creat', { mode: 0o4755 }), 'ok'), step(alice.lstat('/tmp/s'), 'ok file 04755 30001:30000 size=0 nlink=1')],
      },
    ],
  },
  {
    describe: 'symlink',
    cases: [
      {
        it: 'should create a 0777 link owned by the caller without checking the target',
        steps: [step(bob.symlink('/home/alice/notes', '/tmp/l'), 'ok'), step(bob.lstat('/tmp/l'), 'ok symlink 0777 30002:30000 size=17 nlink=1')],
      },
      { it: 'should fail with EEXIST on an existing name, dangling links included', steps: [step(bob.symlink('x', '/home/bob/dangling'), 'EEXIST')] },
      { it: 'should fail with ENOENT for a new name with a trailing slash', steps: [step(root.symlink('x', '/tmp/l/'), 'ENOENT')] },
      { it: 'should fail with EEXIST for an existing name with a trailing slash', steps: [step(root.symlink('x', '/tmp/bob-dir/'), 'EEXIST')] },
      { it: 'should fail with EACCES without write permission on the parent', steps: [step(carol.symlink('x', '/home/carol/ro/l'), 'EACCES')] },
      { it: 'should fail with ENOENT for an empty target', steps: [step(root.symlink('', '/tmp/l'), 'ENOENT')] },
      { it: 'should fail with ENOENT when the parent is missing', steps: [step(root.symlink('x', '/tmp/none/l'), 'ENOENT')] },
      { it: 'should fail with EEXIST on "."', steps: [step(root.symlink('x', '/tmp/bob-dir/.'), 'EEXIST')] },
    ],
  },
];
