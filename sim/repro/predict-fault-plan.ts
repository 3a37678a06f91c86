/**
 * What a fault plan does to a daemon of another variant: the plan's steps, run on the model the
 * way the harness runs them on a real daemon, give that variant's expectation for the SAME
 * schedule. A fault plan holds the daemon at its own file operations ("after the 2nd mkdir of
 * `*-name@N@`"); a patched daemon makes other calls (it deletes a stale scratch path first, it
 * copies into a temp dir), so the point a rule names is not "the same model step" under another
 * variant: it is wherever that variant's daemon makes that call for the nth time, or nowhere.
 *
 * The harness's rules, as this file reads them:
 * - a `build` step starts the attempt and runs only it until its stop point (a builder gate: the
 *   builder has run that many commands; a daemon call: the nth hookable call on that glob since
 *   the step armed the rule, by the daemon only, for builders run without the injector), then
 *   lands the action there. A point held *before* its call stops before the model step that makes
 *   it, which must make it first. Without a stop it runs to its end.
 * - an interrupt lands at the daemon's next check point after the point (checkInterrupt), a crash
 *   right there (SIGKILL of the held worker), a builder failure at the gate.
 * - `resume` lets a held attempt go on; `then` arms a second point counted from the resume.
 * - commands and user holds run their actor to its end, in plan order. An auto-GC (`nol_auto_gc`)
 *   is no client: the step only lowers the free space, and the held build's own worker loop starts
 *   the collector at its point (auto-gc.ts), so the build must be there when the step runs.
 * Anything this reading cannot pin down on the model's step granularity (a crash or a hold whose
 * call is not the last the daemon makes in that model step, a point the variant never reaches, a
 * command that would wait for a held build) is refused with the reason, never guessed.
 *
 * Run with the plan's own variant, this must give the expectation the plan was made with and
 * violate what the trace violates: the plan pins the run and is the counterexample. The plan maker
 * (from-fault-trace.ts notTheCounterexample) refuses every plan for which it does not, before any
 * runs or any other variant's prediction is trusted.
 */
import type { ActorSpec, ModelEvent, Scenario, TraceStep, Variant } from '../../model/nix/index.js';
import { apply, enabledEvents, initialWorld, restoreWorld, snapshotWorld } from '../../model/nix/index.js';
import type { World } from '../../model/nix/index.js';
import { freeScenario } from '../../model/verify/index.js';
import type { Gate } from './from-trace.js';
import { gateName, observationOf } from './from-trace.js';
import type { StoreNames } from './daemon-calls.js';
import { daemonCalls, storeNamesOf } from './daemon-calls.js';
import type { DaemonPoint, Observation, PlanStep } from './plan.js';

export type Prediction = { readonly ok: true; readonly observation: Observation; readonly steps: readonly TraceStep[] } | { readonly ok: false; readonly why: string };

type FaultType = 'interrupt' | 'crash' | 'builderFailure' | 'timeout';
const FAULTS: readonly FaultType[] = ['interrupt', 'crash', 'builderFailure', 'timeout'];
const isFault = (t: ModelEvent['type']): t is FaultType => (FAULTS as readonly string[]).includes(t);

class Unpredictable extends Error {}
function refuse(why: string): never {
  throw new Unpredictable(why);
}

/**
 * The scenario the plan drives: no scripted faults (the plan places them) and no ordering (the plan
 * is the order). An auto-GC keeps its `during`: that is not an order between clients but where its
 * build's own worker loop starts it (auto-gc.ts), which the plan's `nol_auto_gc` step cannot move;
 * without it the model could never start it.
 */
export function drivable(s: Scenario): Scenario {
  const free = freeScenario(s);
  return {
    ...free,
    actors: free.actors.map((a): ActorSpec => {
      const { after: _a, afterUserRelease: _r, during, ...rest } = a;
      if (rest.kind === 'gc' && rest.autoGcOf !== undefined && during !== undefined) return { ...rest, during };
      return rest.kind === 'holdUser' ? { ...rest, releaseAfter: [] } : rest;
    }),
  };
}

/** A stop point of one attempt, as the harness arms it. */
type Stop = { readonly kind: 'gate'; readonly before: number } | { readonly kind: 'daemon'; readonly point: Omit<DaemonPoint, 'action'> };

interface Attempt {
  builderActions: number;
  /** Hookable daemon calls since the rule in force was armed, as `op glob`. */
  calls: string[];
  /** Held at a gate or a daemon call, waiting for its resume. */
  held?: 'gate' | 'daemon' | 'lock';
}

