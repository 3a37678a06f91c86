/**
 * One cell's breadth-first search split into partitions by state hash, level by level: each
 * partition owns the states whose hash maps to it (it alone remembers them as visited and decides
 * which discovery of a state counts), and expands its share of the frontier. The partitions know
 * nothing of threads: a driver moves their messages (sim/workers/split-cell.ts between worker
 * threads; splitInThisThread below, in one thread, for tests).
 *
 * It reports exactly what `explore` reports, counterexamples included, because it replays its
 * order: explore expands a level's states in the order it found them, and finds a state at the
 * first transition (parent's place in its level, event's index among the parent's enabled events)
 * that reaches it. Every successor is claimed at its owner with that pair as its key; the owner
 * keeps the smallest key per state, and the coordinator sorts the level's new states by key, which
 * is explore's order. Violations carry the key of the check that found them, and the smallest key
 * wins, as the first found wins in explore; a state cap cuts the level at the key explore would
 * have stopped at.
 *
 * A state is expanded where it was found: only its hash and key travel to the owner, so its
 * snapshot keeps the digests remembered for its parts (a copy from another thread would have to be
 * digested afresh). When the partitions' shares of a level drift apart, the coordinator has the
 * fuller ones hand states over (snapshot and path, copied), only as many as evens them out.
 */
import type { ModelEvent, Scenario, World, WorldSnapshot } from '../nix/index.js';
import { applyQuiet, enabledEvents, hashWorld, initialWorld, restoreWorld, snapshotWorld } from '../nix/index.js';
import type { ExploreOptions, ExploreResult, Counterexample } from './explore.js';
import { freeScenario, idle } from './explore.js';
import type { InvariantName, Violation } from './invariants.js';
import { checkMove, checkQuiescent, viewOfMove } from './invariants.js';
import { FingerprintSet } from './visited.js';
import type { WalkLimit } from './walk.js';

/** What a partition needs: explore's options without the callbacks (they do not cross threads). */
export type PartitionOptions = Omit<ExploreOptions, 'timeUp' | 'onProgress' | 'progressEvery' | 'maxStates'>;

/** A successor claimed at its owner with explore's key for it (parent's rank in its level, event's index). */
export interface Claim {
  readonly hash: string;
  readonly rank: number;
  readonly event: number;
}

