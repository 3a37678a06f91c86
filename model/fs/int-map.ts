/**
 * A persistent map from small non-negative integers (inode numbers) to values: a 32-way trie that
 * copies only the path it changes. An update costs O(log32 n) and every older map stays valid, which
 * is what makes FsKernel.snapshot() O(1) (docs/decisions/0001-memfs-is-storage-only.md).
 */

const BITS = 5;
const WIDTH = 1 << BITS;
const MASK = WIDTH - 1;

type Slot = unknown;

export interface IntMap<V> {
  /** Trie levels; the map can hold keys below 32^depth without growing. */
  readonly depth: number;
  readonly root: readonly Slot[];
  /** Phantom field tying the map to its value type. */
  readonly _v?: V;
}

export function emptyIntMap<V>(): IntMap<V> {
  return { depth: 1, root: [] };
}

export function imGet<V>(m: IntMap<V>, key: number): V | undefined {
  if (key < 0 || key >= WIDTH ** m.depth) return undefined;
  let node: readonly Slot[] | undefined = m.root;
  for (let level = m.depth - 1; level > 0 && node; level--) {
    node = node[(key >>> (level * BITS)) & MASK] as readonly Slot[] | undefined;
  }
  return node?.[key & MASK] as V | undefined;
}

function setIn(node: readonly Slot[] | undefined, level: number, key: number, value: Slot): Slot[] {
  const copy = node ? node.slice() : [];
  const i = (key >>> (level * BITS)) & MASK;
  copy[i] = level === 0 ? value : setIn(copy[i] as readonly Slot[] | undefined, level - 1, key, value);
  return copy;
}

/** A new map with `key` bound to `value` (or unbound when `value` is undefined). */
export function imSet<V>(m: IntMap<V>, key: number, value: V | undefined): IntMap<V> {
  let { depth, root } = m;
  while (key >= WIDTH ** depth) {
    root = [root];
    depth++;
  }
  return { depth, root: setIn(root, depth - 1, key, value) };
}
