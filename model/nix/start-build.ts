/**
 * Nix: derivation-builder.cc DerivationBuilderImpl::startBuild @2.34.8: take a build user, kill
 * its stray processes, create the temp dir 0700 and chown it to the builder, then choose each
 * output's scratch path. Only known outputs get "Ensure scratch path is ours to use"; a floating
 * CA output `continue`s first (l.805), so whatever sits at its fallback path is reused.
 */
import type { Ctx } from './context.js';
import {
  BUILD_DIR,
  buildUserUids,
  chrootParent,
  drvOf,
  NIXBLD_GID,
  realScratch,
  userName,
  usesChroot,
} from './context.js';
import { deletePathAll, startDelete } from './delete-path.js';
import { SRC } from './sources.js';
import { addTempRoot, gcPending, putActor, withPhase } from './state.js';
import { disabled, next } from './step.js';
import { hashPartOf } from './store-path.js';
import type { BuildActor, ModelState, Step } from './types.js';

/** SimpleUserLock::acquire: the first member of build-users-group whose userpool lock is free. */
export function acquireUser(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'acquireUser') return disabled('not acquiring a build user');
  if (ctx.scenario.settings.buildUsers === 0) {
    return next(putActor(s, withPhase({ ...a, uid: 0 }, { kind: 'createTempDir' })), 'no build users: builder runs as the daemon (root)', SRC.getBuildUser);
  }
  const uid = buildUserUids(ctx).find((u) => s.userLeases[String(u)] === undefined);
  if (uid === undefined) return disabled('waiting for a free build user ID');
  // prepareUser -> killUser(uid): every process of that uid dies, orphans of crashed builds included
  const killed = s.orphans.filter((o) => o.uid === uid);
  const st: ModelState = {
    ...s,
    userLeases: { ...s.userLeases, [String(uid)]: a.id },
    orphans: s.orphans.filter((o) => o.uid !== uid),
  };
  const note = `build user ${userName(ctx, uid)} (uid ${String(uid)})${killed.length ? `; killed ${String(killed.length)} stray process(es)` : ''}`;
  return next(putActor(st, withPhase({ ...a, uid }, { kind: 'createTempDir' })), note, SRC.getBuildUser);
}

export function createTempDir(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'createTempDir') return disabled('not creating the temp dir');
  const tmpDir = `${BUILD_DIR}/nix-${String(s.tmpCounter)}`;
  const r = ctx.fs.mkdir(ctx.daemon, tmpDir, 0o700);
  if (!r.ok) {
    // a SysError out of startBuild: the goal fails before any builder exists
    const message = `creating directory '${tmpDir}': ${r.error.errno}`;
    const outcome = { kind: 'failure' as const, failure: 'sysError' as const, message, errno: r.error.errno };
    return next(putActor(s, withPhase(a, { kind: 'cleanup', outcome, step: 'killChild' })), message, SRC.createTempDir);
  }
  const nextPhase = a.uid === 0 ? { kind: 'prepareScratch' as const } : { kind: 'chownToBuilder' as const };
  return next(putActor({ ...s, tmpCounter: s.tmpCounter + 1 }, withPhase({ ...a, tmpDir }, nextPhase)), `temp dir ${tmpDir}`, SRC.createTempDir);
}

export function chownToBuilder(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'chownToBuilder' || a.tmpDir === undefined || a.uid === undefined) return disabled('not chowning');
  ctx.fs.chown(ctx.daemon, a.tmpDir, a.uid, NIXBLD_GID);
  return next(putActor(s, withPhase(a, { kind: 'prepareScratch' })), `chown ${a.tmpDir} to the builder`, SRC.chownToBuilder);
}

/**
 * The scratch-path ternary (derivation-builder.cc startBuild, l.784): no known path -> makeFallbackPath(outputName); chroot or absent
 * or corrupt known path -> the known path. The variants act here: prepare-deletes-stale-scratch
 * deletes the floating CA scratch path as root; temp-root-scratch roots it against GC.
 */
export function prepareScratch(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'prepareScratch') return disabled('not choosing scratch paths');
  const d = drvOf(ctx, a.drv);
  const scratch = a.known ? a.known.path : d.fallbackPath;
  if (!a.known && ctx.variant.has('temp-root-scratch') && gcPending(s, hashPartOf(scratch))) {
    return disabled('addTempRoot waits: the garbage collector is deleting that path');
  }
  let st = s;
  const notes: string[] = [`$out = ${scratch}`];
  if (usesChroot(ctx)) {
    // prepareSandbox: deletePath(chrootParentDir) first, then a fresh root with a 1775 store inside
    const parent = chrootParent(d);
    st = prepareChroot(ctx, st, parent);
    notes.push(`fresh chroot ${parent}`);
  }
  let job;
  if (!a.known) {
    if (ctx.variant.has('temp-root-scratch')) {
      st = addTempRoot(st, a.id, hashPartOf(scratch));
      notes.push('addTempRoot(scratch) [temp-root-scratch]');
    }
    if (ctx.variant.has('prepare-deletes-stale-scratch') && !usesChroot(ctx)) {
      job = startDelete(realScratch(ctx, d, scratch), ctx.variant.has('bug-delete-follows-symlinks'));
      notes.push(`removing stale scratch path '${scratch}' [prepare-deletes-stale-scratch]`);
    }
  }
  // an empty builder program exits 0 at once (the shell with nothing to do)
  const first = d.spec.program.length === 0 ? { kind: 'builderExit' as const, status: 0 } : { kind: 'building' as const, pc: 0, lastStatus: 0 };
  const building: BuildActor = {
    ...withPhase({ ...a, scratch }, first),
    ...(job ? { job } : {}),
  };
  return next(putActor(st, building), notes.join('; '), SRC.scratchPaths);
}

/** One step for the whole chroot set-up: a simplification, see docs/model.md (no interrupt window modelled inside it). */
function prepareChroot(ctx: Ctx, s: ModelState, parent: string): ModelState {
  const fs = ctx.fs;
  deletePathAll(fs, ctx.daemon, parent);
  // upstream makes this 0700 and chroot(2)s the builder into root/; the model resolves the builder's
  // paths from the host root, so search permission (0711) stands in for the chroot
  fs.mkdir(ctx.daemon, parent, 0o711);
  fs.mkdir(ctx.daemon, `${parent}/root`, 0o750);
  fs.chown(ctx.daemon, `${parent}/root`, 0, NIXBLD_GID);
  fs.mkdir(ctx.daemon, `${parent}/root/nix`, 0o755);
  fs.mkdir(ctx.daemon, `${parent}/root/nix/store`, 0o755);
  fs.chmod(ctx.daemon, `${parent}/root/nix/store`, 0o1775);
  fs.chown(ctx.daemon, `${parent}/root/nix/store`, 0, NIXBLD_GID);
  return s;
}
