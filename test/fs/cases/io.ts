/** Writes and truncation clear setuid/setgid for callers without CAP_FSETID (Linux fs/attr.c:setattr_should_drop_suidgid). */
import { alice, bob, carol, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

export const ioRules: readonly RuleGroup[] = [
  {
    describe: 'write and O_TRUNC: privilege bits (file_remove_privs)',
    cases: [
      {
        it: 'should clear setuid and group-exec setgid on a write by a non-root user',
        steps: [step(alice.open('/tmp/c-suid', 'w', { write: 'y' }), 'ok; write ok "1"'), step(alice.lstat('/tmp/c-suid'), 'ok file 0777 30003:30003 size=1 nlink=1')],
      },
      {
        it: 'should keep setgid without group-exec on a write by a group member',
        steps: [step(bob.open('/shared/g', 'w', { write: 'y' }), 'ok; write ok "1"'), step(bob.lstat('/shared/g'), 'ok file 02660 30001:30000 size=1 nlink=1')],
      },
      {
        it: 'should clear setgid without group-exec on a write by a non-member',
        steps: [
          step(root.chmod('/tmp/b-file', 0o2666), 'ok'),
          step(carol.open('/tmp/b-file', 'w', { write: 'y' }), 'ok; write ok "1"'),
          step(carol.lstat('/tmp/b-file'), 'ok file 0666 30002:30000 size=4 nlink=1'),
        ],
      },
      {
        it: 'should not clear setuid on a write by root (CAP_FSETID)',
        steps: [step(root.open('/nix/store/ccc-suid', 'w', { write: 'z' }), 'ok; write ok "1"'), step(root.lstat('/nix/store/ccc-suid'), 'ok file 04755 0:0 size=4 nlink=1')],
      },
      {
        it: 'should not clear anything on an empty write',
        steps: [step(alice.open('/tmp/c-suid', 'w', { write: '' }), 'ok; write ok "0"'), step(alice.lstat('/tmp/c-suid'), 'ok file 06777 30003:30003 size=1 nlink=1')],
      },
      {
        it: 'should clear setuid on O_TRUNC by a non-root user',
        steps: [step(alice.open('/tmp/c-suid', 'w|trunc'), 'ok'), step(alice.lstat('/tmp/c-suid'), 'ok file 0777 30003:30003 size=0 nlink=1')],
      },
    ],
  },
];