/** A frontier state handed to another partition to even out a level. */
export interface Moved {
  readonly rank: number;
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

/** What a partition says after expanding its share of a level. */
export interface LevelReport {
  /** Frontier states it held at this level. */
  readonly held: number;
  /** Pairs (rank, transitions taken) for each frontier state it expanded, in rank order. */
  readonly moves: readonly number[];
  /** The first violation of each invariant it met in this level (smallest key). */
  readonly found: readonly KeyedViolation[];
  /** Some state it reached at the depth bound still had events. */
  readonly depthCut: boolean;
  /** Its clock ran out before it had expanded its whole share. */
  readonly timeUp: boolean;
}

/** What the coordinator tells a partition before each level after the first. */
export interface NextLevel {
  /** Triples (parent rank, event, new rank): the successors it found that are the level's new states. */
  readonly keep: readonly number[];
  /** States to hand over, per partition, from the end of its share (highest ranks first go to the lowest partition). */
  readonly give: readonly number[];
  /** Partitions that hand it states. */
  readonly from: readonly number[];
}

/** Which partition owns a state: a hash of its hash, so ownership spreads evenly whatever the digest's form. */
export function ownerOf(hash: string, parts: number): number {
  let h = 0x811c9dc5;
  // Stryker disable next-line EqualityOperator: charCodeAt one past the end is NaN, which ^ takes as 0: one more multiply, still a function of the hash alone, so every partition still agrees on the owner
  for (let i = 0; i < hash.length; i++) h = Math.imul(h ^ hash.charCodeAt(i), 0x01000193);
  return (h >>> 0) % parts;
}

// function declarations, not consts holding arrows: Stryker 9.6.1 activates a mutant of a module-level
// value only after the module has loaded when the run names its test files (stryker-js#6144), so a
// mutated arrow here was never active and always 'survived'; a mutant inside a body is active per call
function before(ar: number, ae: number, br: number, be: number): boolean {
  return ar < br || (ar === br && ae < be);
}
/** One number per key; a state has far fewer than 2^16 enabled events, and ranks stay far below 2^37. */
function keyOf(rank: number, event: number): number {
  const first = rank * 65536;
  // Stryker disable next-line ArithmeticOperator: keys are only matched against keys made here, and first - event is as one-to-one as the sum for events below 2^16
  return first + event;
}

interface FrontierState {
  readonly rank: number;
  readonly snap: WorldSnapshot;
  readonly path: readonly ModelEvent[];
}

export class Partition {
  private readonly world: World;
  private readonly visited = new FingerprintSet();
  /** Successors this partition already claimed: their owner has them with a key no larger. */
  private readonly claimed = new FingerprintSet();
  private readonly probed = new Map<string, Violation[]>();
  private frontier: FrontierState[] = [];
  /** This level's successors found here, by key, until the coordinator says which are new. */
  private held = new Map<number, FrontierState>();
  /** Claims at this owner this level: the smallest key per state. */
  private candidates = new Map<string, Claim>();
  /** The level's new states this partition owns, to remember as visited once the level is settled. */
  // Stryker disable next-line ArrayDeclaration: settle() sets it before next() reads it, in every level
  private fresh: string[] = [];
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
    this.claimed.add(h);
    if (ownerOf(h, this.parts) === index) {
      this.visited.add(h);
      this.frontier.push({ rank: 0, snap: snapshotWorld(this.world), path: [] });
    }
  }

