/**
 * One cell's breadth-first search split into partitions by state hash, level by level: each
 * partition owns the states whose hash maps to it (it alone remembers them as visited), expands
 * the frontier states it owns, and ships every successor it does not own to the owner. The
 * partitions know nothing of threads: a driver moves their messages (sim/workers/split-cell.ts
 * between worker threads; splitInThisThread below, in one thread, for tests).
 *
 * It reports exactly what `explore` reports, counterexamples included, because it replays its
 * order: explore expands a level's states in the order it found them, and finds a state at the
 * first transition (parent's place in its level, event's index among the parent's enabled events)
 * that reaches it. Every successor carries that pair as its key; the owner keeps the smallest key
 * per state, and the coordinator sorts the level's new states by key, which is explore's order.
 * Violations carry the key of the check that found them, and the smallest key wins, as the first
 * found wins in explore; a state cap cuts the level at the key explore would have stopped at.
 *
 * A shipped state is its world snapshot (plain data: structured clone copies it) and the events
 * that reach it, so a counterexample's path travels with the frontier and nobody keeps parents.
 */
import type { ModelEvent, World, WorldSnapshot } from '../nix/index.js';
import { applyQuiet, enabledEvents, hashWorld, initialWorld, restoreWorld, snapshotWorld } from '../nix/index.js';
import type { ExploreOptions, ExploreResult, Counterexample } from './explore.js';
import { freeScenario, idle } from './explore.js';
import type { InvariantName, Violation } from './invariants.js';
import { checkMove, checkQuiescent, viewOfMove } from './invariants.js';
import { FingerprintSet } from './visited.js';
import type { Scenario } from '../nix/index.js';
import type { WalkLimit } from './walk.js';

/** What a partition needs: explore's options without the callbacks (they do not cross threads). */
export type PartitionOptions = Omit<ExploreOptions, 'timeUp' | 'onProgress' | 'progressEvery' | 'maxStates'>;

/** A successor on its way to its owner: explore's key for it (parent's rank in its level, event's index). */
export interface Shipped {
  readonly hash: string;
  readonly rank: number;
  readonly event: number;
  readonly snap: WorldSnapshot;
  readonly path: readonly ModelEvent[];
}

/** A violation with the key of the check that found it (event -1: the state check, before any move). */
export interface KeyedViolation {
  readonly invariant: InvariantName;
  readonly message: string;
  readonly events: readonly ModelEvent[];
  readonly rank: number;
  readonly event: number;
}

/** What a partition says after expanding its part of a level. */
export interface LevelReport {
  /** Pairs (rank, transitions taken) for each frontier state it expanded, in rank order. */
  readonly moves: readonly number[];
  /** The first violation of each invariant it met in this level (smallest key). */
  readonly found: readonly KeyedViolation[];
  /** Some state it reached at the depth bound still had events. */
  readonly depthCut: boolean;
  /** Its clock ran out before it had expanded its whole part. */
  readonly timeUp: boolean;
}

/** Which partition owns a state: a hash of its hash, so ownership spreads evenly whatever the digest's form. */
export function ownerOf(hash: string, parts: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < hash.length; i++) h = Math.imul(h ^ hash.charCodeAt(i), 0x01000193);
  return (h >>> 0) % parts;
}

const before = (ar: number, ae: number, br: number, be: number): boolean => ar < br || (ar === br && ae < be);

interface FrontierState {
  readonly snap: WorldSnapshot;
  readonly path: readonly ModelEvent[];
}

export class Partition {
  private readonly world: World;
  private readonly visited = new FingerprintSet();
  /** Successors this partition already shipped: the owner has them with a key no larger. */
  private readonly shipped = new FingerprintSet();
  private readonly probed = new Map<string, Violation[]>();
  private frontier: FrontierState[] = [];
  /** This level's successors it owns, smallest key per state; sorted by key in settle(). */
  private candidates = new Map<string, Shipped>();
  private fresh: Shipped[] = [];
  private readonly enabledOpts;

