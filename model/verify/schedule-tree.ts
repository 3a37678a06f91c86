/**
 * The schedules random mode has followed, kept as a tree of event paths from the initial world.
 * The model is deterministic, so the state a path of events reaches, the events enabled there and
 * what the invariants say on the way are the same every time the path is followed. Random
 * schedules share most of their prefixes (a few schedulers with `after` orderings leave little
 * choice, and fast-check's shrinking reruns near copies of one schedule), so following the tree
 * saves applying those events and checking them again.
 *
 * A node is keyed by its exact path, not by a hash of the state it reaches: nothing a path leads
 * to is abstracted away (builder call logs, event counts), so a schedule's outcome is the one a
 * fresh world gives, by construction rather than by an argument about what a hash may leave out.
 */
import type { EnabledOptions, ModelEvent, Scenario, Variant, World, WorldSnapshot } from '../nix/index.js';
import { applyQuiet, enabledEvents, FAULT_KINDS, initialWorld, restoreWorld, snapshotWorld } from '../nix/index.js';
import { idle } from './explore.js';
import type { Violation } from './invariants.js';
import { checkMove, checkQuiescent, viewOfMove } from './invariants.js';

const FAULT_TYPES: ReadonlySet<string> = new Set(FAULT_KINDS);

/** A state some schedule reached, with what every schedule reaching it needs to know. */
export interface ScheduleNode {
  readonly snap: WorldSnapshot;
  /** The enabled events split as the choice encoding reads them (each in enabledEvents' order). */
  readonly regular: readonly ModelEvent[];
  readonly faults: readonly ModelEvent[];
  /** Whether the quiescent checks run here: nothing is enabled, or no build is running. */
  readonly quiescent: boolean;
  /** The first quiescent violation (null: none); unset until a schedule needs it. */
  verdict?: Violation | null;
  /** The events taken from here, keyed by the enabled event objects above (fixed per node). */
  next?: Map<ModelEvent, Step>;
}

/** Where an event led: a state, or a violation of a transition invariant (the schedule ends there). */
export type Step = { readonly node: ScheduleNode } | { readonly violation: Violation };

/**
 * Nodes kept before the tree stops growing: each holds a world snapshot (structure shared with its
 * parent; about 2 KB a node on the concurrent trio), so a long campaign on a large scenario stays
 * near 50 MB. Past it, new paths are still followed, only not remembered; the prefixes schedules
 * share most are the ones near the root, which are remembered first.
 */
const MAX_NODES = 25_000;

export class ScheduleTree {
  readonly root: ScheduleNode;
  private readonly world: World;
  private size = 1;

  constructor(
    /** Already free (scripted faults dropped), as runSchedule explores it. */
    scenario: Scenario,
    variant: Variant,
    private readonly enabledOpts: EnabledOptions,
    /** Probe verdicts by world key, shared with the caller's other runs (checkQuiescent's cache). */
    private readonly probes: Map<string, Violation[]>,
    private readonly maxNodes = MAX_NODES,
  ) {
    this.world = initialWorld(scenario, variant);
    this.root = this.nodeHere();
  }

  get nodes(): number {
    return this.size;
  }

  /** The first violation of the quiescent checks at `node` (call it only where `node.quiescent`). */
  verdict(node: ScheduleNode): Violation | undefined {
    // Stryker disable next-line ConditionalExpression: the field only memoises checkQuiescent on the node's own snapshot, which answers the same every time (the probe cache is keyed by that world); asking again costs time, never changes a verdict
    if (node.verdict === undefined) {
      restoreWorld(this.world, node.snap);
      const [v] = checkQuiescent(this.world, this.probes);
      node.verdict = v ?? null;
    }
    return node.verdict ?? undefined;
  }

  /** Takes `e` (one of `node`'s enabled events) and checks the transition, or recalls having done so. */
  follow(node: ScheduleNode, e: ModelEvent): Step {
    const known = node.next?.get(e);
    if (known) return known;
    const w = this.world;
    restoreWorld(w, node.snap);
    const prev = w.state;
    const before = node.snap.fs;
    const r = applyQuiet(w, e);
    // Stryker disable next-line ConditionalExpression,StringLiteral: an enabled event always applies (the model's contract, which the explorer's tests hold it to); this guard never fires
    if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
    const [v] = checkMove(w, prev, viewOfMove(w, e, before));
    const step: Step = v ? { violation: v } : { node: this.nodeHere() };
    // Stryker disable next-line EqualityOperator: the bound only caps memory; a node more or less remembered changes no outcome
    if (this.size < this.maxNodes) {
      (node.next ??= new Map()).set(e, step);
      if ('node' in step) this.size++;
    }
    return step;
  }

  private nodeHere(): ScheduleNode {
    const w = this.world;
    const enabled = enabledEvents(w.ctx, w.state, this.enabledOpts);
    return {
      snap: snapshotWorld(w),
      regular: enabled.filter((e) => !FAULT_TYPES.has(e.type)),
      faults: enabled.filter((e) => FAULT_TYPES.has(e.type)),
      quiescent: enabled.length === 0 || idle(w.state),
    };
  }
}