  /**
   * Expands this partition's share of the level at `depth`, checking each state and move; returns
   * its report and, per partition, the claims to send there (its own included).
   */
  expand(depth: number, timeUp?: () => boolean): { report: LevelReport; claims: Claim[][] } {
    const w = this.world;
    const claims: Claim[][] = Array.from({ length: this.parts }, () => []);
    const found = new Map<InvariantName, KeyedViolation>();
    const keep = (v: Violation, events: readonly ModelEvent[], rank: number, event: number): void => {
      const had = found.get(v.invariant);
      if (!had || before(rank, event, had.rank, had.event)) found.set(v.invariant, { invariant: v.invariant, message: v.message, events, rank, event });
    };
    const moves: number[] = [];
    let depthCut = false;
    let stopped = false;
    this.frontier.sort((a, b) => a.rank - b.rank);
    for (const { rank, snap, path } of this.frontier) {
      if (timeUp?.()) {
        stopped = true;
        break;
      }
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
        // Stryker disable next-line ConditionalExpression,StringLiteral: an enabled event always applies (the model's contract); this guard never fires (the `true` twin, which always throws, fails every split test, hidden by this comment too)
        if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
        const next = [...path, e];
        for (const v of checkMove(w, prev, viewOfMove(w, e, snap.fs))) keep(v, next, rank, j);
        const hash = hashWorld(w);
        // claimed before (this level from a smaller key, or an earlier level): the owner knows it
        // Stryker disable next-line ConditionalExpression: claimed only spares messages: without it the owner still skips a visited state, and keeps the smallest key of a state claimed twice in a level (the `true` twin, which claims nothing, fails every split test, hidden by this comment too)
        if (!this.claimed.add(hash)) return;
        // Stryker disable next-line OptionalChaining: ownerOf is always below parts, and claims has an entry for each partition
        claims[ownerOf(hash, this.parts)]?.push({ hash, rank, event: j });
        // Stryker disable next-line UnaryOperator: the rank of a held state is a placeholder: next() gives each kept state its rank in the new level
        this.held.set(keyOf(rank, j), { rank: -1, snap: snapshotWorld(w), path: next });
      });
      moves.push(rank, events.length);
    }
    const held = this.frontier.length;
    // Stryker disable next-line ArrayDeclaration: next() replaces the frontier before the next expand; after the last level it is never read
    this.frontier = [];
    return { report: { held, moves, found: [...found.values()], depthCut, timeUp: stopped }, claims };
  }

  /** Claims at this owner (from any partition, this one included). */
  receive(claims: readonly Claim[]): void {
    for (const c of claims) {
      if (this.visited.has(c.hash)) continue;
      const had = this.candidates.get(c.hash);
      if (!had || before(c.rank, c.event, had.rank, had.event)) this.candidates.set(c.hash, c);
    }
  }

  /** The keys of this level's new states that this partition owns, in key order, as pairs (rank, event). */
  settle(): number[] {
    // Stryker disable next-line MethodExpression,ArrowFunction,ConditionalExpression,LogicalOperator,ArithmeticOperator: no reader depends on this order: LevelMerge.merge sorts every partition's keys together, next() takes its states in the coordinator's order, and the hashes kept only become visited (a set)
    const fresh = [...this.candidates.values()].sort((a, b) => a.rank - b.rank || a.event - b.event);
    this.candidates = new Map();
    this.fresh = fresh.map((c) => c.hash);
    return fresh.flatMap((c) => [c.rank, c.event]);
  }

  /**
   * The level is settled: the new states it owns become visited, the new states it found become
   * its share of the next level, and the states it must hand over leave it (returned per partition).
   */
  next(n: NextLevel): Moved[][] {
    for (const h of this.fresh) this.visited.add(h);
    // Stryker disable next-line ArrayDeclaration: settle() sets it before next() reads it, in every level
    this.fresh = [];
    const share: FrontierState[] = [];
    for (let i = 0; i < n.keep.length; i += 3) {
      const s = this.held.get(keyOf(n.keep[i] ?? 0, n.keep[i + 1] ?? 0));
      // Stryker disable next-line ConditionalExpression,StringLiteral: the coordinator keeps only keys that some partition claimed, and expand() holds the state of every claim it sends under that key; this guard never fires (the `true` twin, which always throws, fails every split test, hidden by this comment too)
      if (!s) throw new Error('split bug: a new state this partition never found');
      share.push({ ...s, rank: n.keep[i + 2] ?? 0 });
    }
    this.held = new Map();
    // Stryker disable next-line ArrayDeclaration,ArrowFunction: the loop below sets every entry
    const out: Moved[][] = n.give.map(() => []);
    let end = share.length;
    n.give.forEach((count, to) => {
      const given = share.slice(end - count, end);
      end -= count;
      out[to] = given;
    });
    this.frontier = share.slice(0, end);
    return out;
  }

  /** States handed over by another partition. */
  accept(moved: readonly Moved[]): void {
    for (const m of moved) this.frontier.push(m);
  }
}

/**
 * The coordinator's side: after each level it merges the partitions' reports and new keys into
 * explore's counts and first violations, and tells each partition which of its finds are the next
 * level's states, at which ranks, and what to hand over to even the shares out.
 */
export class LevelMerge {
  private states = 1;
  private transitions = 0;
  private depth = 0;
  private level = 0;
  private limit: WalkLimit | null = null;
  private readonly found = new Map<InvariantName, KeyedViolation & { readonly level: number }>();
  /** Which partition holds each rank of the level being expanded. */
  // Stryker disable next-line ArrayDeclaration: merge() sets the holders at the first level, before plan() reads them
  private holders: number[] = [];

  constructor(
    private readonly maxStates: number,
    private readonly parts: number,
  ) {}

