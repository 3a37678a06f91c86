/**
 * Nix: libutil/include/nix/util/topo-sort.hh topoSort @2.34.8, step for step, because which
 * output registerOutputs takes first, and which cycle it reports, follow from its visiting order:
 * items and children are std::sets (byte order), a depth-first visit pushes a node after its
 * children (l.50), the result is reversed (l.63), and the first node met again while still on
 * the stack is reported with the node it was reached from (l.31).
 */

export type TopoSorted = { readonly kind: 'sorted'; readonly order: readonly string[] } | { readonly kind: 'cycle'; readonly path: string; readonly parent: string };

interface Cycle {
  readonly path: string;
  readonly parent: string;
}

/**
 * std::set<std::string>'s order, for output names, which are ASCII (store-name characters, as the
 * scenario schema and plans require): there JS's default order, by UTF-16 code unit, is byte order.
 */
function sortedSet(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort();
}

export function topoSort(items: readonly string[], children: (item: string) => readonly string[]): TopoSorted {
  const set = sortedSet(items);
  const sorted: string[] = [];
  const visited = new Set<string>();
  const parents = new Set<string>();
  // dfsVisit after its cycle check: a top-level call (parent nullptr) starts with an empty stack, so it needs none
  const expand = (path: string): Cycle | undefined => {
    if (visited.has(path)) return undefined;
    visited.add(path);
    parents.add(path);
    for (const c of sortedSet(children(path))) {
      // "Don't traverse into items that don't exist in our starting set" (topo-sort.hh l.43), nor into itself
      if (c === path || !set.includes(c)) continue;
      const cycle = parents.has(c) ? { path: c, parent: path } : expand(c);
      if (cycle) return cycle;
    }
    sorted.push(path);
    parents.delete(path);
    return undefined;
  };
  for (const i of set) {
    const cycle = expand(i);
    if (cycle) return { kind: 'cycle', ...cycle };
  }
  return { kind: 'sorted', order: sorted.reverse() };
}
