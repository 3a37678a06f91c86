/**
 * The streaming digest fs and nix states share: a pure function of the numbers fed, where a string is
 * its length and then its code units, and lane sets at different offsets do not touch each other.
 */
import { fc, it } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { feed, feedText, finishLanes, LANE_SLOTS, startLanes } from '../../model/hash/index.js';

function digestOf(texts: readonly string[], at = 0): string {
  const l = new Int32Array(LANE_SLOTS * (at + 1));
  startLanes(l, LANE_SLOTS * at);
  for (const t of texts) feedText(l, LANE_SLOTS * at, t);
  return [...finishLanes(l, LANE_SLOTS * at)].join(',');
}

describe('lanes digest', () => {
  it.prop([fc.array(fc.string(), { maxLength: 4 })])('should be a function of what was fed, whatever the offset', (texts) => {
    expect(digestOf(texts, 3)).toBe(digestOf(texts));
  });

  it.prop([fc.array(fc.string(), { maxLength: 4 }), fc.array(fc.string(), { maxLength: 4 })], { numRuns: 500 })(
    'should differ for different string sequences, including the same text split differently',
    (a, b) => {
      expect(digestOf(a) === digestOf(b)).toBe(JSON.stringify(a) === JSON.stringify(b));
    },
  );

  it('should spell a string as its length, then its code units', () => {
    const l = new Int32Array(LANE_SLOTS);
    startLanes(l, 0);
    for (const x of [2, 'h'.charCodeAt(0), 'i'.charCodeAt(0)]) feed(l, 0, x);
    expect([...finishLanes(l, 0)].join(',')).toBe(digestOf(['hi']));
  });

  it('should forget what was fed when the lanes are started again', () => {
    const l = new Int32Array(LANE_SLOTS);
    startLanes(l, 0);
    feedText(l, 0, 'x');
    startLanes(l, 0);
    feedText(l, 0, 'y');
    expect([...finishLanes(l, 0)].join(',')).toBe(digestOf(['y']));
  });

  it('should start only the lanes at its own offset', () => {
    const l = new Int32Array(LANE_SLOTS * 3);
    startLanes(l, 0);
    feedText(l, 0, 'a');
    startLanes(l, 2 * LANE_SLOTS);
    feedText(l, 2 * LANE_SLOTS, 'b');
    const below = [...l.slice(0, LANE_SLOTS)];
    startLanes(l, LANE_SLOTS);
    expect([...l.slice(0, LANE_SLOTS)]).toEqual(below);
    expect([...finishLanes(l, 2 * LANE_SLOTS)].join(',')).toBe(digestOf(['b']));
  });

  it('should leave the lanes at other offsets alone', () => {
    const l = new Int32Array(LANE_SLOTS * 2);
    startLanes(l, 0);
    startLanes(l, LANE_SLOTS);
    const before = [...l.slice(0, LANE_SLOTS)];
    feed(l, LANE_SLOTS, 7);
    feedText(l, LANE_SLOTS, 'x');
    expect([...l.slice(0, LANE_SLOTS)]).toEqual(before);
    expect([...l.slice(LANE_SLOTS)]).not.toEqual(before);
  });

  it('should let each lane reach the two words that cross it with a neighbour', () => {
    // word i mixes lane i with lane i-1 (mod 4): one flipped lane bit must show in exactly two words
    const base = new Int32Array(LANE_SLOTS);
    startLanes(base, 0);
    const ref = [...finishLanes(base, 0)];
    for (let lane = 0; lane < LANE_SLOTS; lane++) {
      const l = Int32Array.from(base);
      l[lane] = (l[lane] ?? 0) ^ 1;
      const got = [...finishLanes(l, 0)];
      expect(got.filter((w, i) => w !== ref[i]).length, `lane ${String(lane)}`).toBe(2);
    }
  });
});