  /** The level just expanded; null when the search ends here, else what each partition does before the next. */
  merge(reports: readonly LevelReport[], keys: readonly (readonly number[])[]): NextLevel[] | null {
    if (this.level === 0) this.holders = [Math.max(0, reports.findIndex((r) => r.held > 0))];
    const fresh: { rank: number; event: number }[] = [];
    for (const k of keys) for (let i = 0; i < k.length; i += 2) fresh.push({ rank: k[i] ?? 0, event: k[i + 1] ?? 0 });
    fresh.sort((a, b) => a.rank - b.rank || a.event - b.event);
    // explore stops when the (maxStates + 1)th distinct state is found: that state's key is where the level is cut
    const room = this.maxStates - this.states;
    const cut = fresh[room]; // undefined when the level fits
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
      return null;
    }
    return this.plan(fresh);
  }

  /** Each new state stays with the partition that found it (its parent's holder), then the fullest shares give to the emptiest. */
  private plan(fresh: readonly { rank: number; event: number }[]): NextLevel[] {
    const keep: number[][] = Array.from({ length: this.parts }, () => []);
    const ranks: number[][] = Array.from({ length: this.parts }, () => []);
    fresh.forEach((f, i) => {
      const p = this.holders[f.rank] ?? 0;
      // Stryker disable next-line OptionalChaining: holders only name partitions below parts, each of which has a list here and in ranks
      keep[p]?.push(f.rank, f.event, i);
      // Stryker disable next-line OptionalChaining: as the line above
      ranks[p]?.push(i);
    });
    const target = Math.ceil(fresh.length / this.parts);
    // handing a state over costs a copy and fresh digests: only when a share is well over its due
    const slack = Math.max(4, target >> 3);
    const give = ranks.map(() => Array.from({ length: this.parts }, () => 0));
    const surplus = ranks.map((r) => (r.length > target + slack ? r.length - target : 0));
    // a share with a surplus is over its due, so it has no room
    const room = ranks.map((r) => Math.max(0, target - r.length));
    // the shares under their due always have room for every surplus (the level fits in parts * target),
    // so each giver is down to its due by the last partition; a pair with nothing to move writes 0
    give.forEach((row, p) => {
      row.forEach((_, q) => {
        const n = Math.min(surplus[p] ?? 0, room[q] ?? 0);
        row[q] = n;
        surplus[p] = (surplus[p] ?? 0) - n;
        room[q] = (room[q] ?? 0) - n;
      });
    });
    // the same hand-over as Partition.next: from the end of a share, the first partitions first
    // Stryker disable next-line ArrayDeclaration: the loop below sets every entry, so the array's starting length is never seen
    const holders: number[] = new Array<number>(fresh.length);
    ranks.forEach((mine, p) => {
      let end = mine.length;
      (give[p] as number[]).forEach((count, to) => {
        for (const r of mine.slice(end - count, end)) holders[r] = to;
        end -= count;
      });
      for (const r of mine.slice(0, end)) holders[r] = p;
    });
    this.holders = holders;
    return keep.map((k, p) => ({
      keep: k,
      give: give[p] as number[],
      from: give.flatMap((g, q) => ((g[p] ?? 0) > 0 ? [q] : [])),
    }));
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
  const merge = new LevelMerge(opts.maxStates, parts);
  for (let depth = 0; ; depth++) {
    const expanded = all.map((p) => p.expand(depth, opts.timeUp));
    // Stryker disable next-line ArrayDeclaration: expand() returns a claim list for every partition, so the fallback never runs
    for (const p of all) for (const x of expanded) p.receive(x.claims[p.index] ?? []);
    const next = merge.merge(
      expanded.map((x) => x.report),
      all.map((p) => p.settle()),
    );
    if (next === null) return merge.result();
    const moved = all.map((p, i) => p.next(next[i] as NextLevel));
    // Stryker disable next-line ArrayDeclaration: next() returns a hand-over list for every partition, so the fallback never runs
    for (const p of all) for (const m of moved) p.accept(m[p.index] ?? []);
  }
}
