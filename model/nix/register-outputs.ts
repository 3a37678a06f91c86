/**
 * Nix: derivation-builder.cc unprepareBuild + registerOutputs @2.34.8, one step per syscall where
 * upstream can be interrupted: the top-level ownership check, canonicalisePathMetaData (one entry
 * per step; checkInterrupt per file), the `.tmp` hash rewrite, the final-path lock, the move and
 * the database registration, or under --check (bmCheck) the comparison that replaces the last two.
 * Under --repair (bmRepair) the move is replaceValidPath: the valid path, if present, is moved
 * aside, the new output moved in, the old copy deleted.
 */
import type { FsKernel } from '../fs/index.js';
import type { Ctx } from './context.js';
import { drvOf, outputOf, realisationKey, realScratch, usesChroot } from './context.js';
import { caFinalPath, narText, rewriteHash } from './content.js';
import { deletePathAll, startDelete } from './delete-path.js';
import { destroyCgroup } from './cgroup.js';
import { afterRegister, applyAsked, beforeMove, rewriteInStoreTempDir } from './hooks.js';
import { SRC } from './sources.js';
import { enterCleanup } from './unwind.js';
import { putActor, withPhase } from './state.js';
import { disabled, next } from './step.js';
import { hashPartOf, outputPathName, STORE_DIR } from './store-path.js';
import { applies } from './variants.js';
import { currentName, currentView, finishCurrent, focus, scannedCurrent, slotsOf } from './outputs.js';
import { topoSort } from './topo-sort.js';
import type { BuildActor, BuildOutcome, ModelState, RegisterStep, Step } from './types.js';

function toCleanup(ctx: Ctx, s: ModelState, a: BuildActor, outcome: BuildOutcome, note: string, source: string): Step {
  return next(enterCleanup(ctx, s, a, outcome), note, source);
}

function registering(s: ModelState, a: BuildActor, step: RegisterStep, note: string, source: string, job?: string): Step {
  const base = withPhase(a, { kind: 'registering', step });
  return next(putActor(s, job ? { ...base, job: startDelete(job) } : base), note, source);
}

/** unprepareBuild: a non-zero exit is a BuilderFailureError; zero goes on to registerOutputs. */
export function builderExit(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'builderExit') return disabled('builder has not exited');
  const d = drvOf(ctx, a.drv);
  // derivation-builder.cc unprepareBuild's killSandbox(true) (l.572), before the exit status is looked at: with a cgroup, destroyCgroup
  const killed = a.cgroup === undefined ? undefined : destroyCgroup(ctx, a.cgroup);
  if (killed?.error !== undefined) {
    // an Error out of unprepareBuild: the goal fails and the destructor cleans up
    return toCleanup(ctx, s, a, { kind: 'failure', failure: 'sysError', message: killed.error }, killed.error, `${SRC.unprepareBuild}; ${SRC.cgroupDestroy}`);
  }
  const cg = killed && killed.notes.length > 0 ? { note: `${killed.notes.join('; ')}; `, source: `; ${SRC.cgroupDestroy}` } : { note: '', source: '' };
  if (a.phase.status !== 0) {
    const message = `builder for '${d.drvPath}' failed with exit code ${String(a.phase.status)}`;
    return toCleanup(ctx, s, a, { kind: 'failure', failure: 'builderFailed', message }, `${cg.note}${message}`, `${SRC.unprepareBuild}${cg.source}`);
  }
  if (a.multi) {
    // registerOutputs' first loop, over the outputs it has to register (a valid one is AlreadyRegistered, derivation-builder.cc l.1479-1482)
    const first = nextWanted(a, -1);
    if (first === undefined) throw new Error('model bug: a build with every output valid reached registerOutputs');
    return registering(s, focus(a, first, { stage: 'check' }), { kind: 'checkOutput' }, `${cg.note}builder exited 0; checking output '${slotName(a, first)}'`, `${SRC.unprepareBuild}${cg.source}; ${SRC.registerFirstLoop}`);
  }
  return registering(s, a, { kind: 'checkOutput' }, `${cg.note}builder exited 0`, `${SRC.unprepareBuild}${cg.source}`);
}

/** Depth-first pre-order (the directory before its entries), as canonicalisePathMetaData_ recurses. */
function preorder(fs: FsKernel, root: string): string[] {
  return fs.tree(root).map((e) => e.path).sort((x, y) => (x === y ? 0 : x < y ? -1 : 1));
}

