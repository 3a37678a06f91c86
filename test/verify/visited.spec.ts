/** The explorer's compact visited set: a set of strings, as far as the walk can tell. */
import { describe, expect, it } from 'vitest';
import { FingerprintSet } from '../../model/verify/visited.js';

describe('FingerprintSet', () => {
  it('should add each distinct key once, through many growths, and know every key added', () => {
    const set = new FingerprintSet(4);
    const keys = Array.from({ length: 20_000 }, (_, i) => `${(i * 2654435761).toString(16)}-${String(i)}`);
    for (const k of keys) expect(set.add(k)).toBe(true);
    expect(set.size).toBe(keys.length);
    for (const k of keys.slice(0, 500)) expect(set.add(k)).toBe(false);
    expect(set.size).toBe(keys.length);
    expect(keys.every((k) => set.has(k))).toBe(true);
    expect(set.has('never added')).toBe(false);
  });
});
