/**
 * fs.protected_symlinks and fs.protected_regular (Linux fs/namei.c:may_follow_link,
 * may_create_in_sticky; Documentation/admin-guide/sysctl/fs.rst). This machine has both at 0, so the
 * "on" cases are model-only; the "off" cases also run against Linux where the sysctls are 0.
 */
import { alice, bob, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

const sysctlOff = 'needs fs.protected_* = 1; this machine runs with 0 and the tests do not change sysctls';

export const protectedRules: readonly RuleGroup[] = [
  {
    describe: 'protected_symlinks = 1 (may_follow_link)',
    cases: [
      {
        it: 'should fail with EACCES following another user\'s symlink in a sticky world-writable directory',
        kernel: { protectedSymlinks: true }, modelOnly: sysctlOff,
        steps: [step(alice.stat('/tmp/link-b'), 'EACCES'), step(alice.readlink('/tmp/link-b'), 'ok "/tmp/b-file"')],
      },
      { it: 'should let the link\'s owner follow it', kernel: { protectedSymlinks: true }, modelOnly: sysctlOff, steps: [step(bob.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1')] },
      { it: 'should not exempt root', kernel: { protectedSymlinks: true }, modelOnly: sysctlOff, steps: [step(root.stat('/tmp/link-b'), 'EACCES')] },
      {
        it: 'should allow links owned by the directory\'s owner',
        kernel: { protectedSymlinks: true }, modelOnly: sysctlOff,
        steps: [step(root.lchown('/tmp/link-b', 0, 0), 'ok'), step(alice.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1')],
      },
      {
        it: 'should not apply outside sticky world-writable directories',
        kernel: { protectedSymlinks: true }, modelOnly: sysctlOff,
        steps: [step(root.stat('/home/alice/store'), 'ok dir 01775 0:30000 nlink=4')],
      },
    ],
  },
  {
    describe: 'protected_regular (may_create_in_sticky)',
    cases: [
      { it: 'should fail with EACCES for O_CREAT on another user\'s file in a sticky world-writable directory (level 1)', kernel: { protectedRegular: 1 }, modelOnly: sysctlOff, steps: [step(alice.open('/tmp/b-file', 'w|creat'), 'EACCES')] },
      { it: 'should let the file\'s owner open it with O_CREAT', kernel: { protectedRegular: 1 }, modelOnly: sysctlOff, steps: [step(bob.open('/tmp/b-file', 'w|creat'), 'ok')] },
      { it: 'should allow group-writable sticky directories at level 1', kernel: { protectedRegular: 1 }, modelOnly: sysctlOff, steps: [step(bob.open('/nix/store/ddd-sgid', 'r|creat'), 'ok')] },
      { it: 'should fail with EACCES in group-writable sticky directories at level 2', kernel: { protectedRegular: 2 }, modelOnly: sysctlOff, steps: [step(bob.open('/nix/store/ddd-sgid', 'r|creat'), 'EACCES')] },
      { it: 'should allow O_CREAT on another user\'s file when the sysctl is 0', kernel: { protectedRegular: 0 }, steps: [step(alice.open('/tmp/b-file', 'w|creat'), 'ok')] },
    ],
  },
];
