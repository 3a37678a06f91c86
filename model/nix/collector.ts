/**
 * Nix: libstore/gc.cc LocalStore::collectGarbage @2.34.8. `nix store gc` (gcDeleteDead) and
 * `nix store delete` / `nix-store --delete` (gcDeleteSpecific) are one collector: each path is
 * checked against the temp roots and marked `pending` under one lock (deleteReferrersClosure,
 * l.639-647), invalidated and deleted (l.684-685), and `pending` is cleared when its deletion
 * ends (releasePending, l.585-589). A client's addTempRoot of a pending hash part waits until then
 * (l.488-491), so no build can root, and re-create, a path while the collector is deleting it.
 * A deletion error aborts the whole run (deleteStorePath rethrows, local-store.cc l.399-418).
 */
import type { FsError } from '../fs/index.js';
import type { Ctx } from './context.js';
import { resolveRef } from './context.js';
import { deletePathStep, startDelete } from './delete-path.js';
import { collectorKeeps, storeDeleteMessages } from './hooks.js';
import { SRC } from './sources.js';
import { invalidate, isTempRooted, putActor } from './state.js';
import { disabled, next } from './step.js';
import { hashPartOf, parsesAsStorePath, STORE_DIR } from './store-path.js';
import type { ActorSpec, DeleteJob, ModelState, SimpleActor, Step } from './types.js';

type Of<K extends SimpleActor['kind']> = Extract<SimpleActor, { kind: K }>;
type Collector = Of<'gc'> | Of<'storeDelete'>;

/** Is some collector run deleting a path with this hash part (`shared->pending`, gc.cc l.646)? */
export function gcPending(s: ModelState, hashPart: string): boolean {
  return s.actors.some((a) => (a.kind === 'gc' || a.kind === 'storeDelete') && a.job !== undefined && a.pending === hashPart);
}

/** The temp-root check and the `pending` mark, made under one lock (gc.cc l.639-647); the designs' collectorKeeps hook may keep the path too. */
function mayCollect(ctx: Ctx, s: ModelState, command: 'nix store gc' | 'nix store delete' | 'nix-store --delete', path: string): boolean {
  return !isTempRooted(s, hashPartOf(path)) && !collectorKeeps(ctx, s, command, path);
}

/** invalidatePathChecked, then deleteFromStore (gc.cc l.684-685): a store path becomes `pending` until its deletion ends. */
function startCollecting<A extends Collector>(s: ModelState, a: A, path: string): { state: ModelState; actor: A } {
  const actor = { ...a, job: startDelete(path), pending: hashPartOf(path) };
  return { state: invalidate(s, path), actor };
}

/** One deletePath step of the collector's deletion; `done` once it has ended (pending released). */
function collectStep<A extends Collector>(ctx: Ctx, a: A & { readonly job: DeleteJob }): { actor: A; done: false } | { actor: A; done: true; error?: FsError } {
  const p = deletePathStep(ctx.fs, ctx.daemon, a.job);
  if (p.kind === 'stepped') return { actor: { ...a, job: p.job }, done: false };
  const { job: _job, pending: _pending, ...rest } = a;
  return p.error ? { actor: rest as A, done: true, error: p.error } : { actor: rest as A, done: true };
}

function deletionError(e: FsError, path: string): string {
  return `error: cannot unlink '${e.path}': ${e.errno}\n       … while deleting store path '${path}'`;
}

/**
 * nix store delete / nix-store --delete: gcDeleteSpecific (gc.cc l.698-708). `nix store delete` first
 * realises its arguments (Realise::Derivation), so for an invalid path printMissing says "don't know
 * how to build these paths": a message only, the deletion goes on (as the real 2.8 daemon showed).
 * Designs change the messages through the storeDeleteMessages hook (print-missing-built-only drops
 * that line, store-delete-explains adds one).
 */
