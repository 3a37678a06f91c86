/**
 * The builder process: /bin/sh running the derivation's commands as the build user, with
 * $out = the scratch path (derivation-builder.cc runChild/setUser, inputRewrites). No `set -e`:
 * like the report's builder it carries on after a failed command, and exits with the status of
 * its last command (2 for a failed redirection, 1 for a failed mkdir/chmod/ln), as dash does.
 */
import type { Creds, FsResult } from '../fs/index.js';
import type { Ctx, DrvInfo } from './context.js';
import { drvOf, resolveLinkTarget, usesChroot } from './context.js';
import { builderView } from './chroot.js';
import { SRC } from './sources.js';
import { slotsOf } from './outputs.js';
import { putActor, withPhase } from './state.js';
import { disabled, next } from './step.js';
import type { BuilderAction, BuilderCall, BuilderCursor, BuildActor, LinkTarget, ModelState, Orphan, Step } from './types.js';

export type ActionResult =
  | { readonly kind: 'ran'; readonly call: BuilderCall; readonly status: number }
  | { readonly kind: 'exit'; readonly code: number };

function join(out: string, rel: string): string {
  return rel === '' ? out : `${out}/${rel}`;
}

function statusOf(r: FsResult<unknown>, failStatus: number): { ok: boolean; status: number; errno?: string } {
  return r.ok ? { ok: true, status: 0 } : { ok: false, status: failStatus, errno: r.error.errno };
}

type FsAction = Exclude<BuilderAction, { op: 'spawn' } | { op: 'loop' }>;

/** The scratch path of `$out`, or of each output by name (a multi-output build). */
export type OutputDirs = string | Readonly<Record<string, string>>;

/** The builder's output variables: the scratch path alone, or every output's of a multi-output build. */
export function outputDirs(scratch: string, scratches?: Readonly<Record<string, string>>): OutputDirs {
  return scratches ?? scratch;
}

/**
 * Runs builder command `i` as `c` with $out = `out`, both as the builder sees them (inside its
 * chroot, if any). Symbolic symlink bodies resolve against `realisations`; one that names a path not
 * known yet (a floating CA output not built) fails as `ln` of an empty name would.
 */
export function runAction(
  ctx: Ctx,
  c: Creds,
  dirs: OutputDirs,
  act: FsAction,
  i: number,
  flags: readonly string[],
  realisations: Readonly<Record<string, string>> = {},
): ActionResult {
  const fs = ctx.fs;
  const call = (r: FsResult<unknown>, failStatus: number): ActionResult => {
    const st = statusOf(r, failStatus);
    const base: BuilderCall = { i, op: act.op, ok: st.ok };
    return { kind: 'ran', call: r.ok ? base : { ...base, errno: r.error.errno }, status: st.status };
  };
  const noTarget: ActionResult = { kind: 'ran', call: { i, op: act.op, ok: false, errno: 'ENOENT' }, status: 1 };
  const link = (t: LinkTarget): string | undefined => resolveLinkTarget(ctx, t, realisations);
  // $out, or the output variable the command names ($dev, ...) of a multi-output build
  const out = typeof dirs === 'string' ? dirs : (dirs['output' in act && act.output !== undefined ? act.output : 'out'] ?? '');
  switch (act.op) {
    case 'mkdirP':
      // plain `mkdir -p` (no -m): the kernel's mkdirP takes the final mode, 0777 less the umask
      return call(fs.mkdirP(c, join(out, act.path), 0o777 & ~c.umask), 1);
    case 'mkdir':
      return call(fs.mkdir(c, join(out, act.path), 0o777), 1);
    case 'writeFile':
      return call(fs.writeFile(c, join(out, act.path), act.content, 0o666), 2);
    case 'symlink': {
      const target = link(act.target);
      return target === undefined ? noTarget : call(fs.symlink(c, target, join(out, act.path)), 1);
    }
    case 'chmod':
      return call(fs.chmod(c, join(out, act.path), parseInt(act.mode, 8)), 1);
    case 'writeIfFlag':
      if (!flags.includes(act.flag)) return { kind: 'ran', call: { i, op: act.op, ok: true }, status: 0 };
      return call(fs.writeFile(c, join(out, act.path), act.content, 0o666), 2);
    case 'exitIfFlag':
      if (!flags.includes(act.flag)) return { kind: 'ran', call: { i, op: act.op, ok: true }, status: 0 };
      return { kind: 'exit', code: act.code };
    case 'exit':
      return { kind: 'exit', code: act.code };
    case 'plant': {
      // the path as the builder names it: in a chroot it is the builder's own chroot store
      const target = drvOf(ctx, act.drv).fallbackPath;
      const made = fs.mkdirP(c, target, 0o777 & ~c.umask);
      if (!made.ok) return call(made, 1);
      if (act.path !== '') {
        const wrote = fs.writeFile(c, join(target, act.path), act.content, 0o666);
        if (!wrote.ok) return call(wrote, 2);
      }
      return call(act.mode === undefined ? made : fs.chmod(c, target, parseInt(act.mode, 8)), 1);
    }
    case 'plantSymlink': {
      const target = link(act.target);
      return target === undefined ? noTarget : call(fs.symlink(c, target, drvOf(ctx, act.drv).fallbackPath), 1);
    }
  }
}

