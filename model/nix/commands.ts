/**
 * The other actors: nix path-info, another process holding a build user, and the test harness's
 * flag files. The deleting commands (nix store gc, nix store delete, nix-store --delete) are the
 * collector (collector.ts).
 */
import type { Ctx } from './context.js';
import { resolveRef } from './context.js';
import { SRC } from './sources.js';
import { putActor } from './state.js';
import { takeBuildUser } from './user-lock.js';
import { disabled, next } from './step.js';
import type { ActorSpec, ModelState, SimpleActor, Step } from './types.js';

type Of<K extends SimpleActor['kind']> = Extract<SimpleActor, { kind: K }>;

export function holdUser(ctx: Ctx, s: ModelState, a: Of<'holdUser'>): Step {
  if (a.state !== 'waiting') return disabled('already holding');
  // it is a build too: its prepareUser() kills whatever still runs as that uid (a crashed daemon's builder)
  const took = takeBuildUser(ctx, s, a.id);
  if (took === undefined) return disabled('no free build user');
  const { state, uid, killed } = took;
  const note = `another build holds uid ${String(uid)}${killed ? `; its prepareUser killed ${String(killed)} stray process(es)` : ''}`;
  return next(putActor(state, { ...a, state: 'holding', uid }), note, SRC.holdUser);
}

/** Releases the user once every `releaseAfter` actor is done (that wait is waits.ts's). */
export function releaseUser(_ctx: Ctx, s: ModelState, a: Of<'holdUser'>, spec: ActorSpec): Step {
  if (a.state !== 'holding' || spec.kind !== 'holdUser') return disabled('not holding');
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
 * Damage a valid output on disk as root (a file `corrupted` written into it), its registration
 * untouched. Only a directory output can take the file; anything else is left alone and said so.
 */
export function corrupt(ctx: Ctx, s: ModelState, a: Of<'corrupt'>, spec: ActorSpec): Step {
  if (a.state !== 'waiting' || spec.kind !== 'corrupt') return disabled('done');
  const path = resolveRef(ctx, spec.target, s.realisations);
  const done = putActor(s, { ...a, state: 'done' });
  if (path === undefined || s.valid[path] === undefined) return next(done, `corrupt: ${path ?? '?'} is not valid, nothing to damage`, SRC.corrupt);
  const r = ctx.fs.writeFile(ctx.daemon, `${path}/corrupted`, 'corrupted\n', 0o644);
  if (!r.ok) return next(done, `corrupt: writing ${path}/corrupted: ${r.error.errno}`, SRC.corrupt);
  const corrupted = [...new Set([...(s.corrupted ?? []), path])].sort();
  return next({ ...done, corrupted }, `corrupt: wrote ${path}/corrupted as root; ${path} stays registered valid`, SRC.corrupt);
}

export function setFlag(_ctx: Ctx, s: ModelState, a: Of<'setFlag' | 'clearFlag'>, spec: ActorSpec): Step {
  if (a.state !== 'waiting' || (spec.kind !== 'setFlag' && spec.kind !== 'clearFlag')) return disabled('done');
  const flags = spec.kind === 'setFlag' ? [...new Set([...s.flags, spec.flag])].sort() : s.flags.filter((f) => f !== spec.flag);
  return next(putActor({ ...s, flags }, { ...a, state: 'done' }), `${spec.kind} ${spec.flag}`, SRC.flag);
}
