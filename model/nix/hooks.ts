/**
 * The design layer: calls a variant's designs at a hook point, checks what each returns against
 * what that point allows (HOOK_POINTS), and applies it as the daemon. Step modules call these and
 * know nothing of any particular design.
 */
import type { Ctx, DrvInfo } from './context.js';
import { buildUserUids, realScratch, usesChroot } from './context.js';
import type { DaemonOp, Design, DesignDrv, HookName, HookResult, Hooks, StoreView } from './design.js';
import { DesignError } from './design.js';
import { addTempRoot, isTempRooted } from './state.js';
import { hashPartOf } from './store-path.js';
import type { BuildActor, KnownOutput, ModelState } from './types.js';

export function designDrv(d: DrvInfo): DesignDrv {
  return {
    id: d.spec.id,
    name: d.spec.name,
    kind: d.spec.kind,
    drvPath: d.drvPath,
    fallbackPath: d.fallbackPath,
    ...(d.knownPath ? { knownPath: d.knownPath } : {}),
  };
}

export function storeView(ctx: Ctx, s: ModelState): StoreView {
  return {
    lstat: (path) => {
      const r = ctx.fs.lstat(ctx.daemon, path);
      return r.ok ? { kind: r.value.kind, mode: r.value.mode & 0o7777, uid: r.value.uid, gid: r.value.gid } : undefined;
    },
    readdir: (path) => {
      const r = ctx.fs.readdir(ctx.daemon, path);
      return r.ok ? [...r.value].sort() : undefined;
    },
    isValid: (path) => s.valid[path] !== undefined,
    isTempRooted: (path) => isTempRooted(s, hashPartOf(path)),
    buildUserUids: buildUserUids(ctx),
  };
}

/** Each design's answer at one point, in the variant's order; designs without that hook say nothing. */
function ask<H extends HookName>(ctx: Ctx, hook: H, at: Parameters<NonNullable<Hooks[H]>>[0]): { design: Design; result: ReturnType<NonNullable<Hooks[H]>> }[] {
  const out: { design: Design; result: ReturnType<NonNullable<Hooks[H]>> }[] = [];
  for (const design of ctx.variant.designs) {
    const f = design.hooks[hook] as ((x: typeof at) => ReturnType<NonNullable<Hooks[H]>>) | undefined;
    if (f) out.push({ design, result: f(at) });
  }
  return out;
}

function bad(design: Design, hook: HookName, what: string): never {
  throw new DesignError(`design '${design.name}', hook ${hook}: ${what}`);
}

const OP_FIELDS: Readonly<Record<DaemonOp['op'], readonly string[]>> = {
  chown: ['path', 'uid', 'gid'],
  lchown: ['path', 'uid', 'gid'],
  chmod: ['path', 'mode'],
  unlink: ['path'],
  rmdir: ['path'],
  mkdir: ['path', 'mode'],
  rename: ['from', 'to'],
};

function checkOp(design: Design, hook: HookName, op: unknown): void {
  if (typeof op !== 'object' || op === null) bad(design, hook, 'an op is not an object');
  const o = op as Record<string, unknown>;
  const kind = o['op'];
  if (typeof kind !== 'string' || !Object.hasOwn(OP_FIELDS, kind)) bad(design, hook, `unknown op ${JSON.stringify(kind)} (known: ${Object.keys(OP_FIELDS).join(', ')})`);
  const fields = OP_FIELDS[kind as DaemonOp['op']];
  for (const k of Object.keys(o)) if (k !== 'op' && !fields.includes(k)) bad(design, hook, `op ${kind} has no field '${k}'`);
  for (const k of fields) {
    const v = o[k];
    const numeric = k === 'uid' || k === 'gid' || k === 'mode';
    if (numeric ? !Number.isInteger(v) || (v as number) < 0 : typeof v !== 'string' || !v.startsWith('/')) {
      bad(design, hook, `op ${kind}: '${k}' must be ${numeric ? 'a non-negative integer' : 'an absolute path'}`);
    }
  }
}

/** A hook's HookResult, checked against the fields its point allows. */
function checked(design: Design, hook: HookName, r: unknown, allowed: readonly (keyof HookResult)[]): HookResult | undefined {
  if (r === undefined) return undefined;
  if (typeof r !== 'object' || r === null || Array.isArray(r)) bad(design, hook, 'must return an object or undefined');
  const o = r as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!(['note', ...allowed] as string[]).includes(k)) bad(design, hook, `returned '${k}', which this point does not allow (allowed: ${['note', ...allowed].join(', ')})`);
  }
  if (o['note'] !== undefined && typeof o['note'] !== 'string') bad(design, hook, 'note must be a string');
  if (o['deletePath'] !== undefined && (typeof o['deletePath'] !== 'string' || !o['deletePath'].startsWith('/'))) bad(design, hook, 'deletePath must be an absolute path');
  for (const k of ['ops', 'tempRoots'] as const) {
    if (o[k] !== undefined && !Array.isArray(o[k])) bad(design, hook, `${k} must be an array`);
  }
  for (const op of (o['ops'] as unknown[] | undefined) ?? []) checkOp(design, hook, op);
  for (const p of (o['tempRoots'] as unknown[] | undefined) ?? []) if (typeof p !== 'string' || !p.startsWith('/')) bad(design, hook, 'tempRoots must be absolute paths');
  return o;
}

