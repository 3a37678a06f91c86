/**
 * A deterministic, dependency-free digest for store-path hash parts. Nix uses truncated SHA-256
 * (libstore/store-dir-config.cc makeStorePath); the model needs only the properties the bug rests
 * on: a pure function of its input, 32 characters of Nix's base-32 alphabet, collisions negligible.
 */
const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';

/** cyrb53: a 53-bit string hash, good enough spread for a model, with no dependency. */
function cyrb53(s: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** 32 base-32 characters (160 bits, as a Nix hash part) derived from `s`. */
export function hashPart(s: string): string {
  let out = '';
  for (let seed = 0; out.length < 32; seed++) {
    let n = cyrb53(s, seed);
    for (let i = 0; i < 8 && out.length < 32; i++) {
      out += NIX_BASE32[n % 32] ?? '0';
      n = Math.floor(n / 32);
    }
  }
  return out;
}

/** A short hex digest, for hashing model states. */
export function digest(s: string): string {
  return cyrb53(s, 1).toString(16).padStart(14, '0') + cyrb53(s, 2).toString(16).padStart(14, '0');
}

/** JSON with object keys sorted, so equal states serialise equally whatever the order they were built in. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (val === null || typeof val !== 'object' || Array.isArray(val)) return val;
    const o = val as Record<string, unknown>;
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  });
}
