/**
 * step(ctx, state, event): dispatch only. Each event names the upstream function it models; the
 * logic lives in one module per function. A new event type does not compile until handled here.
 */
import { lockOutputs, startGoal } from './acquire-resources.js';
import { cleanupBuild } from './cleanup-build.js';
import { gcThreadStep, gcStop } from './auto-gc.js';
import { storeDelete } from './collector.js';
import { corrupt, holdUser, pathInfo, releaseUser, setFlag } from './commands.js';
import type { Ctx } from './context.js';
import { deletePathStep } from './delete-step.js';
import { builderFailure, crash, interrupt } from './faults.js';
import { cancel } from './keep-going.js';
import { builderExit, registerOutputs } from './register-outputs.js';
import { timeout } from './timeout.js';
import { builderAction, orphanAction } from './run-builder.js';
import { acquireUser, chownToBuilder, createTempDir, prepareScratch } from './start-build.js';
import { actorById } from './state.js';
import { disabled } from './step.js';
import { waitingFor } from './waits.js';
import type { Actor, ActorSpec, BuildActor, ModelEvent, ModelState, SimpleActor, Step } from './types.js';

type BuildFn = (ctx: Ctx, s: ModelState, a: BuildActor) => Step;

function onBuild(ctx: Ctx, s: ModelState, id: string, f: BuildFn): Step {
  const a = actorById(s, id);
  return a?.kind === 'build' ? f(ctx, s, a) : disabled(`${id} is not a build`);
}

/** A build's own event: taken only when nothing makes it wait (waits.ts, which enabledEvents asks too). */
function ownBuildEvent(ctx: Ctx, s: ModelState, id: string, f: BuildFn): Step {
  return onBuild(ctx, s, id, (c, st, a) => {
    const spec = c.scenario.actors.find((x) => x.id === id);
    const wait = spec ? waitingFor(c, st, a, spec) : undefined;
    return wait === undefined ? f(c, st, a) : disabled(wait);
  });
}

function onSimple<K extends SimpleActor['kind']>(
  ctx: Ctx,
  s: ModelState,
  id: string,
  kinds: readonly K[],
  f: (ctx: Ctx, s: ModelState, a: Extract<Actor, { kind: K }>, spec: ActorSpec) => Step,
): Step {
  const a = actorById(s, id);
  const spec = ctx.scenario.actors.find((x) => x.id === id);
  if (!a || !spec || !(kinds as readonly string[]).includes(a.kind)) return disabled(`${id} cannot do that`);
  const wait = waitingFor(ctx, s, a, spec);
  return wait === undefined ? f(ctx, s, a as Extract<Actor, { kind: K }>, spec) : disabled(wait);
}

export function step(ctx: Ctx, s: ModelState, e: ModelEvent): Step {
  // a switch, not ts-pattern's match: this runs for every transition and every probe step, and a
  // match chain builds a closure per case each time; the never below keeps it exhaustive
  const t = e.type;
  switch (t) {
    case 'start':
      return ownBuildEvent(ctx, s, e.actor, startGoal);
    case 'lockOutputs':
      return ownBuildEvent(ctx, s, e.actor, lockOutputs);
    case 'deletePathStep':
      return ownBuildEvent(ctx, s, e.actor, deletePathStep);
    case 'acquireUser':
      return ownBuildEvent(ctx, s, e.actor, acquireUser);
    case 'createTempDir':
      return ownBuildEvent(ctx, s, e.actor, createTempDir);
    case 'chownToBuilder':
      return ownBuildEvent(ctx, s, e.actor, chownToBuilder);
    case 'prepareScratch':
      return ownBuildEvent(ctx, s, e.actor, prepareScratch);
    case 'builderAction':
      return ownBuildEvent(ctx, s, e.actor, builderAction);
    case 'builderExit':
      return ownBuildEvent(ctx, s, e.actor, builderExit);
    case 'registerOutputs':
      return ownBuildEvent(ctx, s, e.actor, registerOutputs);
    case 'cleanupBuild':
      return ownBuildEvent(ctx, s, e.actor, cleanupBuild);
    case 'interrupt':
      return onBuild(ctx, s, e.actor, interrupt);
    case 'crash':
      return onBuild(ctx, s, e.actor, crash);
    case 'builderFailure':
      return onBuild(ctx, s, e.actor, builderFailure);
    case 'timeout':
      return onBuild(ctx, s, e.actor, timeout);
    case 'cancel':
      return onBuild(ctx, s, e.actor, cancel);
    case 'orphanAction': {
      const o = s.orphans.find((x) => x.id === e.actor);
      return o ? orphanAction(ctx, s, o) : disabled('no such process');
    }
    case 'holdUser':
      return onSimple(ctx, s, e.actor, ['holdUser'], holdUser);
    case 'releaseUser':
      return onSimple(ctx, s, e.actor, ['holdUser'], releaseUser);
    case 'pathInfo':
      return onSimple(ctx, s, e.actor, ['pathInfo'], pathInfo);
    case 'storeDelete':
      return onSimple(ctx, s, e.actor, ['storeDelete'], storeDelete);
    case 'gcStep':
      return onSimple(ctx, s, e.actor, ['gc'], gcThreadStep);
    case 'gcStop':
      return onSimple(ctx, s, e.actor, ['gc'], gcStop);
    case 'setFlag':
      return onSimple(ctx, s, e.actor, ['setFlag', 'clearFlag'], setFlag);
    case 'corrupt':
      return onSimple(ctx, s, e.actor, ['corrupt'], corrupt);
    default: {
      const unhandled: never = t;
      throw new Error(`model bug: unhandled event ${String(unhandled)}`);
    }
  }
}
