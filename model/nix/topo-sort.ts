/**
 * Nix: libutil/include/nix/util/topo-sort.hh topoSort @2.34.8, step for step, because which
 * output registerOutputs takes first, and which cycle it reports, follow from its visiting order:
 * items and children are std::sets (byte order), a depth-first visit pushes a node after its
 * children (l.50), the result is reversed (l.63), and the first node met again while still on
 * the stack is reported with the node it was reached from (l.31).
 */

export type TopoSorted = { readonly kind: 'sorted'; readonly order: readonly string[] } | { readonly kind: 'cycle'; readonly path: string; readonly parent: string };

/** std::set<std::string>'s order: bytewise, not locale-aware. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function topoSort(items: readonly string[], children: (item: string) => readonly string[]): TopoSorted {
  const set = [...new Set(items)].sort(byteOrder);
  const sorted: string[] = [];
  const visited = new Set<string>();
  const parents = new Set<string>();
  const visit = (path: string, parent: string | undefined): { path: string; parent: string } | undefined => {
    if (parents.has(path)) {
      // a node still on the stack was reached again, so from some node: a top-level visit starts with an empty stack
      if (parent === undefined) throw new Error('topoSort: a cycle without a parent');
      return { path, parent };
    }
    if (visited.has(path)) return undefined;
    visited.add(path);
    parents.add(path);
    for (const c of [...new Set(children(path))].sort(byteOrder)) {
      // "Don't traverse into items that don't exist in our starting set" (topo-sort.hh l.43), nor into itself
      if (c === path || !set.includes(c)) continue;
      const cycle = visit(c, path);
      if (cycle) return cycle;
    }
    sorted.push(path);
    parents.delete(path);
    return undefined;
  };
  for (const i of set) {
    const cycle = visit(i, undefined);
    if (cycle) return { kind: 'cycle', ...cycle };
  }
  return { kind: 'sorted', order: sorted.reverse() };
}