/** What one step of a program did: moved on (maybe with a call to log), or ended with a status. */
type Advance =
  | { readonly kind: 'next'; readonly cursor: BuilderCursor; readonly call?: BuilderCall; readonly note: string }
  | { readonly kind: 'exit'; readonly status: number; readonly call?: BuilderCall; readonly note: string };

/** One command of `program` at `cur`, as `c` with $out = `out`: `spawn` and `loop` move the cursor, the rest run. */
// module-level rather than a closure in advance: tsx and the bundle keep function names, which costs a call per closure made
function onward(program: readonly BuilderAction[], cursor: BuilderCursor, note: string, call?: BuilderCall): Advance {
  return cursor.pc < program.length
    ? { kind: 'next', cursor, note, ...(call ? { call } : {}) }
    : { kind: 'exit', status: cursor.lastStatus, note, ...(call ? { call } : {}) };
}

function advance(ctx: Ctx, c: Creds, out: OutputDirs, program: readonly BuilderAction[], cur: BuilderCursor, s: ModelState): Advance {
  const act = program[cur.pc];
  if (act === undefined) return { kind: 'exit', status: cur.lastStatus, note: 'exit' };
  if (act.op === 'spawn') return onward(program, { ...cur, pc: cur.pc + 1, lastStatus: 0, child: true }, describe(act));
  if (act.op === 'loop') {
    const key = String(cur.pc);
    const taken = cur.loops?.[key] ?? 0;
    if (act.times === undefined) return onward(program, { ...cur, pc: act.to }, describe(act));
    if (taken < act.times) return onward(program, { ...cur, pc: act.to, loops: { ...cur.loops, [key]: taken + 1 } }, `${describe(act)} (${String(taken + 1)}/${String(act.times)})`);
    // done: forget the count, so an enclosing loop starts it afresh
    const { [key]: _done, ...loops } = cur.loops ?? {};
    const { loops: _old, ...rest } = cur;
    return onward(program, { ...rest, pc: cur.pc + 1, ...(Object.keys(loops).length > 0 ? { loops } : {}) }, `${describe(act)}: done`);
  }
  const r = runAction(ctx, c, out, act, cur.pc, s.flags, s.realisations);
  if (r.kind === 'exit') return { kind: 'exit', status: r.code, note: `exit ${String(r.code)}` };
  const note = `${describe(act)}${r.call.ok ? '' : ` -> ${r.call.errno ?? 'error'}`}`;
  return onward(program, { ...cur, pc: cur.pc + 1, lastStatus: r.status }, note, r.call);
}

/** The builder runs as the build user (runChild/setUser), inside its chroot when it has one (enterChroot). */
function builderSource(ctx: Ctx, d: DrvInfo): string {
  return usesChroot(ctx, d) ? `${SRC.runChild}; ${SRC.enterChroot}` : SRC.runChild;
}