export function storeDelete(ctx: Ctx, s: ModelState, a: Of<'storeDelete'>, spec: ActorSpec): Step {
  if (spec.kind !== 'storeDelete') return disabled('not a delete');
  const path = resolveRef(ctx, spec.target, s.realisations) ?? `${STORE_DIR}/unknown`;
  const source = spec.command === 'nix store delete' ? SRC.storeDelete : SRC.nixStoreDelete;
  if (a.state === 'waiting') {
    const valid = s.valid[path] !== undefined;
    const upstream = spec.command === 'nix store delete' && !valid ? [`don't know how to build these paths:\n  ${path}`] : [];
    const output = storeDeleteMessages(ctx, spec.command, path, valid, upstream);
    if (!mayCollect(ctx, s, spec.command, path)) {
      output.push(`error: Cannot delete path '${path}' since it is still alive.`);
      return next(putActor(s, { ...a, state: 'done', result: { exitOk: false, output, removed: false } }), `${spec.command}: still alive`, source);
    }
    const existed = ctx.fs.lstat(ctx.daemon, path).ok;
    output.push(`deleting '${path}'`);
    const started = startCollecting(s, { ...a, state: 'deleting', result: { exitOk: true, output, removed: existed } }, path);
    return next(putActor(started.state, started.actor), `${spec.command} ${path} (pending)`, source);
  }
  if (a.state !== 'deleting' || !a.job || !a.result) return disabled('done');
  const r = collectStep(ctx, { ...a, job: a.job });
  if (!r.done) return next(putActor(s, r.actor), `deletePath ${path}`, SRC.deletePath);
  const gone = !ctx.fs.lstat(ctx.daemon, path).ok;
  const output = r.error ? [...a.result.output, deletionError(r.error, path)] : [...a.result.output, '1 store paths deleted'];
  const result = { exitOk: r.error === undefined, output, removed: (a.result.removed ?? false) && gone };
  return next(putActor(s, { ...r.actor, state: 'done', result }), `${spec.command}: done`, SRC.deletePath);
}

/**
 * nix store gc: gcDeleteDead (gc.cc l.717-737) reads the store directory. A name that parses as a store
 * path goes through liveness (its hash part a temp root: alive; the model has no other GC roots)
 * and becomes `pending` while it is deleted; any other name is deleted as garbage (deleteFromStore
 * with isKnownPath false, never pending), except a `tmp-` dir whose lock is held (gc.cc l.550-556).
 */
export function gcStep(ctx: Ctx, s: ModelState, a: Of<'gc'>): Step {
  if (a.state === 'done') return disabled('done');
  if (a.job) {
    const root = a.job.root;
    const r = collectStep(ctx, { ...a, job: a.job });
    if (!r.done) return next(putActor(s, r.actor), `deletePath ${root}`, SRC.deletePath);
    if (r.error) {
      const stopped = { ...r.actor, state: 'done' as const, queue: [], error: deletionError(r.error, root) };
      return next(putActor(s, stopped), `deleting ${root} failed: ${r.error.errno}; the collector stops`, SRC.gcDeleteStorePath);
    }
    return next(putActor(s, { ...r.actor, deleted: [...a.deleted, root] }), `deleted ${root}`, SRC.collectGarbage);
  }
  const queue = a.state === 'waiting' ? listStore(ctx) : a.queue;
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i] ?? '';
    const path = `${STORE_DIR}/${name}`;
    const rest = { ...a, state: 'collecting' as const, queue: queue.slice(i + 1) };
    if (parsesAsStorePath(name)) {
      if (!mayCollect(ctx, s, 'nix store gc', path)) continue;
      const started = startCollecting(s, rest, path);
      return next(putActor(started.state, started.actor), `deleting '${path}' (pending)`, SRC.collectGarbage);
    }
    if (name.startsWith('tmp-') && s.actors.some((x) => x.kind === 'build' && x.rewriteTmp === path)) continue;
    return next(putActor(s, { ...rest, job: startDelete(path) }), `deleting '${path}' (not a store path)`, SRC.gcDeleteGarbage);
  }
  return next(putActor(s, { ...a, state: 'done', queue: [] }), `${String(a.deleted.length)} store paths deleted`, SRC.collectGarbage);
}

function listStore(ctx: Ctx): string[] {
  const r = ctx.fs.readdir(ctx.daemon, STORE_DIR);
  return r.ok ? r.value : [];
}