/** What the designs at one point asked for, checked. */
export interface Asked {
  readonly results: readonly { readonly design: Design; readonly result: HookResult }[];
  /** The one deletion asked for, if any. */
  readonly deletePath?: string;
}

function asked(hook: HookName, list: readonly { design: Design; result: unknown }[], allowed: readonly (keyof HookResult)[], upstreamDeletes?: string): Asked {
  const results: { design: Design; result: HookResult }[] = [];
  let deletePath: string | undefined;
  let by: Design | undefined;
  for (const { design, result } of list) {
    const r = checked(design, hook, result, allowed);
    if (!r || Object.keys(r).length === 0) continue;
    results.push({ design, result: r });
    if (r.deletePath === undefined) continue;
    if (upstreamDeletes !== undefined && r.deletePath !== upstreamDeletes) bad(design, hook, `asks to delete ${r.deletePath} while upstream deletes ${upstreamDeletes} here (one deletion per step)`);
    if (deletePath !== undefined && r.deletePath !== deletePath) bad(design, hook, `asks to delete ${r.deletePath} while design '${by?.name ?? ''}' deletes ${deletePath} (one deletion per step)`);
    deletePath = r.deletePath;
    by = design;
  }
  return { results, ...(deletePath !== undefined ? { deletePath } : {}) };
}

/** The paths the designs root at this point (a step waits while the collector is deleting one). */
export function rootsOf(a: Asked): string[] {
  return a.results.flatMap((x) => x.result.tempRoots ?? []);
}

/**
 * Applies temp roots and ops as the daemon; returns the state and the notes, those of designs that
 * start a deletion last (the deletion runs after the step).
 */
export function applyAsked(ctx: Ctx, s: ModelState, actor: string, a: Asked): { state: ModelState; notes: string[]; deleteNotes: string[] } {
  let st = s;
  const notes: string[] = [];
  const deleteNotes: string[] = [];
  for (const { design, result } of a.results) {
    for (const p of result.tempRoots ?? []) st = addTempRoot(st, actor, hashPartOf(p));
    const failed = (result.ops ?? []).flatMap((op) => {
      const err = runOp(ctx, op);
      return err ? [`${op.op} ${'path' in op ? op.path : op.from}: ${err}`] : [];
    });
    const text = [result.note, ...failed].filter((x) => x !== undefined).join('; ');
    if (text !== '') (result.deletePath !== undefined ? deleteNotes : notes).push(`${text} [${design.name}]`);
  }
  return { state: st, notes, deleteNotes };
}

function runOp(ctx: Ctx, op: DaemonOp): string | undefined {
  const fs = ctx.fs;
  const c = ctx.daemon;
  let r;
  switch (op.op) {
    case 'chown':
      r = fs.chown(c, op.path, op.uid, op.gid);
      break;
    case 'lchown':
      r = fs.lchown(c, op.path, op.uid, op.gid);
      break;
    case 'chmod':
      r = fs.chmod(c, op.path, op.mode);
      break;
    case 'unlink':
      r = fs.unlink(c, op.path);
      break;
    case 'rmdir':
      r = fs.rmdir(c, op.path);
      break;
    case 'mkdir':
      r = fs.mkdir(c, op.path, op.mode);
      break;
    case 'rename':
      r = fs.rename(c, op.from, op.to);
      break;
  }
  return r.ok ? undefined : r.error.errno;
}

/** startBuild's scratch-path ternary: the first design that names another path wins. */
export function chosenScratch(ctx: Ctx, d: DrvInfo, known: KnownOutput | undefined, chosen: string): string {
  if (ctx.variant.designs.length === 0) return chosen;
  const at = { drv: designDrv(d), ...(known ? { known } : {}), chosen, sandboxed: usesChroot(ctx, d) };
  for (const { design, result } of ask(ctx, 'scratchPath', at)) {
    if (result === undefined) continue;
    if (typeof result !== 'string' || !result.startsWith('/')) bad(design, 'scratchPath', 'must return an absolute path or undefined');
    return result;
  }
  return chosen;
}

const NONE: Asked = { results: [] };

