/**
 * Nix: derivation-building-goal.cc tryToBuild/acquireResources @2.34.8: take the output locks,
 * recheck validity ("someone beat us to it"), and delete outputs that are known but invalid.
 * Floating CA outputs have no `known` path, so "removing invalid path" skips them (l.436). A
 * `--check` build (bmCheck) goes on with a valid output (l.425). A `--repair` (bmRepair) hashes a
 * valid known path (l.1261) and goes on only when it is corrupt; "removing invalid path" then
 * deletes the corrupt copy on disk (a Corrupt status is not isValid, l.437) although the database
 * still has it valid.
 */
import type { Ctx, DrvInfo } from './context.js';
import { drvOf, outputOf, outputViews, realisationKey } from './context.js';
import { startDeletions, withOutputs } from './outputs.js';
import { startDelete } from './delete-path.js';
import { applyAsked, invalidOutputs } from './hooks.js';
import { SRC } from './sources.js';
import { addTempRoot, putActor, releaseAll, withPhase } from './state.js';
import { disabled, next } from './step.js';
import { hashPartOf } from './store-path.js';
import type { BuildActor, BuildMode, KnownOutput, ModelState, OutputSlot, Step } from './types.js';
import { narText } from './content.js';

/**
 * The goal is created: derivation-goal.cc roots the known outputs (l.83) and the building goal's
 * constructor the drv (l.43). Each addTempRoot waits while the collector deletes that hash part
 * (waits.ts): the step runs only once neither is pending.
 */
export function startGoal(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'waiting') return disabled('already started');
  const d = drvOf(ctx, a.drv);
  let st = addTempRoot(s, a.id, hashPartOf(d.drvPath));
  // every known output (derivation-goal.cc l.83 loops over outputsAndOptPaths)
  for (const o of outputViews(d)) if (o.knownPath) st = addTempRoot(st, a.id, hashPartOf(o.knownPath));
  return next(putActor(st, withPhase({ ...a, flagsAtStart: s.flags }, { kind: 'lockOutputs' })), `goal for ${d.spec.name}`, SRC.goalCtor);
}

/**
 * Nix: checkPathValidity (l.1256): known from the drv (IA) or from a realisation (CA, counted valid).
 * Under `--repair` (checkHash, l.1261) a valid known path is hashed (Worker::pathContentsGood: a
 * missing path is not good either) and is Corrupt when it no longer matches its registration
 * (l.1274-1276); the model's NAR text stands in for the NAR hash. A realisation makes the output
 * Valid without that check, repair or not (l.1281-1284).
 */
export function checkPathValidity(ctx: Ctx, s: ModelState, drv: string, mode?: BuildMode, output?: string): KnownOutput | undefined {
  const d = outputOf(drvOf(ctx, drv), output);
  const realised = s.realisations[realisationKey(d)];
  if (realised) return { path: realised, status: 'valid' };
  if (!d.knownPath) return undefined;
  const info = s.valid[d.knownPath];
  if (!info) return { path: d.knownPath, status: 'absent' };
  const good = mode !== 'repair' || narText(ctx.fs, d.knownPath) === info.content;
  return { path: d.knownPath, status: good ? 'valid' : 'corrupt' };
}

export function lockOutputs(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'lockOutputs') return disabled('not acquiring resources');
  const d = drvOf(ctx, a.drv);
  if (d.outputs) return lockAllOutputs(ctx, s, a, d.outputs);
  // pathlocks.cc openLockFile: open(O_RDWR|O_CREAT, 0600) as the daemon
  const fd = ctx.fs.open(ctx.daemon, d.lockPath, { access: 'rw', creat: true }, 0o600);
  if (fd.ok) ctx.fs.close(ctx.daemon, fd.value);
  let st: ModelState = { ...s, locks: { ...s.locks, [d.lockPath]: a.id } };
  const known = checkPathValidity(ctx, st, a.drv, a.mode);
  const withKnown: BuildActor = { ...a, ...(known ? { known } : {}) };
  if (known?.status === 'valid' && a.mode !== 'check') {
    // "someone beat us to it": setDeletion(true) then unlock (l.425)
    ctx.fs.unlink(ctx.daemon, d.lockPath);
    // the goal ends here: its lock and its temp roots go with it (as at the end of any build)
    st = releaseAll(st, a.id);
    const done = withPhase(withKnown, { kind: 'done', outcome: { kind: 'success', path: known.path, skipped: true } });
    if (a.mode === 'repair') {
      // a realisation is Valid unhashed (l.1281-1284): a corrupt floating CA output is not rebuilt either
      const how = d.knownPath ? 'its contents match the registration' : 'a realisation makes it valid without a hash check';
      return next(putActor(st, done), `--repair: ${known.path} is valid (${how}): nothing to rebuild`, SRC.repairAllValid);
    }
    return next(putActor(st, done), `all outputs valid: skipping build (someone beat us to it)`, SRC.acquireResources);
  }
  const upstreamDeletes = known && known.status !== 'valid' && ctx.fs.lstat(ctx.daemon, known.path).ok ? known.path : undefined;
  // the designs' invalidOutputs hook: daemon fs calls and one deletion, in the loop that deletes invalid outputs
  const designs = invalidOutputs(ctx, st, d, known, upstreamDeletes);
  const applied = applyAsked(ctx, st, a.id, designs);
  st = applied.state;
  const withDesigns = (note: string): string => [note, ...applied.notes, ...applied.deleteNotes].join('; ');
  if (upstreamDeletes !== undefined || designs.deletePath !== undefined) {
    const path = upstreamDeletes ?? designs.deletePath ?? '';
    const deleting: BuildActor = { ...withPhase(withKnown, { kind: 'deleteInvalidOutputs' }), job: startDelete(path) };
    const note = upstreamDeletes !== undefined ? `locked ${d.lockPath}; removing invalid path '${upstreamDeletes}'` : `locked ${d.lockPath}`;
    if (known?.status === 'corrupt') {
      return next(putActor(st, deleting), withDesigns(`${note} (--repair: its contents no longer match its registration; it stays registered valid)`), SRC.repairRemoveCorrupt);
    }
    return next(putActor(st, deleting), withDesigns(note), SRC.removeInvalid);
  }
  // upstream logs "removing invalid path" for every known, invalid output, and deletePath of a
  // missing path is a no-op: only the message is left of it
  if (known?.status === 'valid') {
    const note = `locked ${d.lockPath}; --check: ${known.path} is valid, building it again to compare`;
    return next(putActor(st, withPhase(withKnown, { kind: 'acquireUser' })), withDesigns(note), SRC.checkNotSkipped);
  }
  const note = known ? `locked ${d.lockPath}; removing invalid path '${known.path}' (absent)` : `locked ${d.lockPath}`;
  return next(putActor(st, withPhase(withKnown, { kind: 'acquireUser' })), withDesigns(note), known ? SRC.removeInvalid : SRC.acquireResources);
}

