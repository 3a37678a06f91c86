/** The sticky bit (Linux fs/namei.c:check_sticky via may_delete). /tmp is 1777 root; /nix/store is 1775 root:30000. */
import { alice, bob, carol, root } from '../dsl.js';
import { step, type RuleGroup, type Step } from '../rule-case.js';

/** /tmp/adir: sticky and world-writable, owned by alice (neither root nor the entries' owners). */
const thirdPartySticky: readonly Step[] = [step(alice.mkdir('/tmp/adir', 0o755), 'ok'), step(alice.chmod('/tmp/adir', 0o1777), 'ok')];

export const stickyRules: readonly RuleGroup[] = [
  {
    describe: 'unlink in a sticky directory (check_sticky)',
    cases: [
      { it: 'should fail with EPERM when the caller owns neither the file nor the directory', steps: [step(alice.unlink('/tmp/b-file'), 'EPERM')] },
      { it: 'should succeed when the caller owns the file', steps: [step(bob.unlink('/tmp/b-file'), 'ok')] },
      {
        it: 'should succeed when the caller owns the directory',
        steps: [
          step(alice.mkdir('/tmp/adir', 0o755), 'ok'),
          step(alice.chmod('/tmp/adir', 0o1777), 'ok'),
          step(bob.writeFile('/tmp/adir/bf', 'x'), 'ok'),
          step(carol.unlink('/tmp/adir/bf'), 'EPERM'),
          step(alice.unlink('/tmp/adir/bf'), 'ok'),
        ],
      },
      { it: 'should succeed for root (CAP_FOWNER)', steps: [step(root.unlink('/tmp/b-file'), 'ok')] },
      {
        // /tmp is root's, so the case above passes on the directory-owner rule alone; here only CAP_FOWNER lets root in
        it: 'should succeed for root when a third, non-root user owns the sticky directory',
        steps: [
          step(alice.mkdir('/tmp/adir', 0o755), 'ok'),
          step(alice.chmod('/tmp/adir', 0o1777), 'ok'),
          step(bob.writeFile('/tmp/adir/bf', 'x'), 'ok'),
          step(root.unlink('/tmp/adir/bf'), 'ok'),
        ],
      },
      {
        it: 'should report EACCES before EPERM when the caller cannot write the directory',
        steps: [step(carol.unlink('/nix/store/ddd-sgid'), 'EACCES')],
      },
    ],
  },
  {
    describe: 'rmdir and rename in a sticky directory (check_sticky)',
    cases: [
      { it: 'should fail with EPERM removing another user\'s directory', steps: [step(alice.rmdir('/tmp/bob-dir'), 'EPERM')] },
      { it: 'should fail with EPERM renaming another user\'s entry away', steps: [step(alice.rename('/tmp/b-file', '/tmp/mine'), 'EPERM')] },
      {
        it: 'should fail with EPERM renaming onto another user\'s entry',
        steps: [step(alice.writeFile('/tmp/mine', 'x'), 'ok'), step(alice.rename('/tmp/mine', '/tmp/b-file'), 'EPERM')],
      },
      // root's own cases above act in /tmp or /nix/store, which root owns: only a sticky directory of a
      // third, non-root user shows that CAP_FOWNER (not the directory-owner rule) lets root in
      {
        it: 'should let root remove another user\'s directory when a third, non-root user owns the sticky directory',
        steps: [
          ...thirdPartySticky,
          step(bob.mkdir('/tmp/adir/bd', 0o755), 'ok'),
          step(carol.rmdir('/tmp/adir/bd'), 'EPERM'),
          step(root.rmdir('/tmp/adir/bd'), 'ok'),
        ],
      },
      {
        it: 'should let root rename another user\'s entry away when a third, non-root user owns the sticky directory',
        steps: [
          ...thirdPartySticky,
          step(bob.writeFile('/tmp/adir/bf', 'b'), 'ok'),
          step(carol.rename('/tmp/adir/bf', '/tmp/adir/moved'), 'EPERM'),
          step(root.rename('/tmp/adir/bf', '/tmp/adir/moved'), 'ok'),
          step(root.readFile('/tmp/adir/moved'), 'ok "b"'),
        ],
      },
      {
        it: 'should let root rename onto another user\'s entry when a third, non-root user owns the sticky directory',
        steps: [
          ...thirdPartySticky,
          step(bob.writeFile('/tmp/adir/bf', 'b'), 'ok'),
          step(carol.writeFile('/tmp/adir/cf', 'c'), 'ok'),
          step(carol.rename('/tmp/adir/cf', '/tmp/adir/bf'), 'EPERM'),
          step(root.writeFile('/tmp/adir/rf', 'r'), 'ok'),
          step(root.rename('/tmp/adir/rf', '/tmp/adir/bf'), 'ok'),
          step(bob.readFile('/tmp/adir/bf'), 'ok "r"'),
        ],
      },
      {
        it: 'should fail with EPERM when a group member renames another member\'s store path',
        steps: [step(alice.rename('/nix/store/bbb-bar', '/nix/store/zzz'), 'EPERM')],
      },
      {
        it: 'should succeed when a group member renames its own store path',
        steps: [step(bob.rename('/nix/store/bbb-bar', '/nix/store/zzz'), 'ok')],
      },
    ],
  },
];