class Driver {
  readonly world: World;
  readonly steps: TraceStep[] = [];
  private readonly attempts = new Map<string, Attempt>();

  constructor(
    readonly scenario: Scenario,
    variant: Variant,
    private readonly names: StoreNames,
  ) {
    this.world = initialWorld(scenario, variant);
  }

  private enabled(actor: string): ModelEvent[] {
    return enabledEvents(this.world.ctx, this.world.state, { freeFaults: { kinds: FAULTS, max: Number.MAX_SAFE_INTEGER } }).filter((e) => e.actor === actor);
  }

  private doEvent(e: ModelEvent): TraceStep {
    const r = apply(this.world, e);
    if (!r.ok) throw new Error(`model bug: enabled event ${e.type}(${e.actor}) is disabled: ${r.reason}`);
    this.steps.push(r.step);
    return r.step;
  }

  private done(actor: string): boolean {
    const a = this.world.state.actors.find((x) => x.id === actor);
    if (!a) return refuse(`the plan names ${actor}, which the scenario has not`);
    return a.kind === 'build' ? a.phase.kind === 'done' : a.state === 'done';
  }

  /** The actor's own next event (no fault), run; undefined when it has ended or must wait. */
  private advance(actor: string): TraceStep | undefined {
    const e = this.enabled(actor).find((x) => !isFault(x.type));
    if (!e) return undefined;
    const st = this.doEvent(e);
    const t = this.attempts.get(actor);
    if (t && e.type === 'builderAction') t.builderActions++;
    // a builder's own calls are not the daemon's: builders run without the injector (plan maker: positionAfter)
    else if (t) for (const c of daemonCalls(st.syscalls, this.names)) if (c.kind === 'hooked') t.calls.push(c.key);
    return st;
  }

  /** Runs `actor` to its end; a wait there is one the harness would never see end. */
  private finish(actor: string, what: string): void {
    for (let i = 0; i < 5000; i++) {
      if (this.done(actor)) return;
      if (!this.advance(actor)) refuse(`${what}: ${actor} would wait (for a lock or a held build) where the plan lets it run to its end`);
    }
    throw new Error(`${actor} did not end within 5000 steps`);
  }

  /**
   * An auto-GC the plan's step is to run must start now: its build's worker loop starts it at its
   * point or never, so a build held elsewhere (this variant reaches the plan's hold at another
   * point) cannot run it, and a real daemon would not collect while the step waits.
   */
  private autoGcCanStart(id: string): void {
    const spec = this.scenario.actors.find((x) => x.id === id);
    if (spec?.kind !== 'gc' || spec.autoGcOf === undefined || !spec.during) return;
    const a = this.world.state.actors.find((x) => x.id === id);
    if (a?.kind !== 'gc' || a.state !== 'waiting' || this.enabled(id).some((e) => e.type === 'gcStep')) return;
    const d = spec.during;
    refuse(`${id}, the auto-GC of ${d.actor}'s daemon worker, starts only where that worker's loop runs, just before ${d.actor} takes its ${d.before} number ${String(d.nth + 1)}; where the plan runs it, ${d.actor} is elsewhere, so this daemon would not collect`);
  }

  private attempt(actor: string): Attempt {
    const t = this.attempts.get(actor);
    return t ?? refuse(`the plan resumes ${actor} before it starts`);
  }

