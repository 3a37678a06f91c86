/**
 * A deterministic, dependency-free digest for store-path hash parts. Nix uses truncated SHA-256
 * (libstore/store-dir-config.cc makeStorePath); the model needs only the properties the bug rests
 * on: a pure function of its input, 32 characters of Nix's base-32 alphabet, collisions negligible.
 */
import { feed, feedText, finishLanes, LANE_SLOTS, startLanes } from '../hash/index.js';

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
 * A digest of canonicalJson(v), computed bottom-up and without building the JSON: every object or
 * array is streamed once into a 128-bit hash (its members' digests standing in for them) and the
 * digest is remembered for that object. Model states are immutable and a step rebuilds only the
 * objects it changes, so hashing a successor state costs the objects that step made, not the whole
 * state. The stream is a prefix-free encoding of the canonical JSON (type tags, lengths before
 * strings, keys sorted, `undefined` members dropped as JSON.stringify drops them, -0 as 0), so
 * two values get the same digest exactly when their canonical JSON is equal, up to collisions of
 * 128 bits. A digest is 8 UTF-16 code units: a key for maps and sets, not text to print.
 */
const merkle = new WeakMap<object, string>();

/** An encoding computed by the caller (an override's way to stand in a member's digest). */
export class Piece {
  constructor(readonly text: string) {}
}

const enum Tag {
  Null = 1,
  True,
  False,
  Num,
  Str,
  Ref,
  Piece,
  Arr,
  Obj,
  End,
}

/** One set of lanes per nesting level: a member's digest is computed (recursively) between two feeds of its parent. */
const lanes = new Int32Array(LANE_SLOTS * 256);
let level = 0;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Feeds one member; false when JSON.stringify would drop it from an object (undefined, functions, symbols). */
function feedValue(o: number, v: unknown): boolean {
  switch (typeof v) {
    case 'string':
      feed(lanes, o, Tag.Str);
      feedText(lanes, o, v);
      return true;
    case 'number':
      if (!Number.isFinite(v)) {
        feed(lanes, o, Tag.Null);
        return true;
      }
      f64[0] = v === 0 ? 0 : v;
      feed(lanes, o, Tag.Num);
      feed(lanes, o, u32[0] ?? 0);
      feed(lanes, o, u32[1] ?? 0);
      return true;
    case 'boolean':
      feed(lanes, o, v ? Tag.True : Tag.False);
      return true;
    case 'object':
      if (v === null) feed(lanes, o, Tag.Null);
      else if (v instanceof Piece) {
        feed(lanes, o, Tag.Piece);
        feedText(lanes, o, v.text);
      } else {
        const d = canonicalDigest(v);
        feed(lanes, o, Tag.Ref);
        for (let i = 0; i < 8; i++) feed(lanes, o, d.charCodeAt(i));
      }
      return true;
    default:
      return false;
  }
}

export function canonicalDigest(o: object, override?: (key: string, value: unknown) => unknown): string {
  if (!override) {
    const hit = merkle.get(o);
    if (hit !== undefined) return hit;
  }
  const at = LANE_SLOTS * level++;
  if (at >= lanes.length) throw new Error('canonicalDigest: nested deeper than 256 levels');
  startLanes(lanes, at);
  try {
    if (Array.isArray(o)) {
      feed(lanes, at, Tag.Arr);
      feed(lanes, at, o.length);
      for (const x of o) if (!feedValue(at, x)) feed(lanes, at, Tag.Null);
    } else {
      const rec = o as Record<string, unknown>;
      feed(lanes, at, Tag.Obj);
      for (const k of Object.keys(rec).sort()) {
        const v = override ? override(k, rec[k]) : rec[k];
        if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
        feedText(lanes, at, k);
        feedValue(at, v);
      }
    }
    feed(lanes, at, Tag.End);
  } finally {
    level--;
  }
  const [x = 0, y = 0, z = 0, w = 0] = finishLanes(lanes, at);
  const out = String.fromCharCode(x & 0xffff, x >>> 16, y & 0xffff, y >>> 16, z & 0xffff, z >>> 16, w & 0xffff, w >>> 16);
  if (!override) merkle.set(o, out);
  return out;
}
