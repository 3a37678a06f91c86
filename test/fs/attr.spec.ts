import { attrRules } from './cases/attr.js';
import { describe, expect, it } from 'vitest';
import { createKernel, populateOrThrow, ROOT, type Kernel } from '../../model/fs/index.js';
import { CAST, INITIAL_TREE } from '../differential/cast.js';
import { runOnModel } from './rule-case.js';

runOnModel(attrRules);

describe('utimes', () => {
  it('should set the times stat then reports, on the file a symlink names', () => {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    const { bob } = CAST;
    expect(k.utimes(bob, '/tmp/link-b', 11, 22).ok).toBe(true);
    const st = k.stat(bob, '/tmp/b-file');
    expect(st.ok && st.value.mtime).toBe(22);
  });
});

describe('darwin: setuid and setgid kept for the super-user, cleared for everyone else', () => {
  // chmod(2): "Writing or changing the owner of a file turns off the set-user-id and set-group-id
  // bits unless the user is the super-user." Linux agrees in these cases, so they are not darwin
  // rule cases (those must differ from Linux), and run on the model only.
  const mode = (k: Kernel, path: string): number => { const st = k.lstat(ROOT, path); return st.ok ? st.value.mode : -1; };
  function darwinKernel(): Kernel {
    const k = createKernel({ personality: 'darwin' });
    populateOrThrow(k, INITIAL_TREE);
    return k;
  }

  it('should keep both bits on a write by root', () => {
    const k = darwinKernel();
    expect(k.chmod(ROOT, '/nix/store/ccc-suid', 0o6755).ok).toBe(true);
    expect(k.writeFile(ROOT, '/nix/store/ccc-suid', 'z').ok).toBe(true);
    expect(mode(k, '/nix/store/ccc-suid')).toBe(0o6755);
  });

  it('should keep both bits when root changes the owner and group', () => {
    const k = darwinKernel();
    expect(k.chmod(ROOT, '/nix/store/ccc-suid', 0o6755).ok).toBe(true);
    expect(k.chown(ROOT, '/nix/store/ccc-suid', 30001, 30000).ok).toBe(true);
    expect(mode(k, '/nix/store/ccc-suid')).toBe(0o6755);
  });

  it('should clear both bits when the owner changes the group', () => {
    const k = darwinKernel();
    const { alice } = CAST;
    expect(k.chmod(alice, '/nix/store/ddd-sgid', 0o6775).ok).toBe(true);
    expect(k.chown(alice, '/nix/store/ddd-sgid', -1, 30000).ok).toBe(true);
    expect(mode(k, '/nix/store/ddd-sgid')).toBe(0o775);
  });

  it('should keep the bits of a directory whose group the owner changes', () => {
    const k = darwinKernel();
    const { alice } = CAST;
    expect(k.chmod(alice, '/nix/var/log', 0o2755).ok).toBe(true);
    expect(k.chown(alice, '/nix/var/log', -1, 30000).ok).toBe(true);
    expect(mode(k, '/nix/var/log')).toBe(0o2755);
  });
});
