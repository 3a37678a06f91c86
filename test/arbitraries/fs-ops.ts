/**
 * Random syscall sequences over the differential test's initial tree: paths drawn from the tree, new
 * names beside and below it, through its symlinks, with trailing slashes and an occasional `..`.
 * Nothing generated lets a path climb above `/` (see cast.ts), so the real run stays in its directory.
 */
import fc from 'fast-check';
import type { OpenFlags } from '../../model/fs/index.js';
import { INITIAL_TREE, WHO } from '../differential/cast.js';
import type { Op } from '../differential/ops.js';

const existing = INITIAL_TREE.map((e) => e.path).filter((p) => p !== '/');
const dirs = ['/', ...INITIAL_TREE.filter((e) => e.kind === 'dir' && e.path !== '/').map((e) => e.path)];
const through = ['/home/alice/store', '/home/bob/dangling', '/home/bob/rel', '/nix/var/self', '/tmp/link-b'];
const fresh = [...dirs, '/nix/store/new', '/tmp/new'].flatMap((d) => ['new', 'n2'].map((n) => (d === '/' ? `/${n}` : `${d}/${n}`)));
const below = [...through, '/nix/store/aaa-foo/f', '/tmp/a-file'].map((p) => `${p}/x`);

const plainPath = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...existing) },
  { weight: 4, arbitrary: fc.constantFrom(...fresh) },
  { weight: 2, arbitrary: fc.constantFrom(...through, ...below, '/home/alice/store/new', '/home/alice/store/bbb-bar/x') },
);

/** A path, sometimes with a trailing slash or a `..` after its first component. */
export const pathArb: fc.Arbitrary<string> = fc
  .tuple(plainPath, fc.constantFrom('', '', '', '', '', '', '', '/', 'dotdot'))
  .map(([p, v]) => {
    if (v === '/') return `${p}/`;
    if (v !== 'dotdot') return p;
    const [first, ...rest] = p.split('/').filter((n) => n !== '');
    return rest.length > 0 ? `/${first ?? ''}/${rest[0] ?? ''}/../${rest.join('/')}` : p;
  });

/** Targets: absolute and relative, existing, dangling and self-referential; never `..` or `/`. */
export const targetArb = fc.constantFrom('/nix/store', '/nix/store/bbb-bar/x', '/tmp/missing', 'self', 'new', 'x', '/home/alice', '/nix/var/self');

export const modeArb = fc.constantFrom(0o755, 0o700, 0o644, 0o600, 0o777, 0o1777, 0o2775, 0o4755, 0o2755, 0o555, 0o000, 0o666, 0o1775, 0o6755, 0o2644, 0o4644);
const uidArb = fc.constantFrom(-1, 0, 30001, 30002, 30003);
const gidArb = fc.constantFrom(-1, 0, 30000, 30003, 30010);
const dataArb = fc.constantFrom('', 'x', 'hello', 'two\nlines');
const whoArb = fc.constantFrom(...WHO);

const sometimes = fc.constantFrom(false, false, true);

/** Access mode plus O_* flags; only the flags that are set appear in the record. */
export const openFlagsArb: fc.Arbitrary<OpenFlags> = fc
  .record({
    access: fc.constantFrom('r', 'w', 'rw'),
    creat: fc.boolean(), excl: sometimes, trunc: sometimes, append: sometimes, nofollow: sometimes, directory: sometimes,
  })
  .map((f) => Object.fromEntries(Object.entries(f).filter(([k, v]) => k === 'access' || v)) as unknown as OpenFlags);

/** One syscall by one of the cast. */
export const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constantFrom('mkdir', 'chmod'), who: whoArb, path: pathArb, mode: modeArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('mkdirP'), who: whoArb, path: pathArb, mode: modeArb }) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('open'), who: whoArb, path: pathArb, flags: openFlagsArb, mode: modeArb,
      then: fc.constantFrom('write', 'read', 'none'), data: dataArb,
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('writeFile'), who: whoArb, path: pathArb, data: dataArb, mode: modeArb }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constantFrom('readFile', 'unlink', 'rmdir', 'readlink', 'stat', 'lstat', 'readdir'), who: whoArb, path: pathArb,
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('rename'), who: whoArb, path: pathArb, to: pathArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('symlink'), who: whoArb, path: pathArb, target: targetArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('chown', 'lchown'), who: whoArb, path: pathArb, uid: uidArb, gid: gidArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('utimes'), who: whoArb, path: pathArb, atime: fc.nat(1000), mtime: fc.nat(1000) }) },
);

/** A sequence of 1–16 syscalls. */
export const sequenceArb = fc.array(opArb, { minLength: 1, maxLength: 16 });
