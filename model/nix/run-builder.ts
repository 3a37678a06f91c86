/**
 * The builder process: /bin/sh running the derivation's commands as the build user, with
 * $out = the scratch path (derivation-builder.cc runChild/setUser, inputRewrites). No `set -e`:
 * like the report's builder it carries on after a failed command, and exits with the status of
 * its last command (2 for a failed redirection, 1 for a failed mkdir/chmod/ln), as dash does.
 */
import type { Creds, FsResult } from '../fs/index.js';
import type { Ctx } from './context.js';
import { builderCreds, drvOf, realScratch } from './context.js';
import { SRC } from './sources.js';
import { putActor, withPhase } from './state.js';
import { disabled, next } from './step.js';
import type { BuilderAction, BuilderCall, BuildActor, ModelState, Orphan, Step } from './types.js';

export type ActionResult =
  | { readonly kind: 'ran'; readonly call: BuilderCall; readonly status: number }
  | { readonly kind: 'exit'; readonly code: number };

function join(out: string, rel: string): string {
  return rel === '' ? out : `${out}/${rel}`;
}

function statusOf(r: FsResult<unknown>, failStatus: number): { ok: boolean; status: number; errno?: string } {
  return r.ok ? { ok: true, status: 0 } : { ok: false, status: failStatus, errno: r.error.errno };
}

/** Runs builder command `i` as `c` with $out = `out`. */
export function runAction(ctx: Ctx, c: Creds, out: string, act: BuilderAction, i: number, flags: readonly string[]): ActionResult {
  const fs = ctx.fs;
  const call = (r: FsResult<unknown>, failStatus: number): ActionResult => {
    const st = statusOf(r, failStatus);
    const base: BuilderCall = { i, op: act.op, ok: st.ok };
    return { kind: 'ran', call: r.ok ? base : { ...base, errno: r.error.errno }, status: st.status };
  };
  switch (act.op) {
    case 'mkdirP':
      // plain `mkdir -p` (no -m): the kernel's mkdirP takes the final mode, 0777 less the umask
      return call(fs.mkdirP(c, join(out, act.path), 0o777 & ~c.umask), 1);
    case 'mkdir':
      return call(fs.mkdir(c, join(out, act.path), 0o777), 1);
    case 'writeFile':
      return call(fs.writeFile(c, join(out, act.path), act.content, 0o666), 2);
    case 'symlink':
      return call(fs.symlink(c, act.target, join(out, act.path)), 1);
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
      const target = realScratch(ctx, drvOf(ctx, act.drv), drvOf(ctx, act.drv).fallbackPath);
      const made = fs.mkdirP(c, target, 0o777 & ~c.umask);
      if (!made.ok) return call(made, 1);
      return call(fs.writeFile(c, join(target, act.path), act.content, 0o666), 2);
    }
    case 'plantSymlink': {
      const target = realScratch(ctx, drvOf(ctx, act.drv), drvOf(ctx, act.drv).fallbackPath);
      return call(fs.symlink(c, act.target, target), 1);
    }
  }
}

export function builderAction(ctx: Ctx, s: ModelState, a: BuildActor): Step {
  if (a.phase.kind !== 'building' || a.job) return disabled('builder not running');
  const d = drvOf(ctx, a.drv);
  const program = d.spec.program;
  const act = program[a.phase.pc];
  if (act === undefined || a.uid === undefined || a.scratch === undefined) return disabled('builder has finished');
  const r = runAction(ctx, builderCreds(a.uid), realScratch(ctx, d, a.scratch), act, a.phase.pc, s.flags);
  if (r.kind === 'exit') {
    return next(putActor(s, withPhase(a, { kind: 'builderExit', status: r.code })), `builder: exit ${String(r.code)}`, SRC.runChild);
  }
  const pc = a.phase.pc + 1;
  const phase = pc < program.length ? { kind: 'building' as const, pc, lastStatus: r.status } : { kind: 'builderExit' as const, status: r.status };
  const note = `builder: ${describe(act)}${r.call.ok ? '' : ` -> ${r.call.errno ?? 'error'}`}`;
  return next(putActor(s, { ...withPhase(a, phase), calls: [...a.calls, r.call] }), note, SRC.runChild);
}

/** A darwin builder whose daemon worker crashed keeps running as its uid (no PDEATHSIG on macOS). */
export function orphanAction(ctx: Ctx, s: ModelState, o: Orphan): Step {
  const d = drvOf(ctx, o.drv);
  const act = d.spec.program[o.pc];
  const rest = s.orphans.filter((x) => x.id !== o.id);
  if (act === undefined) return next({ ...s, orphans: rest }, `orphaned builder exits`, SRC.crash);
  const r = runAction(ctx, builderCreds(o.uid), realScratch(ctx, d, o.scratch), act, o.pc, s.flags);
  const done = r.kind === 'exit' || o.pc + 1 >= d.spec.program.length;
  const orphans = done ? rest : s.orphans.map((x) => (x.id === o.id ? { ...x, pc: x.pc + 1 } : x));
  const result = r.kind === 'exit' ? `exit ${String(r.code)}` : r.call.ok ? 'ok' : (r.call.errno ?? 'error');
  return next({ ...s, orphans }, `orphaned builder (uid ${String(o.uid)}): ${describe(act)} -> ${result}`, SRC.crash);
}

export function describe(act: BuilderAction): string {
  switch (act.op) {
    case 'mkdirP':
      return `mkdir -p $out${act.path ? `/${act.path}` : ''}`;
    case 'mkdir':
      return `mkdir $out${act.path ? `/${act.path}` : ''}`;
    case 'writeFile':
      return `echo … > $out/${act.path}`;
    case 'symlink':
      return `ln -s ${act.target} $out/${act.path}`;
    case 'chmod':
      return `chmod ${act.mode} $out/${act.path}`;
    case 'writeIfFlag':
      return `[ -e ${act.flag} ] && echo … > $out/${act.path}`;
    case 'exitIfFlag':
      return `[ -e ${act.flag} ] && exit ${String(act.code)}`;
    case 'exit':
      return `exit ${String(act.code)}`;
    case 'plant':
      return `plant ${act.path} at the scratch path of ${act.drv}`;
    case 'plantSymlink':
      return `ln -s ${act.target} <scratch path of ${act.drv}>`;
  }
}