export function registerOutputs(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'registering' || a.job || a.scratch === undefined || a.uid === undefined) return disabled('not registering');
  // the output the loop is at (the derivation itself for a single output)
  const d = currentView(ctx, a);
  const fs = ctx.fs;
  const actual = realScratch(ctx, d, a.scratch);
  const step = a.phase.step;
  const fail = (message: string, kind: 'outputRejected' | 'sysError', source: string): Step =>
    toCleanup(ctx, s, a, { kind: 'failure', failure: kind, message }, message, source);
  switch (step.kind) {
    case 'checkOutput': {
      const st = fs.lstat(ctx.daemon, actual);
      const name = currentName(ctx, a);
      if (!st.ok) return fail(`builder for '${d.drvPath}' failed to produce output path for output '${name}' at '${actual}'`, 'outputRejected', SRC.registerOutputs);
      const v = st.value;
      if ((v.kind !== 'symlink' && (v.mode & 0o022) !== 0) || (a.uid !== 0 && v.uid !== a.uid)) {
        return fail(`suspicious ownership or permission on '${actual}' for output '${name}'; rejecting this build output`, 'outputRejected', SRC.suspiciousOwnership);
      }
      return registering(s, a, { kind: 'canonicalise', pass: 1, done: [] }, `lstat ${actual}: owner and mode acceptable`, SRC.suspiciousOwnership);
    }
    case 'canonicalise': {
      const path = preorder(fs, actual).find((p) => !step.done.includes(p));
      if (path === undefined) return afterCanonicalise(ctx, s, a, step.pass, actual, step.finalPath, step.cross);
      const st = fs.lstat(ctx.daemon, path);
      if (!st.ok) return fail(`getting status of '${path}': ${st.error.errno}`, 'sysError', SRC.canonicalise);
      const v = st.value;
      if (step.pass === 1 && a.uid !== 0 && v.uid !== a.uid) {
        return fail(`invalid ownership on file '${path}'`, 'outputRejected', SRC.canonicalise);
      }
      if (v.kind !== 'symlink') {
        const mode = 0o444 | (v.kind === 'dir' || (v.mode & 0o100) !== 0 ? 0o111 : 0);
        if (v.mode !== mode) fs.chmod(ctx.daemon, path, mode);
      }
      // "Change ownership to the current uid" only if it differs (posix-fs-canonicalise.cc l.111): a root-owned entry keeps its group
      if (v.uid !== 0) fs.lchown(ctx.daemon, path, 0, 0);
      return registering(s, a, { ...step, done: [...step.done, path] }, `canonicalise ${path}`, SRC.canonicalise);
    }
    case 'rewriteCopy': {
      // 2.34.8 restores into the fixed name `<scratch>.tmp`; 2.35 (d027dc38e8) into a fresh store temp dir
      const inStore = rewriteInStoreTempDir(ctx, d, a.scratch, step.finalPath);
      const tmpDir = `${STORE_DIR}/tmp-${String(s.tmpCounter)}`;
      if (inStore) fs.mkdir(ctx.daemon, tmpDir, 0o700);
      const tmp = inStore ? `${tmpDir}/x` : `${actual}.tmp`;
      const err = copyRewritten(fs, ctx, actual, tmp, step.rewrites ?? [[hashPartOf(a.scratch), hashPartOf(step.finalPath)]]);
      // RestoreSink::createDirectory: "path '%s' already exists" (fs-sink.cc l.121), an Error that escapes the goal
      if (err) return fail(err === 'EEXIST' ? `path '${tmp}' already exists` : `creating '${tmp}': ${err}`, 'sysError', SRC.rewriteOutput);
      const st = inStore ? { ...s, tmpCounter: s.tmpCounter + 1 } : s;
      const b = inStore ? { ...a, rewriteTmp: tmpDir } : a;
      const move: RegisterStep = { kind: 'rewriteMove', finalPath: step.finalPath, ...(step.cross ? { cross: true as const } : {}) };
      return registering(st, b, move, `restorePath ${tmp} (hash rewrite)`, SRC.rewriteOutput, actual);
    }
    case 'rewriteMove': {
      const tmp = a.rewriteTmp ? `${a.rewriteTmp}/x` : `${actual}.tmp`;
      const r = fs.rename(ctx.daemon, tmp, actual);
      if (!r.ok) return fail(`moving '${tmp}': ${r.error.errno}`, 'sysError', SRC.rewriteOutput);
      let b: BuildActor = a;
      if (a.rewriteTmp) {
        fs.rmdir(ctx.daemon, a.rewriteTmp); // the AutoDelete of the store temp dir
        const { rewriteTmp: _gone, ...rest } = a;
        b = rest;
      }
      // after the cross-output pass of a floating CA output its final path is not known yet
      const canon: RegisterStep = step.cross ? { kind: 'canonicalise', pass: 2, done: [], cross: true } : { kind: 'canonicalise', pass: 2, done: [], finalPath: step.finalPath };
      return registering(s, b, canon, `movePath ${tmp} -> ${actual}`, SRC.rewriteOutput);
    }
    case 'lockFinal': {
      const lock = `${step.finalPath}.lock`;
      // the designs' beforeMove hook (temp roots, daemon fs calls), asked as the step begins as waits.ts asks it
      const designs = beforeMove(ctx, s, d, a.scratch, step.finalPath);
      const fd = fs.open(ctx.daemon, lock, { access: 'rw', creat: true }, 0o600);
      if (fd.ok) fs.close(ctx.daemon, fd.value);
      const locked: ModelState = { ...s, locks: { ...s.locks, [lock]: a.id } };
      const applied = applyAsked(ctx, locked, a.id, designs);
      return withNotes(moveOutput(ctx, applied.state, { ...a, finalLock: lock }, step.finalPath, actual), applied.notes);
    }
    case 'moveOutput': {
      const r = fs.rename(ctx.daemon, actual, step.finalPath);
      if (!r.ok) return fail(`moving '${actual}' to '${step.finalPath}': ${r.error.errno}`, 'sysError', SRC.moveOutput);
      return registering(s, a, { kind: 'register', finalPath: step.finalPath, afterMove: true }, `movePath ${actual} -> ${step.finalPath}`, SRC.moveOutput);
    }
    case 'replaceValid': {
      // pathExists(storePath) is an lstat (derivation-builder.cc l.637): a dangling symlink is present too
      if (!fs.lstat(ctx.daemon, step.finalPath).ok) {
        return registering(s, a, { kind: 'replaceMoveIn', finalPath: step.finalPath }, `${step.finalPath} is not present: nothing to move aside`, SRC.replaceValidPath);
      }
      // makeTempPath(storePath, ".old") is `<storePath>/.old-<pid>-<n>` (file-system.cc l.612-619): below the path it is to hold
      const old = `${step.finalPath}/.old-${String(s.tmpCounter)}`;
      const st: ModelState = { ...s, tmpCounter: s.tmpCounter + 1 };
      const r = fs.rename(ctx.daemon, step.finalPath, old);
      // the first movePath is outside replaceValidPath's try: its error leaves the goal as a SysError
      if (!r.ok) return fail(`renaming '${step.finalPath}' to '${old}': ${r.error.errno}`, 'sysError', SRC.replaceValidPath);
      return registering(st, a, { kind: 'replaceMoveIn', finalPath: step.finalPath, old }, `movePath ${step.finalPath} -> ${old} (out of the way)`, SRC.replaceValidPath);
    }
    case 'replaceMoveIn': {
      const r = fs.rename(ctx.daemon, actual, step.finalPath);
      if (!r.ok) {
        // "attempt to recover": move the old copy back, ignoring its error, then rethrow (derivation-builder.cc l.653-654)
        const back = step.old === undefined ? undefined : fs.rename(ctx.daemon, step.old, step.finalPath);
        const note = back === undefined ? '' : back.ok ? `; moved ${step.old ?? ''} back` : `; moving ${step.old ?? ''} back: ${back.error.errno}`;
        return fail(`moving '${actual}' to '${step.finalPath}': ${r.error.errno}${note}`, 'sysError', SRC.replaceValidPath);
      }
      if (step.old === undefined) return registering(s, a, { kind: 'register', finalPath: step.finalPath, afterMove: true }, `movePath ${actual} -> ${step.finalPath}`, SRC.replaceValidPath);
      return registering(s, a, { kind: 'replaceDeleteOld', finalPath: step.finalPath, old: step.old }, `movePath ${actual} -> ${step.finalPath}; deletePath ${step.old}`, SRC.replaceValidPath, step.old);
    }
    case 'replaceDeleteOld':
      // the deletion of the old copy has finished (its job ran as deletePathStep events)
      return registering(s, a, { kind: 'register', finalPath: step.finalPath, afterMove: true }, `deleted ${step.old}`, SRC.replaceValidPath);
    case 'compare': {
      const valid = s.valid[step.finalPath];
      const st = dropFinalLock(ctx, s, a);
      if (valid && narText(fs, actual) !== valid.content) {
        const message = `derivation '${d.drvPath}' may not be deterministic: output '${step.finalPath}' differs`;
        if (ctx.scenario.settings.keepFailed) {
          // keep-failed: the new output goes to `<path>.check` for inspection (derivation-builder.cc l.1882-1885)
          deletePathAll(fs, ctx.daemon, `${step.finalPath}.check`);
          fs.rename(ctx.daemon, actual, `${step.finalPath}.check`);
        }
        return toCleanup(ctx, st, a, { kind: 'failure', failure: 'notDeterministic', message }, message, SRC.checkCompare);
      }
      // bmCheck registers nothing (derivation-builder.cc l.1961); the goal reports the output it already had
      const outcome: BuildOutcome = { kind: 'success', path: a.known?.path ?? step.finalPath, skipped: false };
      const note = valid ? `--check: ${actual} matches the valid ${step.finalPath}` : `--check: ${step.finalPath} is not valid, nothing to compare`;
      return toCleanup(ctx, st, a, outcome, note, SRC.checkCompare);
    }
    case 'register': {
      if (a.multi) return registerOne(ctx, s, a, step.finalPath);
      const info = { deriver: d.drvPath, content: narText(fs, step.finalPath), flags: a.flagsAtStart ?? [] };
      let st: ModelState = { ...s, valid: { ...s.valid, [step.finalPath]: info } };
      // a repaired path is registered again with what is now on disk: no longer corrupted
      if (s.corrupted?.includes(step.finalPath)) st = { ...st, corrupted: s.corrupted.filter((p) => p !== step.finalPath) };
      // with ca-derivations on, every output gets a realisation, input-addressed ones too (derivation-builder.cc l.1992-1994)
      if (ctx.scenario.settings.caDerivations !== false) st = { ...st, realisations: { ...st.realisations, [`${d.drvPath}!out`]: step.finalPath } };
      st = dropFinalLock(ctx, st, a);
      const applied = applyAsked(ctx, st, a.id, afterRegister(ctx, st, d, step.finalPath));
      const outcome: BuildOutcome = { kind: 'success', path: step.finalPath, skipped: false };
      return toCleanup(ctx, applied.state, a, outcome, [`registered ${step.finalPath} valid`, ...applied.notes].join('; '), SRC.registerValidPaths);
    }
  }
}

