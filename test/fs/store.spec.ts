/** The storage layer: the persistent inode map and the memfs export. */
import { describe, expect, it } from 'vitest';
import { emptyIntMap, imGet, imSet } from '../../model/fs/int-map.js';
import { createKernel, populateOrThrow } from '../../model/fs/index.js';
import { INITIAL_TREE } from '../differential/cast.js';

describe('persistent int map', () => {
  it('should grow past 32 and 1024 keys and keep every older version intact', () => {
    let m = emptyIntMap<number>();
    const versions = [m];
    for (let k = 0; k < 2000; k += 7) {
      m = imSet(m, k, k * 2);
      versions.push(m);
    }
    expect(imGet(m, 1995)).toBe(3990);
    expect(imGet(m, 1996)).toBeUndefined();
    expect(imGet(versions[1] ?? m, 7)).toBeUndefined();
    expect(imGet(versions[2] ?? m, 7)).toBe(14);
    expect(imGet(imSet(m, 7, undefined), 7)).toBeUndefined();
    expect(imGet(m, 7)).toBe(14);
  });
});

describe('toVolume (memfs export)', () => {
  it('should copy modes, owners, contents and link targets into a memfs Volume', () => {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    const vol = k.toVolume();
    const st = vol.lstatSync('/nix/store');
    expect([st.mode & 0o7777, st.uid, st.gid, st.isDirectory()]).toEqual([0o1775, 0, 30000, true]);
    expect(vol.readFileSync('/tmp/b-file', 'utf8')).toBe('open');
    expect(vol.readlinkSync('/tmp/link-b')).toBe('/tmp/b-file');
    expect(vol.lstatSync('/tmp/c-suid').mode & 0o7777).toBe(0o6777);
    expect(vol.readdirSync('/nix/store')).toEqual(['aaa-foo', 'bbb-bar', 'ccc-suid', 'ddd-sgid']);
  });

  it('should show why memfs only stores: its own read check refuses a 0600 file the model lets root read', () => {
    const k = createKernel();
    populateOrThrow(k, INITIAL_TREE);
    expect(() => k.toVolume().readFileSync('/tmp/a-file', 'utf8')).toThrow(/EACCES/);
    expect(k.readFile({ uid: 0, gid: 0, groups: [0], umask: 0o022 }, '/tmp/a-file')).toEqual({ ok: true, value: 'secret' });
  });
});
