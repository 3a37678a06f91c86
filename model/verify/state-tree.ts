/**
 * The breadth-first tree of visited states, kept small: per state only its parent's index, its
 * depth and the index of the event that reached it first (three words, in typed arrays). A path is
 * rebuilt by following parents, and a world by replaying that path (frontier-worlds.ts).
 */
import type { ModelEvent } from '../nix/index.js';

export class StateTree {
  private parents = new Int32Array(1024);
  private depths = new Int32Array(1024);
  private eventIds = new Int32Array(1024);
  /** Events interned: many states are reached by the same event, so each state stores a number. */
  // Stryker disable next-line ArrayDeclaration: an id is the list's length when the event is pushed, so a leading extra entry is never read
  private readonly events: ModelEvent[] = [];
  private readonly eventIndex = new Map<string, number>();
  length = 0;

  /** Adds a state reached from `parent` by `event` (the initial state: parent -1, no event); returns its index. */
  push(parent: number, event: ModelEvent | undefined, depth: number): number {
    const n = this.length;
    if (n === this.parents.length) {
      this.parents = grown(this.parents);
      this.depths = grown(this.depths);
      this.eventIds = grown(this.eventIds);
    }
    this.parents[n] = parent;
    this.depths[n] = depth;
    // Stryker disable next-line UnaryOperator: only the initial state has no event, and pathTo stops before reading it
    this.eventIds[n] = event === undefined ? -1 : this.intern(event);
    this.length = n + 1;
    return n;
  }

  private intern(e: ModelEvent): number {
    const key = `${e.type}\u0000${e.actor}`;
    let id = this.eventIndex.get(key);
    // Stryker disable next-line ConditionalExpression: interning every event afresh changes only memory (each id still names its own event)
    if (id === undefined) {
      id = this.events.length;
      this.events.push(e);
      this.eventIndex.set(key, id);
    }
    return id;
  }

  depth(i: number): number {
    return this.depths[i] ?? 0;
  }

  /** The state `i` was first reached from (-1 for the initial state). */
  parent(i: number): number {
    return this.parents[i] ?? -1;
  }

  /** The event that first reached state `i` (undefined for the initial state). */
  event(i: number): ModelEvent | undefined {
    return this.events[this.eventIds[i] ?? -1];
  }

  pathTo(i: number): ModelEvent[] {
    const out: ModelEvent[] = [];
    // Stryker disable next-line EqualityOperator: state 0 (the initial one) has no event, and its parent -1 ends the loop anyway
    for (let n = i; n > 0; n = this.parents[n] ?? 0) {
      const e = this.event(n);
      // Stryker disable next-line ConditionalExpression: every state past the initial one has an event
      if (e) out.push(e);
    }
    return out.reverse();
  }
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
