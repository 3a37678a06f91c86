/**
 * The explorer's visited set, kept compact: each state's hash is folded to a 128-bit fingerprint
 * stored as four 32-bit words in one open-addressing table (about 32 bytes a state at the table's
 * load, against ~150 for a Set of hex strings). Two states collide only if 128 bits of their
 * hashes do, which at a million states is about one chance in 10^26.
 */
export class FingerprintSet {
  private words: Uint32Array;
  /** Slots in the table (a power of two); a slot is four words, all zero when empty. */
  private slots: number;
  private count = 0;

  constructor(initialSlots = 1024) {
    this.slots = initialSlots;
    this.words = new Uint32Array(initialSlots * 4);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the fingerprint of `key`; false when it was there already. */
  add(key: string): boolean {
    fold(key);
    return this.insert(fp[0] ?? 0, fp[1] ?? 0, fp[2] ?? 0, fp[3] ?? 0);
  }

  has(key: string): boolean {
    fold(key);
    const [a = 0, b = 0, c = 0, d = 0] = fp;
    return this.words[this.slotOf(a, b, c, d) + 3] !== 0;
  }

  private insert(a: number, b: number, c: number, d: number): boolean {
    // Stryker disable next-line EqualityOperator: growing one insert earlier changes the table's size, never an answer
    if ((this.count + 1) * 2 > this.slots) this.grow();
    const o = this.slotOf(a, b, c, d);
    const w = this.words;
    if (w[o + 3] !== 0) return false;
    w[o] = a;
    w[o + 1] = b;
    w[o + 2] = c;
    w[o + 3] = d;
    this.count++;
    return true;
  }

  /** The word offset of the slot holding this fingerprint, or of the empty slot where probing for it stops. */
  private slotOf(a: number, b: number, c: number, d: number): number {
    const mask = this.slots - 1;
    const w = this.words;
    // Stryker disable next-line ArithmeticOperator: probing backwards works as well, since inserts and lookups both step the same way
    for (let i = a & mask; ; i = (i + 1) & mask) {
      const o = i * 4;
      // word 3 of a fingerprint is odd (fold sets its low bit), so a zero there marks an empty slot
      if (w[o + 3] === 0) return o;
      if (holds(w, o, a, b, c, d)) return o;
    }
  }

  private grow(): void {
    const old = this.words;
    this.slots *= 2;
    this.words = new Uint32Array(this.slots * 4);
    this.count = 0;
    // Stryker disable next-line EqualityOperator: one step past the end reads no words (undefined), which the zero test below skips
    for (let o = 0; o < old.length; o += 4) {
      const d = old[o + 3] ?? 0;
      if (d !== 0) this.insert(old[o] ?? 0, old[o + 1] ?? 0, old[o + 2] ?? 0, d);
    }
  }
}

/** Whether the slot at word offset `o` holds the fingerprint (a, b, c, d). */
function holds(w: Uint32Array, o: number, a: number, b: number, c: number, d: number): boolean {
  // Stryker disable next-line ConditionalExpression,LogicalOperator: dropping or weakening one word's comparison shows only when a slot met in probing agrees with the key in 31 or more other bits
  return w[o] === a && w[o + 1] === b && w[o + 2] === c && w[o + 3] === d;
}

const fp = new Uint32Array(4);

/** Four independent 32-bit multiplicative hashes of `s` into `fp`; the last one odd (a zero there marks an empty slot). */
function fold(s: string): void {
  let h1 = 0x9e3779b1;
  let h2 = 0x85ebca77;
  let h3 = 0xc2b2ae3d;
  let h4 = 0x27d4eb2f;
  // Stryker disable next-line EqualityOperator: charCodeAt one past the end is NaN, which ^ takes as 0: every hash gets one more multiply, still a function of the string alone
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 0x01000193);
    h2 = Math.imul(h2 ^ ch, 0x5bd1e995);
    h3 = Math.imul(h3 ^ ch, 0x27d4eb2d);
    h4 = Math.imul(h4 ^ ch, 0x165667b1);
  }
  fp[0] = avalanche(h1 ^ Math.imul(h4, 0x9e3779b1));
  fp[1] = avalanche(h2 ^ Math.imul(h1, 0x85ebca77));
  fp[2] = avalanche(h3 ^ Math.imul(h2, 0xc2b2ae3d));
  fp[3] = avalanche(h4 ^ Math.imul(h3, 0x27d4eb2f)) | 1;
}

function avalanche(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
