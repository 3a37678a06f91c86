/**
 * topoSort as libutil's topo-sort.hh computes it: the order and the reported cycle follow from its
 * visiting order, which registerOutputs then reverses.
 */
import { describe, expect, it } from 'vitest';
import { topoSort } from '../../model/nix/topo-sort.js';

const graph =
  (edges: Readonly<Record<string, readonly string[]>>) =>
  (n: string): readonly string[] =>
    edges[n] ?? [];

describe('topoSort', () => {
  it('should put a node before what it references, and independent nodes in reverse byte order', () => {
    // no edges: pushed a, b, c; reversed
    expect(topoSort(['b', 'c', 'a'], graph({}))).toEqual({ kind: 'sorted', order: ['c', 'b', 'a'] });
    // a -> b: b is pushed first (a's child), then a, then c; reversed: c, a, b
    expect(topoSort(['a', 'b', 'c'], graph({ a: ['b'] }))).toEqual({ kind: 'sorted', order: ['c', 'a', 'b'] });
    // uppercase sorts before lowercase bytewise (std::set<std::string>), not as a locale would
    expect(topoSort(['b', 'B'], graph({}))).toEqual({ kind: 'sorted', order: ['b', 'B'] });
  });

  it('should follow a chain, ignore self-references and children outside the set', () => {
    expect(topoSort(['x', 'y', 'z'], graph({ z: ['y'], y: ['x', 'y', 'nowhere'] }))).toEqual({ kind: 'sorted', order: ['z', 'y', 'x'] });
  });

  it('should report the first node met again on the stack, with the node it was reached from', () => {
    expect(topoSort(['dev', 'out'], graph({ dev: ['out'], out: ['dev'] }))).toEqual({ kind: 'cycle', path: 'dev', parent: 'out' });
    // a -> b -> c -> b: the visit from a meets b again from c
    expect(topoSort(['a', 'b', 'c'], graph({ a: ['b'], b: ['c'], c: ['b'] }))).toEqual({ kind: 'cycle', path: 'b', parent: 'c' });
  });

  it('should visit children in byte order whatever order they are given in', () => {
    // a -> {c, b}: b is visited first, so pushed b, c, a; reversed: a, c, b
    expect(topoSort(['a', 'b', 'c'], graph({ a: ['c', 'b'] }))).toEqual({ kind: 'sorted', order: ['a', 'c', 'b'] });
  });
});
