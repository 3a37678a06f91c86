/** The explorer's compact visited set: a set of strings, as far as the walk can tell. */
import { describe, expect, it } from 'vitest';
import { FingerprintSet } from '../../model/verify/visited.js';

const keyOf = (i: number): string => `${(i * 2654435761).toString(16)}-${String(i)}`;

describe('FingerprintSet', () => {
  it('should add each distinct key once, through many growths, and know every key added', () => {
    const set = new FingerprintSet(4);
    const keys = Array.from({ length: 20_000 }, (_, i) => keyOf(i));
    for (const k of keys) expect(set.add(k)).toBe(true);
    expect(set.size).toBe(keys.length);
    for (const k of keys.slice(0, 500)) expect(set.add(k)).toBe(false);
    expect(set.size).toBe(keys.length);
    expect(keys.every((k) => set.has(k))).toBe(true);
    expect(set.has('never added')).toBe(false);
  });

  it('should know no key it was not given, however full the table', () => {
    const set = new FingerprintSet(4);
    for (let i = 0; i < 50_000; i++) set.add(keyOf(i));
    // the next 50,000 keys probe the same table: every slot they meet holds another key's fingerprint, or nothing
    let known = 0;
    for (let i = 50_000; i < 100_000; i++) if (set.has(keyOf(i))) known++;
    expect(known).toBe(0);
    // and adding them finds none there already
    for (let i = 50_000; i < 100_000; i++) expect(set.add(keyOf(i))).toBe(true);
    expect(set.size).toBe(100_000);
  });

  for (const slots of [1, 2]) {
    it(`should grow from a table of ${String(slots)} slot(s) before it fills`, () => {
      const set = new FingerprintSet(slots);
      for (const k of ['a', 'b', 'c', 'd', 'e']) expect(set.add(k)).toBe(true);
      expect(set.size).toBe(5);
      expect(['a', 'b', 'c', 'd', 'e'].every((k) => set.has(k))).toBe(true);
      expect(set.add('c')).toBe(false);
      expect(set.has('f')).toBe(false);
    });
  }

  it('should tell apart keys differing in one character anywhere, or in length', () => {
    const base = 'state:'.padEnd(200, 'x');
    const set = new FingerprintSet();
    expect(set.add(base)).toBe(true);
    for (let i = 0; i < base.length; i++) expect(set.has(`${base.slice(0, i)}y${base.slice(i + 1)}`)).toBe(false);
    expect(set.has(base.slice(0, -1))).toBe(false);
    expect(set.has(`${base}x`)).toBe(false);
    expect(set.has('')).toBe(false);
    expect(set.add('')).toBe(true);
    expect(set.has('')).toBe(true);
  });
});
