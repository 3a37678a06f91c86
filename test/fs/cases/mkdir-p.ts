/** `mkdir -p -m MODE` as coreutils 9.1 does it (gnulib mkancesdirs, mkdir-p.c, dirchownmod). */
import { alice, bob, carol, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

export const mkdirPRules: readonly RuleGroup[] = [
  {
    describe: 'mkdir -p',
    cases: [
      { it: 'should succeed on an existing directory the caller cannot write', steps: [step(carol.mkdirP('/home/carol/ro'), 'ok'), step(carol.mkdirP('/nix/store'), 'ok')] },
      { it: 'should succeed through a symlink to a directory', steps: [step(alice.mkdirP('/home/alice/store'), 'ok')] },
      { it: 'should report ENOTDIR when an ancestor is a file', steps: [step(root.mkdirP('/tmp/b-file/x'), 'ENOTDIR')] },
      { it: 'should report EEXIST when the last component is a file', steps: [step(root.mkdirP('/tmp/b-file'), 'EEXIST')] },
      { it: 'should report EEXIST for a dangling symlink', steps: [step(bob.mkdirP('/home/bob/dangling'), 'EEXIST')] },
      { it: 'should report ELOOP for a symlink loop (stat\'s errno after EEXIST)', steps: [step(root.mkdirP('/nix/var/self'), 'ELOOP')] },
      { it: 'should report EACCES when an ancestor cannot be created', steps: [step(carol.mkdirP('/home/carol/ro/a/b'), 'EACCES')] },
      { it: 'should report EACCES when an existing ancestor cannot be searched', steps: [step(bob.mkdirP('/home/alice/x/y'), 'EACCES')] },
      {
        it: 'should create ancestors with u+wx under the umask and the last with the exact mode',
        steps: [
          step(carol.mkdirP('/tmp/p/q/r', 0o2750), 'ok'),
          step(carol.lstat('/tmp/p'), 'ok dir 0700 30003:30003 nlink=3'),
          step(carol.lstat('/tmp/p/q/r'), 'ok dir 02750 30003:30003 nlink=2'),
        ],
      },
      {
        it: 'should keep a setgid bit inherited from the parent unless the mode names it',
        steps: [step(root.mkdirP('/nix/var/d', 0o700), 'ok'), step(root.lstat('/nix/var/d'), 'ok dir 02700 0:30000 nlink=2')],
      },
      {
        it: 'should not change the mode of an existing directory',
        steps: [step(root.mkdirP('/tmp/bob-dir', 0o700), 'ok'), step(root.lstat('/tmp/bob-dir'), 'ok dir 0755 30002:30000 nlink=2')],
      },
      // the one failed call that leaves effects: each ancestor is its own mkdir(2), and none is undone
      {
        it: 'should keep the ancestors it made when the last component cannot be created',
        steps: [
          step(alice.mkdirP('/tmp/x/../../home/carol/ro/new'), 'EACCES'),
          step(alice.lstat('/tmp/x'), 'ok dir 0755 30001:30000 nlink=2'),
        ],
      },
      {
        it: 'should keep the ancestors it made when a later ancestor cannot be created',
        steps: [
          step(bob.mkdirP('/tmp/y/z/../../../home/carol/ro/a/b'), 'EACCES'),
          step(bob.lstat('/tmp/y/z'), 'ok dir 0775 30002:30000 nlink=2'),
        ],
      },
      {
        it: 'should go on through an ancestor that is a symlink to a directory (chdir follows it)',
        steps: [step(alice.mkdirP('/home/alice/store/new/sub', 0o755), 'ok'), step(alice.lstat('/nix/store/new/sub'), 'ok dir 0755 30001:30000 nlink=2')],
      },
      {
        it: 'should report EEXIST when the last component is a symlink through a file',
        steps: [step(root.symlink('/tmp/b-file/x', '/tmp/lk'), 'ok'), step(root.mkdirP('/tmp/lk'), 'EEXIST')],
      },
      {
        // the last mkdir runs under the umask ~MODE, so it gives the mode exactly and no chmod follows,
        // which would drop the setgid bit the directory inherited from a group its creator is not in
        it: 'should keep an inherited setgid of a group the caller is not in, whatever the caller\'s umask',
        steps: [
          step(root.mkdir('/tmp/sg', 0o777), 'ok'), step(root.chmod('/tmp/sg', 0o2777), 'ok'), step(root.chown('/tmp/sg', 0, 30010), 'ok'),
          step(carol.mkdirP('/tmp/sg/a', 0o700), 'ok'), step(carol.lstat('/tmp/sg/a'), 'ok dir 02700 30003:30010 nlink=2'),
          step(carol.mkdirP('/tmp/sg/b', 0o755), 'ok'), step(carol.lstat('/tmp/sg/b'), 'ok dir 02755 30003:30010 nlink=2'),
          step(carol.mkdirP('/tmp/sg/c', 0o1755), 'ok'), step(carol.lstat('/tmp/sg/c'), 'ok dir 03755 30003:30010 nlink=2'),
        ],
      },
      {
        // MODE names setgid-free group write, held back at mkdir: the chmod that adds it drops setgid (not in the group)
        it: 'should drop an inherited setgid of a group the caller is not in when a special bit makes it chmod',
        steps: [
          step(root.mkdir('/tmp/sg', 0o777), 'ok'), step(root.chmod('/tmp/sg', 0o2777), 'ok'), step(root.chown('/tmp/sg', 0, 30010), 'ok'),
          step(carol.mkdirP('/tmp/sg/e', 0o2775), 'ok'), step(carol.lstat('/tmp/sg/e'), 'ok dir 0775 30003:30010 nlink=2'),
        ],
      },
      { it: 'should report mkdir\'s EACCES, not stat\'s ENOENT, when the last component cannot be created', steps: [step(carol.mkdirP('/home/carol/ro/d'), 'EACCES')] },
      {
        it: 'should set setuid named by MODE with a chmod after mkdir, keeping an inherited setgid MODE does not name',
        steps: [
          step(root.mkdirP('/tmp/su', 0o4755), 'ok'), step(root.lstat('/tmp/su'), 'ok dir 04755 0:0 nlink=2'),
          step(root.mkdirP('/tmp/s0', 0o4000), 'ok'), step(root.lstat('/tmp/s0'), 'ok dir 04000 0:0 nlink=2'),
          step(root.mkdirP('/nix/var/s', 0o4755), 'ok'), step(root.lstat('/nix/var/s'), 'ok dir 06755 0:30000 nlink=2'),
        ],
      },
      {
        // no special bit: the one mkdir gives 0777 exactly, and no chmod follows to drop the inherited setgid
        it: 'should keep an inherited setgid of a group the caller is not in for a group- and world-writable MODE',
        steps: [
          step(root.mkdir('/tmp/sg', 0o777), 'ok'), step(root.chmod('/tmp/sg', 0o2777), 'ok'), step(root.chown('/tmp/sg', 0, 30010), 'ok'),
          step(carol.mkdirP('/tmp/sg/w', 0o777), 'ok'), step(carol.lstat('/tmp/sg/w'), 'ok dir 02777 30003:30010 nlink=2'),
        ],
      },
      {
        it: 'should give the last directory MODE exactly under a umask that would narrow it',
        steps: [step(carol.mkdirP('/tmp/x/y', 0o755), 'ok'), step(carol.lstat('/tmp/x'), 'ok dir 0700 30003:30003 nlink=3'), step(carol.lstat('/tmp/x/y'), 'ok dir 0755 30003:30003 nlink=2')],
      },
      {
        it: 'should ignore trailing slashes and `.` components',
        steps: [
          step(alice.mkdirP('/tmp/./t//u/', 0o700), 'ok'),
          step(alice.lstat('/tmp/t/u'), 'ok dir 0700 30001:30000 nlink=2'),
          step(alice.lstat('/tmp/t'), 'ok dir 0755 30001:30000 nlink=3'),
        ],
      },
    ],
  },
];
