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

/**
 * digest(canonicalJson(v)) in spirit, computed bottom-up: every object or array is digested once
 * from its children's digests and the digest is remembered for that object. Model states are
 * immutable and a step rebuilds only the objects it changes, so hashing a successor state costs the
 * objects that step made, not the whole state. Two values get the same digest exactly when their
 * canonical JSON is equal (keys sorted, `undefined` members dropped, as JSON.stringify does), up to
 * digest collisions.
 */
const merkle = new WeakMap<object, string>();

/** An encoding computed by the caller (an override's way to stand in a member's digest). */
export class Piece {
  constructor(readonly text: string) {}
}

/** A value's piece of its parent's encoding: JSON for primitives, `#digest` for objects and arrays. */
function piece(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null) return 'null';
      return v instanceof Piece ? v.text : `#${canonicalDigest(v)}`;
    default:
      // undefined, functions, symbols: JSON.stringify drops them from objects (and writes null in arrays)
      return undefined;
  }
}

export function canonicalDigest(o: object, override?: (key: string, value: unknown) => unknown): string {
  if (!override) {
    const hit = merkle.get(o);
    if (hit !== undefined) return hit;
  }
  let text: string;
  if (Array.isArray(o)) {
    text = '[';
    for (let i = 0; i < o.length; i++) text += `${i > 0 ? ',' : ''}${piece(o[i]) ?? 'null'}`;
    text += ']';
  } else {
    const rec = o as Record<string, unknown>;
    const keys = Object.keys(rec).sort();
    text = '{';
    let first = true;
    for (const k of keys) {
      const p = piece(override ? override(k, rec[k]) : rec[k]);
      if (p === undefined) continue;
      text += `${first ? '' : ','}${JSON.stringify(k)}:${p}`;
      first = false;
    }
    text += '}';
  }
  const d = digest(text);
  if (!override) merkle.set(o, d);
  return d;
}
