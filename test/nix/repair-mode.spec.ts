/**
 * --repair (bmRepair) as read in NixOS/nix 2.34.8: which outputs it rebuilds, where, and how the
 * result replaces the valid path. Each expectation names the upstream lines it follows.
 */
import { describe, expect, it } from 'vitest';
import type { ActorSpec, DerivationSpec, Scenario, Settings } from '../../model/nix/index.js';
import { drvOf, narText } from '../../model/nix/index.js';
import { makeFallbackPathOf } from '../../model/nix/store-path.js';
import { DARWIN, GODYN } from '../../sim/scenarios/common.js';
import { build, outcome, run, traceOf } from './helpers.js';

const LINUX = { ...DARWIN, platform: 'linux' } as const;
/** ca-derivations off: no realisations, so an input-addressed output is hashed under --repair. */
const NO_CA = { ...LINUX, caDerivations: false } as const;
const IA = { id: 'ia', name: 'ia', kind: 'input-addressed', program: GODYN } as const;
const CA = { id: 'ca', name: 'ca', kind: 'ca-floating', program: GODYN } as const;

/** Build once, optionally corrupt the output, then `--repair` it (optionally interrupted at its nth builder action). */
function repairAfterBuild(drv: DerivationSpec, opts: { corrupt?: boolean; interruptAt?: number; settings?: Settings; extra?: ActorSpec[] } = {}): Scenario {
  const corrupt = opts.corrupt ?? true;
  return {
    name: `repair-${drv.id}`,
    doc: 'test',
    settings: opts.settings ?? (drv.kind === 'input-addressed' ? NO_CA : LINUX),
    derivations: [drv],
    actors: [
      { id: 'a1', kind: 'build', drv: drv.id },
      ...(corrupt ? [{ id: 'damage', kind: 'corrupt', target: { drv: drv.id, which: 'final' }, after: ['a1'] } as const] : []),
      {
        id: 'r1',
        kind: 'build',
        drv: drv.id,
        mode: 'repair',
        after: [corrupt ? 'damage' : 'a1'],
        ...(opts.interruptAt === undefined ? {} : { fault: { kind: 'interrupt', before: 'builderAction', nth: opts.interruptAt } as const }),
      },
      ...(opts.extra ?? []),
    ],
  };
}

function outPath(r: ReturnType<typeof run>, id: string): string {
  const p = build(r, id).phase;
  return p.kind === 'done' && p.outcome.kind === 'success' ? p.outcome.path : '';
}

function skipped(r: ReturnType<typeof run>, id: string): boolean | undefined {
  const p = build(r, id).phase;
  return p.kind === 'done' && p.outcome.kind === 'success' ? p.outcome.skipped : undefined;
}

describe('--repair of an input-addressed output, ca-derivations on (the default)', () => {
  it('the build recorded a realisation (derivation-builder.cc l.1992-1994), so a corrupt output counts as valid unhashed (l.1281-1284) and nothing is rebuilt', () => {
    const r = run(repairAfterBuild(IA, { settings: LINUX }));
    const t = traceOf(r);
    const out = outPath(r, 'a1');
    expect(r.world.state.realisations[`${drvOf(r.world.ctx, 'ia').drvPath}!out`], t).toBe(out);
    expect(build(r, 'r1').known, t).toEqual({ path: out, status: 'valid' });
    expect(skipped(r, 'r1'), t).toBe(true);
    expect(narText(r.world.ctx.fs, out), t).toContain('corrupted');
  });

  it('without ca-derivations no realisation is recorded', () => {
    const r = run(repairAfterBuild(IA));
    expect(Object.keys(r.world.state.realisations), traceOf(r)).toEqual([]);
  });
});