  constructor(
    scenario: Scenario,
    private readonly opts: PartitionOptions,
    readonly index: number,
    readonly parts: number,
  ) {
    const s = freeScenario(scenario);
    this.world = initialWorld(s, opts.variant);
    const targets = s.explore?.faultTargets;
    this.enabledOpts = { freeFaults: { kinds: opts.faults, max: opts.maxFaults, ...(targets ? { targets } : {}) } };
    const h = hashWorld(this.world);
    if (ownerOf(h, parts) === index) {
      this.visited.add(h);
      this.frontier.push({ snap: snapshotWorld(this.world), path: [] });
    }
  }

  get frontierSize(): number {
    return this.frontier.length;
  }

  /**
   * Expands this partition's frontier states at `depth`, whose ranks in the level are `ranks` (in
   * frontier order), checking each state and move; returns the report and, per partition, the
   * successors to ship there (its own included, which `receive` then takes).
   */
  expand(depth: number, ranks: readonly number[], timeUp?: () => boolean): { report: LevelReport; outbox: Shipped[][] } {
    const w = this.world;
    const outbox: Shipped[][] = Array.from({ length: this.parts }, () => []);
    const found = new Map<InvariantName, KeyedViolation>();
    const keep = (v: Violation, events: readonly ModelEvent[], rank: number, event: number): void => {
      const had = found.get(v.invariant);
      if (!had || before(rank, event, had.rank, had.event)) found.set(v.invariant, { invariant: v.invariant, message: v.message, events, rank, event });
    };
    const moves: number[] = [];
    let depthCut = false;
    let stopped = false;
    for (let k = 0; k < this.frontier.length; k++) {
      if (timeUp?.()) {
        stopped = true;
        break;
      }
      const { snap, path } = this.frontier[k] as FrontierState;
      const rank = ranks[k] ?? 0;
      restoreWorld(w, snap);
      const events = enabledEvents(w.ctx, w.state, this.enabledOpts);
      // as explore: the quiescent invariants hold from every state where no build is running
      if (events.length === 0 || idle(w.state)) for (const v of checkQuiescent(w, this.probed)) keep(v, path, rank, -1);
      if (events.length === 0) continue;
      if (depth >= this.opts.maxDepth) {
        depthCut = true;
        continue;
      }
      events.forEach((e, j) => {
        restoreWorld(w, snap);
        const prev = w.state;
        const r = applyQuiet(w, e);
        if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
        const next = [...path, e];
        for (const v of checkMove(w, prev, viewOfMove(w, e, snap.fs))) keep(v, next, rank, j);
        const hash = hashWorld(w);
        const owner = ownerOf(hash, this.parts);
        // shipped before (this level from a smaller key, or an earlier level): the owner knows it
        if (owner !== this.index && !this.shipped.add(hash)) return;
        if (owner === this.index && this.visited.has(hash)) return;
        outbox[owner]?.push({ hash, rank, event: j, snap: snapshotWorld(w), path: next });
      });
      moves.push(rank, events.length);
    }
    this.frontier = [];
    return { report: { moves, found: [...found.values()], depthCut, timeUp: stopped }, outbox };
  }

  /** Successors shipped here (from any partition, this one included). */
  receive(items: readonly Shipped[]): void {
    for (const it of items) {
      if (this.visited.has(it.hash)) continue;
      const had = this.candidates.get(it.hash);
      if (!had || before(it.rank, it.event, had.rank, had.event)) this.candidates.set(it.hash, it);
    }
  }

  /** The keys of this level's new states, in key order, as pairs (rank, event). */
  settle(): number[] {
    this.fresh = [...this.candidates.values()].sort((a, b) => a.rank - b.rank || a.event - b.event);
    this.candidates = new Map();
    return this.fresh.flatMap((s) => [s.rank, s.event]);
  }

  /** The level's new states become visited and the next frontier (in key order, which is rank order). */
  advance(): void {
    for (const s of this.fresh) {
      this.visited.add(s.hash);
      this.frontier.push({ snap: s.snap, path: s.path });
    }
    this.fresh = [];
  }
}