/** A step with the designs' notes after its own. */
function withNotes(step: Step, notes: readonly string[]): Step {
  if (notes.length === 0 || step.kind !== 'next') return step;
  return { ...step, effect: { ...step.effect, note: [step.effect.note, ...notes].join('; ') } };
}

/** dynamicOutputLock.setDeletion(true): the final-path lock file goes when the iteration ends. */
function dropFinalLock(ctx: Ctx, s: ModelState, a: BuildActor): ModelState {
  if (!a.finalLock) return s;
  ctx.fs.unlink(ctx.daemon, a.finalLock);
  const { [a.finalLock]: _gone, ...locks } = s.locks;
  return { ...s, locks };
}

function afterCanonicalise(ctx: Ctx, s: ModelState, a: BuildActor, pass: 1 | 2, actual: string, rewritten?: string, cross?: true): Step {
  const d = drvOf(ctx, a.drv);
  if (a.multi && pass === 1) {
    const scanned = scannedCurrent(a, referencedOutputs(ctx.fs, a, actual));
    // the first loop goes on with the next output to register; after the last, the second loop starts (derivation-builder.cc l.1591)
    const nxt = nextWanted(scanned, a.multi.cur);
    if (nxt !== undefined) return registering(s, focus(scanned, nxt), { kind: 'checkOutput' }, `canonicalised; checking output '${slotName(a, nxt)}'`, SRC.registerFirstLoop);
    return startSecondLoop(ctx, s, scanned);
  }
  if (d.spec.kind === 'ca-floating' && (pass === 1 || cross) && a.scratch !== undefined) {
    const finalPath = caFinalPath(narText(ctx.fs, actual), a.scratch, outputPathName(d.spec.name, currentName(ctx, a)));
    if (finalPath !== a.scratch) return registering(s, a, { kind: 'rewriteCopy', finalPath }, `content-addressed: final path ${finalPath}`, SRC.rewriteOutput);
  }
  if (d.spec.kind === 'input-addressed' && pass === 1 && a.known && a.scratch !== undefined && a.known.path !== a.scratch) {
    // built at the hash-rewrite fallback path (--check, or --repair of a corrupt output): its hash is rewritten to the known path's
    return registering(s, a, { kind: 'rewriteCopy', finalPath: a.known.path }, `input-addressed: rewriting ${a.scratch} to ${a.known.path}`, SRC.rewriteInputAddressed);
  }
  const finalPath = d.spec.kind === 'ca-floating' ? (rewritten ?? actual) : (a.known?.path ?? actual);
  if (d.spec.kind === 'ca-floating') return registering(s, a, { kind: 'lockFinal', finalPath }, 'canonicalised', SRC.lockFinal);
  if (usesChroot(ctx, d) || a.mode !== undefined) return moveOutput(ctx, s, a, finalPath, actual);
  return registering(s, a, { kind: 'register', finalPath }, 'canonicalised', SRC.registerOutputs);
}