  /**
   * Runs `actor` until `stop`. Returns false if it ended first (the rule never held it). A daemon
   * point must be the last call the daemon makes in that model step unless `midStepOk`: the model
   * cannot stop a step half-way, and the real worker held there has not made the rest.
   */
  private runTo(actor: string, stop: Stop, midStepOk: boolean): boolean {
    const t = this.attempt(actor);
    for (let i = 0; i < 5000; i++) {
      if (stop.kind === 'gate') {
        const a = this.world.state.actors.find((x) => x.id === actor);
        if (a?.kind === 'build' && t.builderActions === stop.before && (a.phase.kind === 'building' || a.phase.kind === 'builderExit')) return true;
      }
      if (this.done(actor)) return false;
      const before = t.calls.length;
      const snap = stop.kind === 'daemon' && stop.point.when === 'before' ? snapshotWorld(this.world) : undefined;
      const st = this.advance(actor);
      if (!st) refuse(`${actor} would wait (for a lock or a held build) before it reaches ${describe(stop)}`);
      if (stop.kind !== 'daemon') continue;
      const key = `${stop.point.op} ${stop.point.glob}`;
      const n = t.calls.filter((c) => c === key).length;
      if (n < stop.point.nth) continue;
      const firstAt = t.calls.slice(0, before).filter((c) => c === key).length;
      if (snap) {
        // held before the call: the model step that makes it must not have begun, so it makes it first
        const first = daemonCalls(st.syscalls, this.names).find((c) => c.kind !== 'quiet');
        if (stop.point.nth - firstAt !== 1 || first?.kind !== 'hooked' || first.key !== key) {
          refuse(`${actor} is held before ${describe(stop)}, which is not the first call of its model step (${first?.shown ?? 'nothing'} comes first): the model cannot stop there`);
        }
        restoreWorld(this.world, snap);
        this.steps.pop();
        t.calls.length = before;
        return true;
      }
      if (!midStepOk) {
        const rest = restOfStep(st, key, stop.point.nth - firstAt, this.names);
        if (rest) refuse(`${actor} is held at ${describe(stop)}, which is not the last call of its model step (${rest} follows in the same step): the model cannot stop there`);
      }
      return true;
    }
    throw new Error(`${actor} did not reach ${describe(stop)} within 5000 steps`);
  }

  private land(actor: string, fault: FaultType): void {
    if (fault !== 'interrupt') {
      const e = this.enabled(actor).find((x) => x.type === fault);
      if (!e) refuse(`${fault} of ${actor} is not possible where the plan lands it`);
      else this.doEvent(e);
      return;
    }
    // the interrupt lands at the daemon's next checkInterrupt(): the next model check point
    for (let i = 0; i < 5000; i++) {
      const e = this.enabled(actor).find((x) => x.type === 'interrupt');
      if (e) {
        this.doEvent(e);
        return;
      }
      if (this.done(actor) || !this.advance(actor)) refuse(`the interrupt of ${actor} finds no check point before the attempt ends or waits`);
    }
  }

  private stopOf(step: { interruptAt?: string; holdAt?: string; crashAt?: string; failAt?: string; timeoutAt?: string; daemonAt?: DaemonPoint }): { stop: Stop; action: FaultType | 'hold' } | undefined {
    const gate = (g: string): Stop => {
      const m = /^before(\d+)$/.exec(g);
      return m ? { kind: 'gate', before: Number(m[1]) } : refuse(`gate ${g} is not one the plans make (${gateName(0)}, ...)`);
    };
    if (step.interruptAt !== undefined) return { stop: gate(step.interruptAt), action: 'interrupt' };
    if (step.crashAt !== undefined) return { stop: gate(step.crashAt), action: 'crash' };
    if (step.failAt !== undefined) return { stop: gate(step.failAt), action: 'builderFailure' };
    // the builder waits at its gate (nobody lets it go) until the daemon's build timeout kills it
    if (step.timeoutAt !== undefined) return { stop: gate(step.timeoutAt), action: 'timeout' };
    if (step.holdAt !== undefined) return { stop: gate(step.holdAt), action: 'hold' };
    if (step.daemonAt) {
      const { action, ...point } = step.daemonAt;
      return { stop: { kind: 'daemon', point }, action };
    }
    return undefined;
  }

