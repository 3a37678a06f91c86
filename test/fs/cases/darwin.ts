/**
 * Where the 'darwin' personality differs, each case quoting the macOS man page it follows. Darwin
 * cannot be run here, so the darwin outcomes are checked against the man pages' words only; against
 * Linux each case runs as its Linux counterpart (the same calls, expecting the linux personality's
 * outcomes, which must differ: test/differential/rule-plan.ts), so a difference the personality
 * draws is never also a rule Linux has.
 */
import type { TreeEntry } from '../../../model/fs/index.js';
import { alice, bob, carol, root } from '../dsl.js';
import { step, type RuleCase, type RuleGroup } from '../rule-case.js';

const darwin = { personality: 'darwin' } as const;
const onDarwin = (c: Omit<RuleCase, 'kernel'>): RuleCase => ({ ...c, kernel: darwin });

/** /c/t and /c/l1 → t … /c/l33 → l32. */
const chain: readonly TreeEntry[] = [
  { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
  { path: '/c', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
  { path: '/c/t', kind: 'file', mode: 0o644, uid: 0, gid: 0, content: 't' },
  ...Array.from({ length: 33 }, (_, i): TreeEntry => ({
    path: `/c/l${i + 1}`, kind: 'symlink', mode: 0o777, uid: 0, gid: 0, content: i === 0 ? 't' : `l${i}`,
  })),
];

export const darwinRules: readonly RuleGroup[] = [
  {
    describe: 'darwin personality',
    cases: [
      // unlink(2): "[EPERM] The named file is a directory."
      onDarwin({ it: 'should fail with EPERM unlinking a directory', steps: [step(root.unlink('/tmp/bob-dir'), 'EPERM')] }),
      // open(2)/mkdir(2): "The group ID of the file is set to that of the directory in which it is created."
      onDarwin({
        it: 'should give a new file the parent directory\'s group',
        steps: [step(carol.writeFile('/nix/store/x', 'x'), 'EACCES'), step(carol.writeFile('/tmp/x', 'x'), 'ok'), step(carol.lstat('/tmp/x'), 'ok file 0600 30003:0 size=1 nlink=1')],
      }),
      onDarwin({
        it: 'should not propagate S_ISGID to a new directory',
        steps: [step(root.mkdir('/nix/var/d', 0o755), 'ok'), step(root.lstat('/nix/var/d'), 'ok dir 0755 0:30000 nlink=2')],
      }),
      // chown(2): the set-user-id and set-group-id bits are cleared "if not executed by the super-user".
      onDarwin({
        it: 'should keep setuid when root changes the owner',
        steps: [step(root.chown('/nix/store/ccc-suid', 30001, -1), 'ok'), step(root.lstat('/nix/store/ccc-suid'), 'ok file 04755 30001:0 size=4 nlink=1')],
      }),
      // chmod(2): "Writing or changing the owner of a file turns off the set-user-id and set-group-id bits unless the user is the super-user."
      onDarwin({
        it: 'should clear setgid on a write by a non-root group member',
        steps: [step(bob.open('/shared/g', 'w', { write: 'y' }), 'ok; write ok "1"'), step(bob.lstat('/shared/g'), 'ok file 0660 30001:30000 size=1 nlink=1')],
      }),
      // sys/param.h: MAXSYMLINKS 32.
      onDarwin({ it: 'should follow 32 symlinks and fail with ELOOP at the 33rd', tree: chain, steps: [step(root.stat('/c/l32'), 'ok file 0644 0:0 size=1 nlink=1'), step(root.stat('/c/l33'), 'ELOOP')] }),
      { it: 'should ignore protected_symlinks (a Linux sysctl)', kernel: { personality: 'darwin', protectedSymlinks: true }, steps: [step(alice.stat('/tmp/link-b'), 'ok file 0666 30002:30000 size=4 nlink=1')] },
    ],
  },
];
