/**
 * step(ctx, state, event): dispatch only. Each event names the upstream function it models; the
 * logic lives in one module per function. A new event type does not compile until handled here.
 */
import { match } from 'ts-pattern';
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
  return match(e.type)
    .returnType<Step>()
    .with('start', () => ownBuildEvent(ctx, s, e.actor, startGoal))
    .with('lockOutputs', () => ownBuildEvent(ctx, s, e.actor, lockOutputs))
    .with('deletePathStep', () => ownBuildEvent(ctx, s, e.actor, deletePathStep))
    .with('acquireUser', () => ownBuildEvent(ctx, s, e.actor, acquireUser))
    .with('createTempDir', () => ownBuildEvent(ctx, s, e.actor, createTempDir))
    .with('chownToBuilder', () => ownBuildEvent(ctx, s, e.actor, chownToBuilder))
    .with('prepareScratch', () => ownBuildEvent(ctx, s, e.actor, prepareScratch))
    .with('builderAction', () => ownBuildEvent(ctx, s, e.actor, builderAction))
    .with('builderExit', () => ownBuildEvent(ctx, s, e.actor, builderExit))
    .with('registerOutputs', () => ownBuildEvent(ctx, s, e.actor, registerOutputs))
    .with('cleanupBuild', () => ownBuildEvent(ctx, s, e.actor, cleanupBuild))
    .with('interrupt', () => onBuild(ctx, s, e.actor, interrupt))
    .with('crash', () => onBuild(ctx, s, e.actor, crash))
    .with('builderFailure', () => onBuild(ctx, s, e.actor, builderFailure))
    .with('timeout', () => onBuild(ctx, s, e.actor, timeout))
    .with('cancel', () => onBuild(ctx, s, e.actor, cancel))
    .with('orphanAction', () => {
      const o = s.orphans.find((x) => x.id === e.actor);
      return o ? orphanAction(ctx, s, o) : disabled('no such process');
    })
    .with('holdUser', () => onSimple(ctx, s, e.actor, ['holdUser'], holdUser))
    .with('releaseUser', () => onSimple(ctx, s, e.actor, ['holdUser'], releaseUser))
    .with('pathInfo', () => onSimple(ctx, s, e.actor, ['pathInfo'], pathInfo))
    .with('storeDelete', () => onSimple(ctx, s, e.actor, ['storeDelete'], storeDelete))
    .with('gcStep', () => onSimple(ctx, s, e.actor, ['gc'], gcThreadStep))
    .with('gcStop', () => onSimple(ctx, s, e.actor, ['gc'], gcStop))
    .with('setFlag', () => onSimple(ctx, s, e.actor, ['setFlag', 'clearFlag'], setFlag))
    .with('corrupt', () => onSimple(ctx, s, e.actor, ['corrupt'], corrupt))
    .exhaustive();
}
