/**
 * Four 32-bit multiply-xorshift lanes fed one number at a time (a code unit, a mode, a length, a
 * type tag): a 128-bit digest of a stream, computed without building the text it stands for. Both
 * the fs state hash and the Nix model's state digest use it, so it belongs to neither. The lanes live
 * in an Int32Array at an offset, four slots each, so a caller that digests nested values keeps one
 * slot per nesting level instead of allocating; the hot loops keep the lanes in locals.
 */

/** Slots one set of lanes takes in the array. */
export const LANE_SLOTS = 4;

/** Resets the lanes at `o` to the starting values. */
export function startLanes(l: Int32Array, o: number): void {
  l[o] = 0x9e3779b1 | 0;
  l[o + 1] = 0x85ebca77 | 0;
  l[o + 2] = 0xc2b2ae3d | 0;
  l[o + 3] = 0x27d4eb2f;
}

export function feed(l: Int32Array, o: number, x: number): void {
  const a = Math.imul((l[o] ?? 0) ^ x, 0x01000193);
  const b = Math.imul((l[o + 1] ?? 0) ^ x, 0x5bd1e995);
  const c = Math.imul((l[o + 2] ?? 0) ^ x, 0x27d4eb2d);
  const d = Math.imul((l[o + 3] ?? 0) ^ x, 0x165667b1);
  l[o] = a ^ (a >>> 15);
  l[o + 1] = b ^ (b >>> 13);
  l[o + 2] = c ^ (c >>> 16);
  l[o + 3] = d ^ (d >>> 14);
}

/** feed() of the length (so consecutive strings cannot run into each other), then of every code unit. */
export function feedText(l: Int32Array, o: number, s: string): void {
  feed(l, o, s.length);
  let a = l[o] ?? 0;
  let b = l[o + 1] ?? 0;
  let c = l[o + 2] ?? 0;
  let d = l[o + 3] ?? 0;
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    a = Math.imul(a ^ x, 0x01000193);
    b = Math.imul(b ^ x, 0x5bd1e995);
    c = Math.imul(c ^ x, 0x27d4eb2d);
    d = Math.imul(d ^ x, 0x165667b1);
    a ^= a >>> 15;
    b ^= b >>> 13;
    c ^= c >>> 16;
    d ^= d >>> 14;
  }
  l[o] = a;
  l[o + 1] = b;
  l[o + 2] = c;
  l[o + 3] = d;
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const words = new Uint32Array(4);

/**
 * The digest of what was fed at `o`, as four unsigned 32-bit words (each lane crossed with its
 * neighbour, then avalanched). The array is reused by the next call: read it before calling again.
 */
export function finishLanes(l: Int32Array, o: number): Uint32Array {
  const a = l[o] ?? 0;
  const b = l[o + 1] ?? 0;
  const c = l[o + 2] ?? 0;
  const d = l[o + 3] ?? 0;
  words[0] = mix(a ^ Math.imul(d, 0x9e3779b1));
  words[1] = mix(b ^ Math.imul(a, 0x85ebca77));
  words[2] = mix(c ^ Math.imul(b, 0xc2b2ae3d));
  words[3] = mix(d ^ Math.imul(c, 0x27d4eb2f));
  return words;
}