/**
 * The move (derivation-builder.cc l.1853): --check leaves the output in place; the final path already valid -> delete our copy (2.34.8; Nix 2.8 leaves it,
 * see docs/fidelity.md); otherwise deletePath(dest) then movePath(actual, dest).
 */
function moveOutput(ctx: Ctx, s: ModelState, a: BuildActor, finalPath: string, actual: string): Step {
  // bmCheck (derivation-builder.cc l.1858): the new output stays where it was built, to be compared
  if (a.mode === 'check') return registering(s, a, { kind: 'compare', finalPath }, `--check: leaving ${actual} in place to compare`, SRC.moveOutput);
  if (actual === finalPath) return registering(s, a, { kind: 'register', finalPath, afterMove: true }, 'output already at its final path', SRC.moveOutput);
  // bmRepair (derivation-builder.cc l.1855-1857): replaceValidPath, whether or not the final path is valid or present
  if (a.mode === 'repair') return registering(s, a, { kind: 'replaceValid', finalPath }, `--repair: replaceValidPath(${finalPath}, ${actual})`, SRC.replaceValidPath);
  if (s.valid[finalPath] && !applies(ctx.variant, 'bug-move-ignores-valid-final')) {
    if (ctx.scenario.settings.nixVersion === '2.8') {
      return registering(s, a, { kind: 'register', finalPath, afterMove: true }, 'final path already valid: no moving needed (2.8 keeps the scratch copy)', SRC.moveOutput);
    }
    return registering(s, a, { kind: 'register', finalPath, afterMove: true }, `final path already valid: deleting scratch copy ${actual}`, SRC.moveOutput, actual);
  }
  return registering(s, a, { kind: 'moveOutput', finalPath }, `deletePath ${finalPath} before moving`, SRC.moveOutput, finalPath);
}