  run(plan: readonly PlanStep[]): void {
    const commandActor = (label: string | undefined, what: string): string => label ?? refuse(`a ${what} step without a label names no actor`);
    for (const step of plan) {
      switch (step.kind) {
        case 'holdUsers': {
          const waiting = this.world.state.actors.filter((a) => a.kind === 'holdUser' && a.state === 'waiting').slice(0, step.count);
          if (waiting.length < step.count) refuse(`the plan holds ${String(step.count)} users; the scenario has ${String(waiting.length)} holders left`);
          for (const h of waiting) {
            const e = this.enabled(h.id).find((x) => x.type === 'holdUser');
            if (!e) refuse(`${h.id} cannot take a build user here`);
            else this.doEvent(e);
          }
          break;
        }
        case 'releaseUsers':
          for (const h of this.world.state.actors.filter((a) => a.kind === 'holdUser' && a.state === 'holding')) this.finish(h.id, 'releaseUsers');
          break;
        case 'setFlag':
        case 'clearFlag': {
          const a = this.world.state.actors.find((x) => x.kind === step.kind && x.state === 'waiting' && this.scenario.actors.some((s) => s.id === x.id && s.kind === step.kind && s.flag === step.flag));
          if (!a) refuse(`no ${step.kind} actor for flag ${step.flag}`);
          else this.finish(a.id, step.kind);
          break;
        }
        case 'pathInfo':
        case 'delete':
        case 'inspect': {
          const id = commandActor(step.label, step.kind);
          this.autoGcCanStart(id);
          this.finish(id, step.kind);
          break;
        }
        case 'corrupt': {
          const a = this.world.state.actors.find((x) => x.kind === 'corrupt' && x.state === 'waiting' && this.scenario.actors.some((s) => s.id === x.id && s.kind === 'corrupt' && s.target.drv === step.target.drv));
          if (!a) refuse(`no corrupt actor for ${step.target.drv}`);
          else this.finish(a.id, 'corrupt');
          break;
        }
        case 'invocation':
          refuse('an invocation of several goals is not a fault plan step');
          break;
        case 'build': {
          const t: Attempt = { builderActions: 0, calls: [] };
          this.attempts.set(step.attempt, t);
          const s = this.stopOf(step);
          if (step.waitsForLock) {
            for (let i = 0; i < 5000 && !this.done(step.attempt) && this.advance(step.attempt); i++);
            if (this.done(step.attempt)) refuse(`${step.attempt} ends without waiting for a lock, where the plan waits until it does`);
            t.held = 'lock';
          } else if (!s) {
            this.finish(step.attempt, `build ${step.attempt}`);
          } else if (s.action === 'hold') {
            if (!this.runTo(step.attempt, s.stop, false)) refuse(`${step.attempt} ends before ${describe(s.stop)}, where the plan holds it`);
            t.held = s.stop.kind;
          } else if (this.runTo(step.attempt, s.stop, s.action === 'interrupt')) {
            this.land(step.attempt, s.action);
            this.finish(step.attempt, `${step.attempt} after its ${s.action}`);
          } else {
            // the rule never held the worker: the harness records the attempt as it ended
          }
          break;
        }
        case 'resume': {
          const t = this.attempt(step.attempt);
          if (!t.held) refuse(`${step.attempt} is resumed but was not held`);
          delete t.held;
          if (step.fault) {
            this.land(step.attempt, step.fault);
          } else if (step.then) {
            t.calls = []; // the second rule counts from the resume
            const then = step.then;
            const stop: Stop = then.gate !== undefined ? (this.stopOf({ holdAt: then.gate })?.stop ?? refuse('unreachable')) : then.daemonAt ? { kind: 'daemon', point: then.daemonAt } : refuse(`resume of ${step.attempt}: 'then' names no point`);
            if (this.runTo(step.attempt, stop, then.fault === 'interrupt')) this.land(step.attempt, then.fault);
          }
          this.finish(step.attempt, `${step.attempt} after its resume`);
          break;
        }
      }
    }
  }
}

function describe(stop: Stop): string {
  return stop.kind === 'gate' ? `its builder's gate ${gateName(stop.before)}` : `the daemon's call ${stop.point.op} #${String(stop.point.nth)} on ${stop.point.glob}${stop.point.when === 'before' ? ' (before it)' : ''}`;
}

/** What the daemon does after the nth `key` call in this step, if anything the injector sees or the plans track. */
function restOfStep(st: TraceStep, key: string, nthHere: number, names: StoreNames): string | undefined {
  let seen = 0;
  let after = false;
  for (const c of daemonCalls(st.syscalls, names)) {
    if (after) {
      if (c.kind !== 'quiet') return c.shown;
    } else if (c.kind === 'hooked' && c.key === key && ++seen === nthHere) after = true;
  }
  return undefined;
}

/**
 * The observation a daemon of `variant` gives when the harness runs `plan` on it, or why the
 * model cannot say at its step granularity. `scenario` is the plan's own (every actor the plan
 * names), `gates` its builder gates.
 */
export function predictFaultPlan(scenario: Scenario, plan: readonly PlanStep[], gates: readonly Gate[], variant: Variant): Prediction {
  const s = drivable(scenario);
  const d = new Driver(s, variant, storeNamesOf(s.derivations));
  try {
    d.run(plan);
  } catch (e) {
    if (e instanceof Unpredictable) return { ok: false, why: e.message };
    throw e;
  }
  return { ok: true, observation: observationOf({ world: d.world, steps: d.steps }, s, gates), steps: d.steps };
}
