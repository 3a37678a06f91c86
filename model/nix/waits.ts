/**
 * Why an actor cannot take its next event yet: an output lock another process holds, no free build
 * user, or an addTempRoot waiting while the collector deletes that hash part (gc.cc l.488-491).
 * This is the only place that decides it: transition.ts dispatches an actor's own event only when
 * it says nothing, and enabledEvents lists only what it lets through, so a new wait cannot reach
 * one of them and not the other.
 */
import { gcPending } from './collector.js';
import type { Ctx } from './context.js';
import { scratchPathFor } from './scratch-path.js';
import { scratchChoices } from './start-build.js';
import { currentView } from './outputs.js';
import { drvOf, outputViews } from './context.js';
import { afterScratchChosen, beforeMove, rootsOf } from './hooks.js';
import { actorById, isDone } from './state.js';
import { hashPartOf } from './store-path.js';
import { firstFreeUser } from './user-lock.js';
import { sandboxRefusal } from './sandbox.js';
import type { Actor, ActorSpec, BuildActor, ModelState } from './types.js';

/** addTempRoot of each path, in order: it waits while the collector has that hash part pending. */
function addTempRootWait(s: ModelState, paths: readonly (string | undefined)[]): string | undefined {
  const busy = paths.find((p) => p !== undefined && gcPending(s, hashPartOf(p)));
  return busy === undefined ? undefined : `addTempRoot waits: the collector is deleting '${busy}'`;
}

function lockWait(s: ModelState, me: string, lock: string): string | undefined {
  const holder = s.locks[lock];
  return holder !== undefined && holder !== me ? `waiting for lock on '${lock}' (held by ${holder})` : undefined;
}

function userWait(ctx: Ctx, s: ModelState): string | undefined {
  return firstFreeUser(ctx, s) === undefined ? 'waiting for a free build user ID' : undefined;
}

function buildWait(ctx: Ctx, s: ModelState, a: BuildActor): string | undefined {
  if (a.job) return undefined;
  const d = drvOf(ctx, a.drv);
  switch (a.phase.kind) {
    case 'waiting':
      // derivation-goal.cc haveDerivation roots the known outputs (l.83), the building goal the drv (derivation-building-goal.cc l.43)
      return addTempRootWait(s, [...outputViews(d).map((o) => o.knownPath), d.drvPath]);
    case 'lockOutputs':
      // lockPaths over every output's lock file: it goes on only once it can take all of them
      return outputViews(d).reduce<string | undefined>((w, o) => w ?? lockWait(s, a.id, o.lockPath), undefined);
    case 'acquireUser':
      // makeDerivationBuilder runs before startBuild waits for a user: a refusal never waits (sandbox.ts)
      if (sandboxRefusal(ctx, a) !== undefined) return undefined;
      return ctx.scenario.settings.buildUsers > 0 ? userWait(ctx, s) : undefined;
    case 'prepareScratch': {
      // the temp roots the designs take at this step (hooks.ts asks them the same question there)
      if (d.outputs && a.multi) return addTempRootWait(s, scratchChoices(ctx, s, a, d.outputs).flatMap((c) => rootsOf(c.designs)));
      const scratch = scratchPathFor(ctx, d, a.known, a.mode);
      const redirected = a.known !== undefined && a.known.path !== scratch;
      return addTempRootWait(s, rootsOf(afterScratchChosen(ctx, s, a, d, scratch, redirected ? scratch : undefined)));
    }
    case 'registering': {
      const step = a.phase.step;
      if (step.kind !== 'lockFinal') return undefined;
      const roots = a.scratch === undefined ? [] : rootsOf(beforeMove(ctx, s, currentView(ctx, a), a.scratch, step.finalPath));
      const rootFinal = addTempRootWait(s, roots);
      return lockWait(s, a.id, `${step.finalPath}.lock`) ?? rootFinal;
    }
    case 'createTempDir':
    case 'chownToBuilder':
    case 'deleteInvalidOutputs':
    case 'building':
    case 'builderExit':
    case 'cleanup':
    case 'done':
      return undefined;
  }
}

/** The reason `a` (scheduled by `spec`) cannot take its next event now, or undefined if it can. */
export function waitingFor(ctx: Ctx, s: ModelState, a: Actor, spec: ActorSpec): string | undefined {
  switch (a.kind) {
    case 'build':
      return buildWait(ctx, s, a);
    case 'holdUser': {
      if (a.state === 'waiting') return userWait(ctx, s);
      if (a.state !== 'holding' || spec.kind !== 'holdUser') return undefined;
      const pending = spec.releaseAfter.filter((id) => {
        const o = actorById(s, id);
        return o === undefined || !isDone(o);
      });
      return pending.length > 0 ? `holds its user until ${pending.join(', ')} finish` : undefined;
    }
    case 'pathInfo':
    case 'storeDelete':
    case 'gc':
    case 'setFlag':
    case 'clearFlag':
    case 'corrupt':
      return undefined;
  }
}