/** restorePath(tmp, RewritingSink(dumpPath(actual))): a root-owned copy with the hash rewritten. */
function copyRewritten(fs: FsKernel, ctx: Ctx, from: string, to: string, rewrites: readonly (readonly [string, string])[]): string | undefined {
  // RewritingSink replaces every rule's hash part; hash parts never overlap, so one rule after another does the same
  const rw = (text: string): string => rewrites.reduce((t, [h1, h2]) => rewriteHash(t, h1, h2), text);
  for (const e of fs.tree(from)) {
    const dest = to + e.path.slice(from.length);
    const r =
      e.kind === 'dir'
        ? fs.mkdir(ctx.daemon, dest, 0o777)
        : e.kind === 'symlink'
          ? fs.symlink(ctx.daemon, rw(e.content ?? ''), dest)
          : fs.writeFile(ctx.daemon, dest, rw(e.content ?? ''), (e.mode & 0o100) !== 0 ? 0o777 : 0o666);
    if (!r.ok) return r.error.errno;
  }
  return undefined;
}

// ---------------------------------------------------------------- several outputs

function slotName(a: BuildActor, i: number): string {
  return a.multi?.slots[i]?.name ?? 'out';
}

/** registerOutputs registers only outputs that are not valid already ("Don't register if already valid", derivation-builder.cc l.1479). */
function wanted(a: BuildActor, i: number): boolean {
  return slotsOf(a)[i]?.known?.status !== 'valid';
}

