/**
 * Nix: libstore/unix/user-lock.cc SimpleUserLock::acquire @2.34.8 and the prepareUser that follows
 * it (derivation-builder.cc l.306, killSandbox -> killUser): a build, and another process standing
 * for a build, take a build user the same way.
 */
import type { Ctx } from './context.js';
import { buildUserUids } from './context.js';
import type { ModelState } from './types.js';

/** The first member of build-users-group whose userpool/<uid> lock is free (group-membership order). */
export function firstFreeUser(ctx: Ctx, s: ModelState): number | undefined {
  return buildUserUids(ctx).find((u) => s.userLeases[String(u)] === undefined);
}

/**
 * `holder` takes the first free build user, and prepareUser kills every process of that uid: a
 * builder left running by a crashed daemon worker dies here. Not with `killUser: false`: a build
 * with a cgroup, whose killSandbox destroys the cgroup instead (cgroup.ts).
 */
export function takeBuildUser(ctx: Ctx, s: ModelState, holder: string, killUser = true): { state: ModelState; uid: number; killed: number } | undefined {
  const uid = firstFreeUser(ctx, s);
  if (uid === undefined) return undefined;
  const killed = killUser ? s.orphans.filter((o) => o.uid === uid).length : 0;
  const state: ModelState = {
    ...s,
    userLeases: { ...s.userLeases, [String(uid)]: holder },
    orphans: killUser ? s.orphans.filter((o) => o.uid !== uid) : s.orphans,
  };
  return { state, uid, killed };
}
