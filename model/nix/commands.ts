/**
 * The other actors: commands a user runs against the daemon (nix path-info, nix store delete,
 * nix-store --delete, nix store gc), another process holding a build user, and the test harness's
 * flag files. Store commands run in the daemon as root.
 */
import type { Ctx } from './context.js';
import { buildUserUids, resolveRef } from './context.js';
import { deletePathStep as step1, startDelete } from './delete-path.js';
import { SRC } from './sources.js';
import { actorById, invalidate, isTempRooted, putActor } from './state.js';
import { disabled, next } from './step.js';
import { hashPartOf, parsesAsStorePath, STORE_DIR } from './store-path.js';
import type { ActorSpec, ModelState, SimpleActor, Step } from './types.js';

type Of<K extends SimpleActor['kind']> = Extract<SimpleActor, { kind: K }>;

export function holdUser(ctx: Ctx, s: ModelState, a: Of<'holdUser'>): Step {
  if (a.state !== 'waiting') return disabled('already holding');
  const uid = buildUserUids(ctx).find((u) => s.userLeases[String(u)] === undefined);
  if (uid === undefined) return disabled('no free build user');
  // it is a build too: its prepareUser() kills whatever still runs as that uid (a crashed daemon's builder)
  const killed = s.orphans.filter((o) => o.uid === uid).length;
  const st: ModelState = { ...s, userLeases: { ...s.userLeases, [String(uid)]: a.id }, orphans: s.orphans.filter((o) => o.uid !== uid) };
  const note = `another build holds uid ${String(uid)}${killed ? `; its prepareUser killed ${String(killed)} stray process(es)` : ''}`;
  return next(putActor(st, { ...a, state: 'holding', uid }), note, SRC.holdUser);
}

export function releaseUser(_ctx: Ctx, s: ModelState, a: Of<'holdUser'>, spec: ActorSpec): Step {
  if (a.state !== 'holding' || spec.kind !== 'holdUser') return disabled('not holding');
  const waitingFor = spec.releaseAfter.filter((id) => {
    const o = actorById(s, id);
    return o === undefined || (o.kind === 'build' ? o.phase.kind !== 'done' : o.state !== 'done');
  });
  if (waitingFor.length > 0) return disabled(`holds its user until ${waitingFor.join(', ')} finish`);
  const userLeases = Object.fromEntries(Object.entries(s.userLeases).filter(([, h]) => h !== a.id));
  return next(putActor({ ...s, userLeases }, { ...a, state: 'done' }), `releases uid ${String(a.uid)}`, SRC.holdUser);
}

export function pathInfo(ctx: Ctx, s: ModelState, a: Of<'pathInfo'>, spec: ActorSpec): Step {
  if (a.state !== 'waiting' || spec.kind !== 'pathInfo') return disabled('done');
  const path = resolveRef(ctx, spec.target, s.realisations);
  const valid = path !== undefined && s.valid[path] !== undefined;
  const output = valid ? [path] : [`error: path '${path ?? '?'}' is not valid`];
  return next(putActor(s, { ...a, state: 'done', result: { exitOk: valid, output } }), `nix path-info ${path ?? '?'}: ${valid ? 'valid' : 'not valid'}`, SRC.pathInfo);
}

/**
 * nix store delete / nix-store --delete: gcDeleteSpecific. `nix store delete` first realises its
 * arguments (Realise::Derivation), so for an invalid path printMissing says "don't know how to build
 * these paths" — a message only; the deletion goes on (as the real 2.8 daemon showed).
 */