/** The first output after `after` that registerOutputs has to register. */
function nextWanted(a: BuildActor, after: number): number | undefined {
  const n = a.multi?.slots.length ?? 0;
  for (let i = after + 1; i < n; i++) if (wanted(a, i)) return i;
  return undefined;
}

/**
 * The rewrite rules of outputRewrites when the second loop reaches the current output: the
 * scratch → final hash part of every output `finish`ed before it whose scratch path was not its
 * final path (derivation-builder.cc l.1604-1611), then (input-addressed) its own (l.1778-1781).
 */
function outputRewrites(a: BuildActor, own?: readonly [string, string]): (readonly [string, string])[] {
  const m = a.multi;
  const rules = slotsOf(a).flatMap((o, i) =>
    i !== m?.cur && o.final !== undefined && o.scratch !== undefined && o.scratch !== o.final ? [[hashPartOf(o.scratch), hashPartOf(o.final)] as const] : [],
  );
  return own ? [...rules, own] : rules;
}

/**
 * The outputs whose scratch paths occur in the current output: scanForReferences over its
 * NAR with every scratch path referenceable, mapped back to output names through
 * scratchOutputsInverse (derivation-builder.cc l.1433, l.1535-1541). The NAR text stands in for
 * the NAR: names, contents and link targets, all of which the scan reads.
 */
function referencedOutputs(fs: FsKernel, a: BuildActor, actual: string): string[] {
  const nar = narText(fs, actual);
  // its own name too, as upstream's referencedOutputs has it: topoSort skips a self-reference
  return slotsOf(a).flatMap((o) => (o.scratch !== undefined && nar.includes(hashPartOf(o.scratch)) ? [o.name] : []));
}

/**
 * After the first loop: the topological sort of every output by the references found (an output
 * already valid is a leaf, AlreadyRegistered), referenced outputs first (derivation-builder.cc
 * l.1554-1587), or the cycle as an OutputRejected BuildError (l.1579). Without references between
 * outputs the order is the sorted output names.
 */
function startSecondLoop(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  const m = a.multi;
  if (!m) throw new Error('model bug: the second loop of a single-output build');
  const slots = slotsOf(a);
  // an output already valid was never scanned: a leaf, as AlreadyRegistered is (derivation-builder.cc l.1567)
  const sorted = topoSort(
    slots.map((o) => o.name),
    (name) => slots.find((o) => o.name === name)?.refs ?? [],
  );
  if (sorted.kind === 'cycle') {
    const message = `cycle detected in build of '${drvOf(ctx, a.drv).drvPath}' in the references of output '${sorted.path}' from output '${sorted.parent}'`;
    return toCleanup(ctx, s, a, { kind: 'failure', failure: 'outputRejected', message }, message, SRC.outputTopoSort);
  }
  // registerOutputs reverses topoSort's result (derivation-builder.cc l.1587): the referenced output comes first
  const order = [...sorted.order].reverse().map((name) => slots.findIndex((o) => o.name === name));
  const edges = slots.flatMap((o) => (o.refs ?? []).filter((r) => r !== o.name).map((r) => `${o.name} -> ${r}`));
  const started = secondLoop(ctx, s, { ...a, multi: { ...m, stage: 'move', order } }, 0, ['canonicalised']);
  if (edges.length === 0 || started.kind !== 'next') return started;
  const note = `references between outputs ${edges.join(', ')}: registering ${order.map((i) => slotName(a, i)).join(', ')} in that order`;
  return { ...started, effect: { ...started.effect, note: `${note}; ${started.effect.note}` } };
}

/**
 * registerOutputs' second loop, from position `from` of its order on (startSecondLoop). An output
 * that was valid already is `finish`ed at its known path with nothing done (derivation-builder.cc l.1620); the next one
 * to register starts: a floating CA output with a rewrite of the outputs before it if there are
 * any (l.1702, rewriteOutput(outputRewrites)), then its own; an input-addressed one with
 * outputRewrites plus its own rule (l.1778-1781), or its hashing when there is no rule. After the
 * last, the registration of them all.
 */
