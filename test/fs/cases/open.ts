/** open(2): Linux fs/namei.c:path_openat(), open_last_lookups(), do_open(), may_open(); fs/open.c:build_open_flags(). */
import { alice, bob, carol, root } from '../dsl.js';
import { step, type RuleGroup } from '../rule-case.js';

export const openRules: readonly RuleGroup[] = [
  {
    describe: 'open: O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY',
    cases: [
      { it: 'should fail with EEXIST for O_CREAT|O_EXCL on an existing file', steps: [step(alice.open('/tmp/a-file', 'w|creat|excl'), 'EEXIST')] },
      { it: 'should fail with EEXIST for O_CREAT|O_EXCL on a dangling symlink', steps: [step(bob.open('/home/bob/dangling', 'w|creat|excl'), 'EEXIST')] },
      {
        it: 'should create the target of a dangling symlink with O_CREAT',
        steps: [step(root.open('/home/bob/dangling', 'w|creat'), 'ok'), step(root.lstat('/nix/store/missing'), 'ok file 0644 0:0 size=0 nlink=1')],
      },
      {
        it: 'should report EEXIST before EACCES for O_CREAT|O_EXCL in a directory the caller cannot write',
        steps: [step(carol.open('/home/carol/ro/file', 'w|creat|excl'), 'EEXIST')],
      },
      { it: 'should fail with EACCES for O_CREAT in a directory the caller cannot write', steps: [step(carol.open('/home/carol/ro/new', 'w|creat'), 'EACCES')] },
      { it: 'should fail with ELOOP for O_NOFOLLOW on a symlink', steps: [step(root.open('/home/alice/store', 'r|nofollow'), 'ELOOP')] },
      { it: 'should follow a trailing slash even with O_NOFOLLOW', steps: [step(root.open('/home/alice/store/', 'r|nofollow'), 'ok')] },
      { it: 'should fail with ENOTDIR for O_DIRECTORY on a file', steps: [step(root.open('/tmp/b-file', 'r|directory'), 'ENOTDIR')] },
      { it: 'should fail with ENOTDIR for O_DIRECTORY|O_NOFOLLOW on a symlink', steps: [step(root.open('/home/alice/store', 'r|directory|nofollow'), 'ENOTDIR')] },
      { it: 'should fail with EISDIR when opening a directory for writing', steps: [step(root.open('/tmp', 'w'), 'EISDIR')] },
      { it: 'should fail with EISDIR for O_CREAT with a trailing slash', steps: [step(root.open('/tmp/new/', 'w|creat'), 'EISDIR')] },
      { it: 'should fail with EISDIR for O_CREAT on an existing directory', steps: [step(root.open('/tmp/bob-dir', 'r|creat'), 'EISDIR')] },
      { it: 'should fail with EINVAL for O_CREAT|O_DIRECTORY (Linux ≥ 6.4)', steps: [step(root.open('/tmp/new', 'r|creat|directory'), 'EINVAL')] },
      {
        it: 'should fail with EACCES for O_CREAT|O_NOFOLLOW on another user\'s symlink in a sticky world-writable directory (may_create_in_sticky)',
        steps: [step(alice.open('/tmp/link-b', 'rw|creat|nofollow'), 'EACCES')],
      },
      {
        it: 'should fail with ELOOP for O_CREAT|O_NOFOLLOW on the caller\'s own symlink',
        steps: [step(bob.open('/tmp/link-b', 'rw|creat|nofollow'), 'ELOOP')],
      },
      { it: 'should follow a symlink in last position without O_NOFOLLOW', steps: [step(bob.open('/tmp/link-b', 'r', { read: true }), 'ok; read ok "open"')] },
      {
        it: 'should follow a symlink to an existing file for O_CREAT without O_EXCL',
        steps: [step(bob.open('/tmp/link-b', 'w|creat', { write: 'O' }), 'ok; write ok "1"'), step(bob.readFile('/tmp/b-file'), 'ok "Open"')],
      },
      {
        it: 'should fail with ENOENT for O_CREAT through a symlink into a missing directory',
        steps: [step(root.symlink('/tmp/none/x', '/tmp/dl'), 'ok'), step(root.open('/tmp/dl', 'w|creat'), 'ENOENT')],
      },
      {
        it: 'should fail with EISDIR for O_CREAT through a symlink to a directory',
        steps: [step(root.symlink('/tmp/bob-dir', '/tmp/ld'), 'ok'), step(root.open('/tmp/ld', 'w|creat'), 'EISDIR')],
      },
    ],
  },
  {
    describe: 'open: access checks, O_TRUNC, O_APPEND',
    cases: [
      { it: 'should fail with EACCES reading without read permission', steps: [step(bob.readFile('/tmp/a-file'), 'EACCES')] },
      {
        it: 'should open a file for writing alone without read permission',
        steps: [step(root.chmod('/tmp/b-file', 0o222), 'ok'), step(alice.open('/tmp/b-file', 'w', { write: 'O' }), 'ok; write ok "1"'), step(alice.readFile('/tmp/b-file'), 'EACCES')],
      },
      {
        it: 'should judge the owner by the owner bits alone, even when group and other bits would allow',
        steps: [step(alice.chmod('/tmp/a-file', 0o077), 'ok'), step(alice.readFile('/tmp/a-file'), 'EACCES'), step(bob.readFile('/tmp/a-file'), 'ok "secret"')],
      },
      {
        it: 'should grant group bits through a supplementary group',
        steps: [step(root.chown('/tmp/a-file', 30001, 30010), 'ok'), step(root.chmod('/tmp/a-file', 0o040), 'ok'), step(bob.readFile('/tmp/a-file'), 'ok "secret"'), step(carol.readFile('/tmp/a-file'), 'EACCES')],
      },
      {
        it: 'should let root read a mode 0000 file (CAP_DAC_OVERRIDE)',
        steps: [step(root.chmod('/tmp/a-file', 0), 'ok'), step(root.readFile('/tmp/a-file'), 'ok "secret"')],
      },
      {
        it: 'should need write permission for O_RDONLY|O_TRUNC',
        steps: [step(carol.open('/nix/var/f', 'r|trunc'), 'EACCES'), step(root.readFile('/nix/var/f'), 'ok "var"')],
      },
      {
        it: 'should truncate even when opened read-only with O_TRUNC',
        steps: [step(bob.open('/nix/var/f', 'r|trunc'), 'ok'), step(root.readFile('/nix/var/f'), 'ok ""')],
      },
      {
        it: 'should write at offset 0 without O_APPEND',
        steps: [step(bob.open('/tmp/b-file', 'w', { write: 'O' }), 'ok; write ok "1"'), step(bob.readFile('/tmp/b-file'), 'ok "Open"')],
      },
      {
        it: 'should write at the end with O_APPEND',
        steps: [step(bob.open('/tmp/b-file', 'w|append', { write: '!' }), 'ok; write ok "1"'), step(bob.readFile('/tmp/b-file'), 'ok "open!"')],
      },
      { it: 'should fail with EBADF writing a read-only descriptor', steps: [step(bob.open('/tmp/b-file', 'r', { write: 'x' }), 'ok; write EBADF')] },
      { it: 'should fail with EBADF reading a write-only descriptor', steps: [step(bob.open('/tmp/b-file', 'w', { read: true }), 'ok; read EBADF')] },
      { it: 'should fail with EISDIR reading a directory', steps: [step(root.open('/tmp', 'r', { read: true }), 'ok; read EISDIR')] },
      { it: 'should fail with EISDIR for readFile of a directory', steps: [step(root.readFile('/tmp'), 'EISDIR')] },
    ],
  },
];