/**
 * The coordinator's side: after each level it merges the partitions' reports and new keys into
 * explore's counts and first violations, and hands each partition the ranks of its new states.
 */
export class LevelMerge {
  private states = 1;
  private transitions = 0;
  private depth = 0;
  private level = 0;
  private limit: WalkLimit | null = null;
  private readonly found = new Map<InvariantName, KeyedViolation & { readonly level: number }>();
  private done = false;

  constructor(private readonly maxStates: number) {}

  get finished(): boolean {
    return this.done;
  }

  /** The level just expanded; null when the search ends here, else each partition's ranks for the next level. */
  merge(reports: readonly LevelReport[], keys: readonly (readonly number[])[]): number[][] | null {
    const fresh: { part: number; rank: number; event: number }[] = [];
    keys.forEach((k, part) => {
      for (let i = 0; i < k.length; i += 2) fresh.push({ part, rank: k[i] ?? 0, event: k[i + 1] ?? 0 });
    });
    fresh.sort((a, b) => a.rank - b.rank || a.event - b.event);
    // explore stops when the (maxStates + 1)th distinct state is found: that state's key is where the level is cut
    const room = this.maxStates - this.states;
    const cut = room < fresh.length ? fresh[room] : undefined;
    const within = (rank: number, event: number): boolean => !cut || !before(cut.rank, cut.event, rank, event);
    for (const r of reports) {
      for (let i = 0; i < r.moves.length; i += 2) {
        const rank = r.moves[i] ?? 0;
        const n = r.moves[i + 1] ?? 0;
        if (!cut || rank < cut.rank) this.transitions += n;
        else if (rank === cut.rank) this.transitions += cut.event + 1;
      }
      for (const v of r.found) {
        if (!within(v.rank, v.event)) continue;
        const had = this.found.get(v.invariant);
        if (!had || (had.level === this.level && before(v.rank, v.event, had.rank, had.event))) this.found.set(v.invariant, { ...v, level: this.level });
      }
      if (r.depthCut) this.limit = 'maxDepth';
    }
    const timeUp = reports.some((r) => r.timeUp);
    // as explore: the state found over the cap is counted but never kept, so it sets no depth
    const kept = cut ? room : fresh.length;
    this.states += cut ? room + 1 : kept;
    if (kept > 0) this.depth = this.level + 1;
    this.level++;
    if (cut || timeUp || fresh.length === 0) {
      if (cut) this.limit = 'maxStates';
      else if (timeUp) this.limit = 'time';
      this.done = true;
      return null;
    }
    const ranks: number[][] = keys.map(() => []);
    fresh.forEach((f, i) => ranks[f.part]?.push(i));
    return ranks;
  }

  result(): ExploreResult {
    const counterexamples: Counterexample[] = [...this.found.values()]
      .sort((a, b) => a.level - b.level || a.rank - b.rank || a.event - b.event)
      .map((v) => ({ invariant: v.invariant, message: v.message, events: v.events }));
    return { distinctStates: this.states, transitions: this.transitions, depth: this.depth, complete: this.limit === null, limit: this.limit, counterexamples };
  }
}

/** The split search with every partition in this thread: the same answer as explore, for any `parts`. */
export function splitInThisThread(scenario: Scenario, opts: PartitionOptions & { readonly maxStates: number; readonly timeUp?: () => boolean }, parts: number): ExploreResult {
  const all = Array.from({ length: parts }, (_, i) => new Partition(scenario, opts, i, parts));
  const merge = new LevelMerge(opts.maxStates);
  let ranks: number[][] = all.map((p) => (p.frontierSize > 0 ? [0] : []));
  for (let depth = 0; ; depth++) {
    const expanded = all.map((p, i) => p.expand(depth, ranks[i] ?? [], opts.timeUp));
    for (const p of all) p.receive(expanded.flatMap((x) => x.outbox[p.index] ?? []));
    const next = merge.merge(
      expanded.map((x) => x.report),
      all.map((p) => p.settle()),
    );
    if (next === null) return merge.result();
    for (const p of all) p.advance();
    ranks = next;
  }
}