/**
 * A multi-output derivation (normal builds only: the scenario checker refuses --check and --repair
 * of one): lockPaths over every output's lock file at once (derivation-building-goal.cc l.388-397;
 * `lockPaths` takes them in sorted order and, when one is held, releases those it took, so the
 * model takes all of them in one step once none is held), then checkPathValidity of each output
 * (l.423), the build skipped only when all are valid (l.425), and "removing invalid path" for each
 * known output that is not valid (l.436-441), one deletion after another.
 */
function lockAllOutputs(ctx: Ctx, s: ModelState, a: BuildActor, views: readonly DrvInfo[]): Step {
  let st: ModelState = s;
  for (const v of views) {
    // pathlocks.cc openLockFile: open(O_RDWR|O_CREAT, 0600) as the daemon
    const fd = ctx.fs.open(ctx.daemon, v.lockPath, { access: 'rw', creat: true }, 0o600);
    if (fd.ok) ctx.fs.close(ctx.daemon, fd.value);
    st = { ...st, locks: { ...st.locks, [v.lockPath]: a.id } };
  }
  const locked = `locked ${views.map((v) => v.lockPath).join(', ')}`;
  const slots: OutputSlot[] = views.map((v) => {
    const known = checkPathValidity(ctx, st, a.drv, a.mode, v.output);
    return { name: v.output, ...(known ? { known } : {}) };
  });
  const withSlots = withOutputs(a, slots);
  if (slots.every((o) => o.known?.status === 'valid')) {
    // "someone beat us to it": setDeletion(true) then unlock (l.425)
    for (const v of views) ctx.fs.unlink(ctx.daemon, v.lockPath);
    st = releaseAll(st, a.id);
    // the path nix-build prints last, `out`'s, as a build's own outcome names it (registerAll)
    const path = (slots.find((o) => o.name === 'out') ?? slots[0])?.known?.path ?? '';
    const done = withPhase(withSlots, { kind: 'done', outcome: { kind: 'success', path, skipped: true } });
    return next(putActor(st, done), `${locked}; all outputs valid: skipping build (someone beat us to it)`, SRC.lockAllOutputs);
  }
  const notes: string[] = [locked];
  const deletions: string[] = [];
  views.forEach((v, i) => {
    const known = slots[i]?.known;
    const upstreamDeletes = known && known.status !== 'valid' && ctx.fs.lstat(ctx.daemon, known.path).ok ? known.path : undefined;
    if (known?.status === 'valid') notes.push(`${v.output}: ${known.path} is valid`);
    else if (known) notes.push(`${v.output}: removing invalid path '${known.path}'${upstreamDeletes === undefined ? ' (absent)' : ''}`);
    const designs = invalidOutputs(ctx, st, v, known, upstreamDeletes);
    const applied = applyAsked(ctx, st, a.id, designs);
    st = applied.state;
    notes.push(...applied.notes, ...applied.deleteNotes);
    const path = upstreamDeletes ?? designs.deletePath;
    if (path !== undefined) deletions.push(path);
  });
  const source = SRC.lockAllOutputs;
  if (deletions.length > 0) {
    const deleting = startDeletions(withPhase(withSlots, { kind: 'deleteInvalidOutputs' }), deletions);
    return next(putActor(st, deleting), notes.join('; '), source);
  }
  return next(putActor(st, withPhase(withSlots, { kind: 'acquireUser' })), notes.join('; '), source);
}