describe('--repair of an input-addressed output, ca-derivations off', () => {
  it('an intact valid output: its contents hash to the registration, nothing is rebuilt (derivation-goal.cc l.152, acquireResources l.425)', () => {
    const r = run(repairAfterBuild(IA, { corrupt: false }));
    const t = traceOf(r);
    expect(outcome(r, 'r1'), t).toBe('success');
    expect(skipped(r, 'r1'), t).toBe(true);
    expect(build(r, 'r1').known?.status, t).toBe('valid');
    expect(build(r, 'r1').scratch, t).toBeUndefined();
  });

  it('a corrupt one (checkPathValidity l.1274-1276) is deleted on disk while still valid (l.437-441), rebuilt at makeFallbackPath(outPath) (l.797) and moved into place (replaceValidPath, l.1857)', () => {
    const r = run(repairAfterBuild(IA));
    const t = traceOf(r);
    const out = outPath(r, 'a1');
    const r1 = build(r, 'r1');
    expect(r1.known, t).toEqual({ path: out, status: 'corrupt' });
    // the corrupt copy goes before any build user is taken, and the path stays registered valid meanwhile
    const removal = r.steps.findIndex((s) => s.event.actor === 'r1' && s.note.includes(`removing invalid path '${out}'`));
    expect(removal, t).toBeGreaterThan(-1);
    const gone = r.steps.findIndex((s, i) => i >= removal && s.event.actor === 'r1' && !s.after.some((e) => e.path === out));
    expect(gone, t).toBeGreaterThan(-1);
    expect(r.steps.findIndex((s) => s.event.actor === 'r1' && s.event.type === 'acquireUser'), t).toBeGreaterThan(gone);
    expect(r1.scratch, t).toBe(makeFallbackPathOf(drvOf(r.world.ctx, 'ia').drvPath, out));
    expect(r1.redirected, t).toBe(true);
    expect(outcome(r, 'r1'), t).toBe('success');
    expect(skipped(r, 'r1'), t).toBe(false);
    // repaired: the contents are a clean build's again, registered, and the fallback path is gone (cleanupBuild(true), l.2004-2008)
    expect(narText(r.world.ctx.fs, out), t).toBe(narText(run({ ...repairAfterBuild(IA, { corrupt: false }), actors: [{ id: 'a1', kind: 'build', drv: 'ia' }] }).world.ctx.fs, out));
    expect(narText(r.world.ctx.fs, out), t).not.toContain('corrupted');
    expect(r.world.state.valid[out]?.content, t).toBe(narText(r.world.ctx.fs, out));
    expect(r.world.state.corrupted ?? [], t).toEqual([]);
    expect(r.world.ctx.fs.lstat(r.world.ctx.daemon, r1.scratch ?? '').ok, t).toBe(false);
    // the store path was already deleted, so replaceValidPath has nothing to move aside (l.637)
    expect(r.steps.some((s) => s.event.actor === 'r1' && s.note.includes('is not present: nothing to move aside')), t).toBe(true);
  });

  it('interrupted while building: the path stays registered valid but missing, and the fallback path stays (cleanupBuild(false) deletes no redirected output)', () => {
    const r = run(repairAfterBuild(IA, { interruptAt: 1 }));
    const t = traceOf(r);
    const out = outPath(r, 'a1');
    expect(outcome(r, 'r1'), t).toBe('interrupted');
    expect(r.world.state.valid[out], t).toBeDefined();
    expect(r.world.ctx.fs.lstat(r.world.ctx.daemon, out).ok, t).toBe(false);
    expect(r.world.ctx.fs.lstat(r.world.ctx.daemon, build(r, 'r1').scratch ?? '').ok, t).toBe(true);
  });

  it('a repair after the interrupted one finds the missing path corrupt (pathContentsGood of a missing path is false) and repairs it', () => {
    const r = run(repairAfterBuild(IA, { interruptAt: 1, extra: [{ id: 'r2', kind: 'build', drv: 'ia', mode: 'repair', after: ['r1'] }] }));
    const t = traceOf(r);
    const out = outPath(r, 'a1');
    expect(build(r, 'r2').known?.status, t).toBe('corrupt');
    expect(outcome(r, 'r2'), t).toBe('success');
    expect(r.world.state.valid[out]?.content, t).toBe(narText(r.world.ctx.fs, out));
    expect(r.steps.some((x) => x.event.actor === 'r2' && x.note.includes(`ensure scratch path is ours: deletePath '${build(r, 'r1').scratch ?? ''}'`)), t).toBe(true);
  });

  it('a normal build of the corrupt output skips it: without --repair nothing is hashed (checkHash is false, l.1261)', () => {
    const s = repairAfterBuild(IA);
    const r = run({ ...s, actors: s.actors.map((a) => (a.id === 'r1' ? { id: 'r1', kind: 'build', drv: 'ia', after: ['damage'] } : a)) });
    const t = traceOf(r);
    expect(skipped(r, 'r1'), t).toBe(true);
    expect(narText(r.world.ctx.fs, outPath(r, 'a1')), t).toContain('corrupted');
  });

  it('with a chroot it builds at the output path inside the chroot and replaces the store path with it', () => {
    const r = run(repairAfterBuild(IA, { settings: { ...NO_CA, sandbox: true } }));
    const t = traceOf(r);
    const out = outPath(r, 'a1');
    expect(build(r, 'r1').scratch, t).toBe(out);
    expect(build(r, 'r1').redirected, t).toBeUndefined();
    expect(outcome(r, 'r1'), t).toBe('success');
    expect(narText(r.world.ctx.fs, out), t).not.toContain('corrupted');
    expect(r.steps.some((s) => s.event.actor === 'r1' && s.note.startsWith('--repair: replaceValidPath')), t).toBe(true);
  });

  it('an output that is not valid is built as a normal build would, at its own path (l.784-790)', () => {
    const r = run({ name: 'repair-absent', doc: 'test', settings: NO_CA, derivations: [IA], actors: [{ id: 'r1', kind: 'build', drv: 'ia', mode: 'repair' }] });
    const t = traceOf(r);
    expect(build(r, 'r1').known?.status, t).toBe('absent');
    expect(build(r, 'r1').scratch, t).toBe(build(r, 'r1').known?.path);
    expect(outcome(r, 'r1'), t).toBe('success');
    expect(skipped(r, 'r1'), t).toBe(false);
  });
});