export function builderAction(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'building' || a.job) return disabled('builder not running');
  const d = drvOf(ctx, a.drv);
  if (a.uid === undefined || a.scratch === undefined || d.spec.program[a.phase.pc] === undefined) return disabled('builder has finished');
  const { kind: _building, ...cursor } = a.phase;
  const r = advance(ctx, builderView(ctx, d, a.uid), outputDirs(a.scratch, scratchesOf(a)), d.spec.program, cursor, s);
  const calls = r.call ? [...a.calls, r.call] : a.calls;
  const phase = r.kind === 'next' ? { kind: 'building' as const, ...r.cursor } : { kind: 'builderExit' as const, status: r.status };
  return next(putActor(s, { ...withPhase(a, phase), calls }), `builder: ${r.note}`, builderSource(ctx, d));
}

/** A process a crashed build left running as its uid takes its next command (see Orphan). */
export function orphanAction(ctx: Ctx, s: ModelState, o: Orphan): Step {
  const d = drvOf(ctx, o.drv);
  const rest = s.orphans.filter((x) => x.id !== o.id);
  const who = `${o.child ? 'process started by the crashed build' : 'orphaned builder'} (uid ${String(o.uid)})`;
  if (d.spec.program[o.pc] === undefined) return next({ ...s, orphans: rest }, `${who} exits`, SRC.crash);
  const { id: _id, drv: _drv, uid: _uid, scratch: _scratch, scratches, ...cursor } = o;
  const r = advance(ctx, builderView(ctx, d, o.uid), outputDirs(o.scratch, scratches), d.spec.program, cursor, s);
  const keep = { id: o.id, drv: o.drv, uid: o.uid, scratch: o.scratch, ...(scratches ? { scratches } : {}) };
  const orphans = r.kind === 'exit' ? rest : s.orphans.map((x) => (x.id === o.id ? { ...keep, ...r.cursor } : x));
  return next({ ...s, orphans }, `${who}: ${r.note}${r.kind === 'exit' ? ' (exits)' : ''}`, SRC.orphan);
}

/** A multi-output build's scratch path of each output, by name; undefined for a single-output build. */
export function scratchesOf(a: BuildActor): Readonly<Record<string, string>> | undefined {
  if (!a.multi) return undefined;
  return Object.fromEntries(slotsOf(a).flatMap((o) => (o.scratch === undefined ? [] : [[o.name, o.scratch] as const])));
}

function linkText(t: LinkTarget): string {
  return typeof t === 'string' ? t : `<${t.which} path of ${t.drv}>${t.path ? `/${t.path}` : ''}`;
}

export function describe(act: BuilderAction): string {
  switch (act.op) {
    case 'mkdirP':
      return `mkdir -p $${act.output ?? 'out'}${act.path ? `/${act.path}` : ''}`;
    case 'mkdir':
      return `mkdir $${act.output ?? 'out'}${act.path ? `/${act.path}` : ''}`;
    case 'writeFile':
      return `echo … > $${act.output ?? 'out'}/${act.path}`;
    case 'symlink':
      return `ln -s ${linkText(act.target)} $${act.output ?? 'out'}/${act.path}`;
    case 'chmod':
      return `chmod ${act.mode} $${act.output ?? 'out'}/${act.path}`;
    case 'writeIfFlag':
      return `[ -e ${act.flag} ] && echo … > $${act.output ?? 'out'}/${act.path}`;
    case 'exitIfFlag':
      return `[ -e ${act.flag} ] && exit ${String(act.code)}`;
    case 'exit':
      return `exit ${String(act.code)}`;
    case 'plant':
      return `plant ${act.path === '' ? 'a directory' : act.path} at the scratch path of ${act.drv}${act.mode ? ` (mode ${act.mode})` : ''}`;
    case 'plantSymlink':
      return `ln -s ${linkText(act.target)} <scratch path of ${act.drv}>`;
    case 'spawn':
      return 'start a process that runs the rest, and wait for it';
    case 'loop':
      return `loop back to command ${String(act.to)}`;
  }
}
