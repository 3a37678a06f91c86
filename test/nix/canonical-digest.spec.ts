/**
 * The explorer deduplicates states by canonicalDigest, a bottom-up digest remembered per object;
 * it must split values exactly as their canonical JSON does (key order and undefined members aside).
 */
import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { canonicalDigest, canonicalJson } from '../../model/nix/hash.js';

const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, undefined, true, false, 0, 1, -1, 0.5, '', 'a', '"', '1', '#x', '{}'),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', '1', '10', 'a b', ''), tie('v'), { maxKeys: 4 }),
  ),
})).v;
const root = fc.oneof(fc.array(value, { maxLength: 3 }), fc.dictionary(fc.constantFrom('a', 'b', '1', 'c'), value, { maxKeys: 4 }));

/** The same value with every object's keys inserted in reverse order. */
function reordered(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(reordered);
  return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reordered(x)]));
}

describe('canonicalDigest', () => {
  it.prop([root, root], { numRuns: 500 })('should equal for two values exactly when their canonical JSON does', (a, b) => {
    expect(canonicalDigest(a) === canonicalDigest(b)).toBe(canonicalJson(a) === canonicalJson(b));
  });

  it.prop([root], { numRuns: 200 })('should not depend on key order, nor change once remembered', (a) => {
    const first = canonicalDigest(a);
    expect(canonicalDigest(reordered(a) as object)).toBe(first);
    expect(canonicalDigest(a)).toBe(first);
  });
});