function secondLoop(ctx: Ctx, s: ModelState, a: BuildActor, from: number, notes: readonly string[]): Step {
  let b = a;
  const order = a.multi?.order ?? [];
  for (let k = from; k < order.length; k++) {
    b = focus(b, order[k] ?? -1);
    const known = b.known;
    if (known?.status === 'valid') {
      b = finishCurrent(b, known.path);
      continue;
    }
    if (b.scratch === undefined) throw new Error('model bug: an output without a scratch path in registerOutputs');
    const d = currentView(ctx, b);
    const actual = realScratch(ctx, d, b.scratch);
    const note = [...notes, `output '${d.output}'`].join('; ');
    if (d.spec.kind === 'ca-floating') {
      const rules = outputRewrites(b);
      if (rules.length > 0) return registering(s, b, { kind: 'rewriteCopy', finalPath: b.scratch, rewrites: rules, cross: true }, `${note}: rewriting the other outputs' hashes`, SRC.registerSecondLoop);
      return afterCanonicalise(ctx, s, b, 2, actual, undefined, true);
    }
    const finalPath = known?.path ?? actual;
    const own = b.scratch !== finalPath ? ([hashPartOf(b.scratch), hashPartOf(finalPath)] as const) : undefined;
    const rules = outputRewrites(b, own);
    if (rules.length > 0) return registering(s, b, { kind: 'rewriteCopy', finalPath, rewrites: rules }, `${note}: rewriting hashes`, SRC.registerSecondLoop);
    return registering(s, b, { kind: 'register', finalPath }, note, SRC.registerSecondLoop);
  }
  return registerAll(ctx, s, b, notes);
}

/**
 * The end of the current output's turn in the second loop: a content-addressed output is
 * registered valid right away (derivation-builder.cc l.1947-1948: "so that we can safely unlock the
 * path before the next iteration"), its final-path lock released (~PathLocks, l.1846), and the
 * loop goes on.
 */
function registerOne(ctx: Ctx, s: ModelState, a: BuildActor, finalPath: string): Step {
  const d = currentView(ctx, a);
  let st: ModelState = s;
  const notes: string[] = [];
  if (d.spec.kind === 'ca-floating') {
    st = { ...st, valid: { ...st.valid, [finalPath]: { deriver: d.drvPath, output: d.output, content: narText(ctx.fs, finalPath), flags: a.flagsAtStart ?? [] } } };
    notes.push(`registered ${finalPath} valid (output '${d.output}', content-addressed: right away)`);
  } else notes.push(`output '${d.output}' at ${finalPath}`);
  st = dropFinalLock(ctx, st, a);
  const { finalLock: _released, ...b } = a;
  return secondLoop(ctx, st, finishCurrent(b, finalPath), (a.multi?.order ?? []).indexOf(a.multi?.cur ?? -1) + 1, notes);
}

/**
 * After the loop: one registerValidPaths of every output registered (derivation-builder.cc
 * l.1970-1973; one SQLite transaction, local-store.cc l.910-949), then a realisation of each with
 * ca-derivations on (derivation-builder.cc l.1983-1994). Outputs that were valid already are in neither.
 */
function registerAll(ctx: Ctx, s: ModelState, a: BuildActor, notes: readonly string[]): Step {
  const d = drvOf(ctx, a.drv);
  let st: ModelState = s;
  const registered: string[] = [];
  let applied: string[] = [];
  for (const o of slotsOf(a)) {
    if (o.known?.status === 'valid' || o.final === undefined) continue;
    const info = { deriver: d.drvPath, output: o.name, content: narText(ctx.fs, o.final), flags: a.flagsAtStart ?? [] };
    st = { ...st, valid: { ...st.valid, [o.final]: info } };
    if (ctx.scenario.settings.caDerivations !== false) st = { ...st, realisations: { ...st.realisations, [realisationKey(outputOf(d, o.name))]: o.final } };
    registered.push(o.final);
    const asked = applyAsked(ctx, st, a.id, afterRegister(ctx, st, outputOf(d, o.name), o.final));
    st = asked.state;
    applied = [...applied, ...asked.notes];
  }
  const main = slotsOf(a).find((o) => o.name === 'out') ?? slotsOf(a)[0];
  const outcome: BuildOutcome = { kind: 'success', path: main?.final ?? '', skipped: false };
  const note = [...notes, `registered ${registered.join(', ')} valid`, ...applied].join('; ');
  return toCleanup(ctx, st, focus(a, 0), outcome, note, SRC.registerAllOutputs);
}