describe('--repair of a floating CA output', () => {
  it('with a realisation, the output counts as valid without a hash check (l.1281-1284): a corrupt output is not rebuilt and the repair reports success', () => {
    const r = run(repairAfterBuild(CA));
    const t = traceOf(r);
    const out = outPath(r, 'a1');
    expect(build(r, 'r1').known, t).toEqual({ path: out, status: 'valid' });
    expect(outcome(r, 'r1'), t).toBe('success');
    expect(skipped(r, 'r1'), t).toBe(true);
    expect(build(r, 'r1').scratch, t).toBeUndefined();
    expect(narText(r.world.ctx.fs, out), t).toContain('corrupted');
    expect(r.world.state.valid[out]?.content, t).not.toBe(narText(r.world.ctx.fs, out));
  });

  it('without a realisation it builds at makeFallbackPath(outputName) and replaceValidPath moves the result to its final path', () => {
    const r = run({ name: 'repair-ca-new', doc: 'test', settings: LINUX, derivations: [CA], actors: [{ id: 'r1', kind: 'build', drv: 'ca', mode: 'repair' }] });
    const t = traceOf(r);
    expect(build(r, 'r1').scratch, t).toBe(drvOf(r.world.ctx, 'ca').fallbackPath);
    expect(outcome(r, 'r1'), t).toBe('success');
    expect(r.steps.some((s) => s.event.actor === 'r1' && s.note.startsWith('--repair: replaceValidPath')), t).toBe(true);
    const out = outPath(r, 'r1');
    expect(r.world.state.valid[out]?.content, t).toBe(narText(r.world.ctx.fs, out));
  });

  it('without a realisation but with its final path valid (another derivation made the same content), replaceValidPath moves that path to a name below itself (makeTempPath(storePath, ".old"), file-system.cc l.612-619), which rename(2) refuses with EINVAL', () => {
    const twin: DerivationSpec = { ...CA, id: 'twin', program: [...GODYN, { op: 'exitIfFlag', flag: 'never-set', code: 1 }] };
    const s: Scenario = {
      name: 'repair-ca-twin',
      doc: 'test',
      settings: LINUX,
      derivations: [CA, twin],
      actors: [
        { id: 'a1', kind: 'build', drv: 'ca' },
        { id: 'r1', kind: 'build', drv: 'twin', mode: 'repair', after: ['a1'] },
      ],
    };
    const r = run(s);
    const t = traceOf(r);
    const final = outPath(r, 'a1');
    expect(drvOf(r.world.ctx, 'twin').drvPath, t).not.toBe(drvOf(r.world.ctx, 'ca').drvPath);
    expect(build(r, 'r1').known, t).toBeUndefined();
    const p = build(r, 'r1').phase;
    expect(p.kind === 'done' && p.outcome.kind === 'failure' ? p.outcome.message : p.kind, t).toMatch(new RegExp(`renaming '${final}' to '${final}/\\.old-[0-9]+': EINVAL`));
    // the valid path is untouched, and the new copy stays at the scratch path
    expect(r.world.state.valid[final]?.content, t).toBe(narText(r.world.ctx.fs, final));
    // a normal build of the twin finds the final path valid and deletes its own copy instead (l.1861-1866)
    const normal = run({ ...s, actors: s.actors.map((a) => (a.id === 'r1' ? { id: 'r1', kind: 'build', drv: 'twin', after: ['a1'] } : a)) });
    expect(outcome(normal, 'r1'), traceOf(normal)).toBe('success');
    expect(outPath(normal, 'r1'), traceOf(normal)).toBe(final);
  });
});