export function storeDelete(ctx: Ctx, s: ModelState, a: Of<'storeDelete'>, spec: ActorSpec): Step {
  if (spec.kind !== 'storeDelete') return disabled('not a delete');
  const path = resolveRef(ctx, spec.target, s.realisations) ?? `${STORE_DIR}/unknown`;
  if (a.state === 'waiting') {
    const output: string[] = [];
    if (spec.command === 'nix store delete' && !s.valid[path]) {
      output.push(ctx.variant.has('store-delete-explains') ? `deleting invalid path '${path}'` : `don't know how to build these paths:\n  ${path}`);
    }
    if (isTempRooted(s, hashPartOf(path))) {
      output.push(`error: Cannot delete path '${path}' since it is still alive.`);
      return next(putActor(s, { ...a, state: 'done', result: { exitOk: false, output, removed: false } }), `${spec.command}: still alive`, SRC.storeDelete);
    }
    const existed = ctx.fs.lstat(ctx.daemon, path).ok;
    output.push(`deleting '${path}'`);
    const st = putActor(invalidate(s, path), { ...a, state: 'deleting', job: startDelete(path), result: { exitOk: true, output, removed: existed } });
    return next(st, `${spec.command} ${path}`, spec.command === 'nix store delete' ? SRC.storeDelete : SRC.nixStoreDelete);
  }
  if (a.state !== 'deleting' || !a.job || !a.result) return disabled('done');
  const p = step1(ctx.fs, ctx.daemon, a.job);
  if (p.kind === 'stepped') return next(putActor(s, { ...a, job: p.job }), `deletePath ${path}`, SRC.deletePath);
  const gone = !ctx.fs.lstat(ctx.daemon, path).ok;
  const output = p.error ? [...a.result.output, `error: cannot unlink '${p.error.path}': ${p.error.errno}`] : [...a.result.output, '1 store paths deleted'];
  const result = { exitOk: !p.error, output, removed: (a.result.removed ?? false) && gone };
  const { job: _j, ...rest } = a;
  return next(putActor(s, { ...rest, state: 'done', result }), `${spec.command}: done`, SRC.deletePath);
}

/**
 * nix store gc (gcDeleteDead): every store entry whose name parses as a store path and whose hash
 * part is not a temp root (nor a GC root: the model has none) is invalidated and deleted, one
 * deletePath step per event. Temp roots are read live, as the non-blocking collector does.
 */
export function gcStep(ctx: Ctx, s: ModelState, a: Of<'gc'>): Step {
  if (a.state === 'done') return disabled('done');
  if (a.job) {
    const p = step1(ctx.fs, ctx.daemon, a.job);
    if (p.kind === 'stepped') return next(putActor(s, { ...a, job: p.job }), `deletePath ${a.job.root}`, SRC.deletePath);
    const { job: _j, ...rest } = a;
    return next(putActor(s, { ...rest, deleted: [...a.deleted, a.job.root] }), `deleted ${a.job.root}`, SRC.collectGarbage);
  }
  const queue = a.state === 'waiting' ? listStore(ctx) : a.queue;
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i] ?? '';
    const path = `${STORE_DIR}/${name}`;
    // gcDeleteDead: store-path names go through liveness; `tmp-…` dirs are deleted unless their lock is held
    if (name.startsWith('tmp-')) {
      if (s.actors.some((x) => x.kind === 'build' && x.rewriteTmp === path)) continue;
    } else if (!parsesAsStorePath(name) || isTempRooted(s, hashPartOf(name))) continue;
    const st = putActor(invalidate(s, path), { ...a, state: 'collecting', queue: queue.slice(i + 1), job: startDelete(path) });
    return next(st, `deleting '${path}'`, SRC.collectGarbage);
  }
  return next(putActor(s, { ...a, state: 'done', queue: [] }), `${String(a.deleted.length)} store paths deleted`, SRC.collectGarbage);
}

function listStore(ctx: Ctx): string[] {
  const r = ctx.fs.readdir(ctx.daemon, STORE_DIR);
  return r.ok ? r.value : [];
}

export function setFlag(_ctx: Ctx, s: ModelState, a: Of<'setFlag' | 'clearFlag'>, spec: ActorSpec): Step {
  if (a.state !== 'waiting' || (spec.kind !== 'setFlag' && spec.kind !== 'clearFlag')) return disabled('done');
  const flags = spec.kind === 'setFlag' ? [...new Set([...s.flags, spec.flag])].sort() : s.flags.filter((f) => f !== spec.flag);
  return next(putActor({ ...s, flags }, { ...a, state: 'done' }), `${spec.kind} ${spec.flag}`, SRC.flag);
}