/** startBuild after the scratch path is chosen. */
export function afterScratchChosen(ctx: Ctx, s: ModelState, a: BuildActor, d: DrvInfo, scratch: string, upstreamDeletes: string | undefined): Asked {
  if (ctx.variant.designs.length === 0) return NONE;
  const at = {
    drv: designDrv(d),
    ...(a.known ? { known: a.known } : {}),
    chosen: scratch,
    sandboxed: usesChroot(ctx, d),
    scratch,
    scratchOnHost: realScratch(ctx, d, scratch),
    ...(upstreamDeletes !== undefined ? { upstreamDeletes } : {}),
    store: storeView(ctx, s),
  };
  return asked('afterScratchChosen', ask(ctx, 'afterScratchChosen', at), ['ops', 'tempRoots', 'deletePath'], upstreamDeletes);
}

/** acquireResources' invalid-output loop. */
export function invalidOutputs(ctx: Ctx, s: ModelState, d: DrvInfo, known: KnownOutput | undefined, upstreamDeletes: string | undefined): Asked {
  if (ctx.variant.designs.length === 0) return NONE;
  const at = { drv: designDrv(d), ...(known ? { known } : {}), ...(upstreamDeletes !== undefined ? { upstreamDeletes } : {}), store: storeView(ctx, s) };
  return asked('invalidOutputs', ask(ctx, 'invalidOutputs', at), ['ops', 'deletePath'], upstreamDeletes);
}

/** registerOutputs' hash rewrite: whether a design restores the copy into a store temp dir. */
export function rewriteInStoreTempDir(ctx: Ctx, d: DrvInfo, scratch: string, finalPath: string): boolean {
  if (ctx.variant.designs.length === 0) return false;
  let inStore = false;
  for (const { design, result } of ask(ctx, 'hashRewrite', { drv: designDrv(d), scratch, finalPath })) {
    if (result !== undefined && result !== 'storeTempDir') bad(design, 'hashRewrite', "must return 'storeTempDir' or undefined");
    if (result === 'storeTempDir') inStore = true;
  }
  return inStore;
}

/** registerOutputs with the final path locked, before the move. */
export function beforeMove(ctx: Ctx, s: ModelState, d: DrvInfo, scratch: string, finalPath: string): Asked {
  if (ctx.variant.designs.length === 0) return NONE;
  const at = { drv: designDrv(d), scratch, scratchOnHost: realScratch(ctx, d, scratch), finalPath, store: storeView(ctx, s) };
  return asked('beforeMove', ask(ctx, 'beforeMove', at), ['ops', 'tempRoots']);
}

/** registerOutputs right after registration. */
export function afterRegister(ctx: Ctx, s: ModelState, d: DrvInfo, finalPath: string): Asked {
  if (ctx.variant.designs.length === 0) return NONE;
  return asked('afterRegister', ask(ctx, 'afterRegister', { drv: designDrv(d), finalPath, store: storeView(ctx, s) }), ['ops']);
}

/** The start of cleanupBuild. */
export function atCleanup(ctx: Ctx, s: ModelState, a: BuildActor, d: DrvInfo, outcome: import('./design.js').CleanupOutcome): Asked {
  if (ctx.variant.designs.length === 0) return NONE;
  const at = {
    drv: designDrv(d),
    outcome,
    ...(a.known ? { known: a.known } : {}),
    ...(a.scratch !== undefined ? { scratch: a.scratch, scratchOnHost: realScratch(ctx, d, a.scratch) } : {}),
    ...(a.uid !== undefined ? { uid: a.uid } : {}),
    keepFailed: ctx.scenario.settings.keepFailed,
    store: storeView(ctx, s),
  };
  return asked('cleanupBuild', ask(ctx, 'cleanupBuild', at), ['ops', 'deletePath']);
}

/** nix store delete's lines for its argument, each design given what the ones before it print. */
export function storeDeleteMessages(ctx: Ctx, command: 'nix store delete' | 'nix-store --delete', path: string, valid: boolean, upstream: readonly string[]): string[] {
  let lines: readonly string[] = upstream;
  for (const design of ctx.variant.designs) {
    const f = design.hooks.storeDeleteMessages;
    if (!f) continue;
    const r: unknown = f({ command, path, valid, lines });
    if (!Array.isArray(r) || !r.every((x) => typeof x === 'string')) bad(design, 'storeDeleteMessages', 'must return an array of strings');
    lines = r;
  }
  return [...lines];
}

/** Whether some design keeps a path the collector would delete. */
export function collectorKeeps(ctx: Ctx, s: ModelState, command: 'nix store gc' | 'nix store delete' | 'nix-store --delete', path: string): boolean {
  if (ctx.variant.designs.length === 0) return false;
  let keep = false;
  for (const { design, result } of ask(ctx, 'collectorKeeps', { command, path, store: storeView(ctx, s) })) {
    if (typeof result !== 'boolean') bad(design, 'collectorKeeps', 'must return true or false');
    keep ||= result;
  }
  return keep;
}
