import { describe, expect, it } from 'vitest';
import type { DerivationSpec, Scenario, Settings } from '../../model/nix/index.js';
import { drvOf, hashPartOf, narText } from '../../model/nix/index.js';
import { makeFallbackPathOf } from '../../model/nix/store-path.js';
import { checkInterruptedThenDelete } from '../../sim/scenarios/builtin.js';
import { DARWIN, GODYN } from '../../sim/scenarios/common.js';
import { build, outcome, run, traceOf } from './helpers.js';

const LINUX = { ...DARWIN, platform: 'linux' } as const;
const IA = { id: 'ia', name: 'ia', kind: 'input-addressed', program: GODYN } as const;
const CA = { id: 'ca', name: 'ca', kind: 'ca-floating', program: GODYN } as const;

/** Build once, then `--check` it, optionally interrupted at the check's nth builder action. */
function checkAfterBuild(drv: DerivationSpec, interruptAt?: number, settings: Settings = LINUX, flag?: string): Scenario {
  return {
    name: `check-${drv.id}`,
    doc: 'test',
    settings,
    derivations: [drv],
    actors: [
      { id: 'a1', kind: 'build', drv: drv.id },
      ...(flag === undefined ? [] : [{ id: 'flag', kind: 'setFlag', flag, after: ['a1'] } as const]),
      {
        id: 'c1',
        kind: 'build',
        drv: drv.id,
        mode: 'check',
        after: [flag === undefined ? 'a1' : 'flag'],
        ...(interruptAt === undefined ? {} : { fault: { kind: 'interrupt', before: 'builderAction', nth: interruptAt } as const }),
      },
    ],
  };
}

function successPath(r: ReturnType<typeof run>, id: string): string {
  const p = build(r, id).phase;
  return p.kind === 'done' && p.outcome.kind === 'success' ? p.outcome.path : '';
}

describe('--check (bmCheck) of a valid output', () => {
  it('builds an input-addressed output again at makeFallbackPath(outPath), registers nothing and deletes that path on success', () => {
    const r = run(checkAfterBuild(IA));
    const t = traceOf(r);
    const out = successPath(r, 'a1');
    const c1 = build(r, 'c1');
    expect(c1.scratch, t).toBe(makeFallbackPathOf(drvOf(r.world.ctx, 'ia').drvPath, out));
    expect(c1.redirected, t).toBe(true);
    expect(outcome(r, 'c1'), t).toBe('success');
    expect(successPath(r, 'c1'), t).toBe(out);
    const p = c1.phase;
    expect(p.kind === 'done' && p.outcome.kind === 'success' && p.outcome.skipped, t).toBe(false);
    expect(Object.keys(r.world.state.valid), t).toEqual([out]);
    expect(r.world.ctx.fs.lstat(r.world.ctx.daemon, c1.scratch ?? '').ok, t).toBe(false);
    expect(r.steps.some((s) => s.event.actor === 'c1' && s.note.startsWith('--check: ') && s.note.includes('matches the valid')), t).toBe(true);
  });

  it('leaves the redirected output behind when interrupted, and the next --check deletes it first ("Ensure scratch path is ours")', () => {
    const s = checkAfterBuild(IA, 2);
    const interrupted = run(s);
    const scratch = build(interrupted, 'c1').scratch ?? '';
    expect(outcome(interrupted, 'c1'), traceOf(interrupted)).toBe('interrupted');
    expect(interrupted.world.ctx.fs.lstat(interrupted.world.ctx.daemon, scratch).ok, traceOf(interrupted)).toBe(true);

    const again = run({ ...s, actors: [...s.actors, { id: 'c2', kind: 'build', drv: 'ia', mode: 'check', after: ['c1'] }] });
    const t = traceOf(again);
    expect(outcome(again, 'c2'), t).toBe('success');
    expect(again.steps.some((x) => x.event.actor === 'c2' && x.note.includes(`ensure scratch path is ours: deletePath '${scratch}'`)), t).toBe(true);
  });

  it('checks a floating CA output against its realisation, building at makeFallbackPath(realised path)', () => {
    const r = run(checkAfterBuild(CA));
    const t = traceOf(r);
    const out = successPath(r, 'a1');
    expect(build(r, 'c1').scratch, t).toBe(makeFallbackPathOf(drvOf(r.world.ctx, 'ca').drvPath, out));
    expect(outcome(r, 'c1'), t).toBe('success');
    expect(narText(r.world.ctx.fs, out), t).toBe(r.world.state.valid[out]?.content);
  });

  it('fails with NotDeterministic when the rebuilt output differs, and keep-failed moves it to <path>.check', () => {
    const drv: DerivationSpec = { ...IA, program: [...GODYN, { op: 'writeIfFlag', flag: 'differ', path: 'extra', content: 'x' }] };
    const r = run(checkAfterBuild(drv, undefined, { ...LINUX, keepFailed: true }, 'differ'));
    const t = traceOf(r);
    const p = build(r, 'c1').phase;
    expect(p.kind === 'done' && p.outcome.kind === 'failure' ? p.outcome.failure : p.kind, t).toBe('notDeterministic');
    const out = successPath(r, 'a1');
    expect(narText(r.world.ctx.fs, `${out}.check`), t).toContain('extra');
    expect(narText(r.world.ctx.fs, out), t).not.toContain('extra');
  });

  it('with a chroot builds at the output path inside the chroot, which the chroot deletion removes', () => {
    const r = run(checkAfterBuild(IA, undefined, { ...LINUX, sandbox: true }));
    const t = traceOf(r);
    expect(build(r, 'c1').scratch, t).toBe(successPath(r, 'a1'));
    expect(build(r, 'c1').redirected, t).toBeUndefined();
    expect(outcome(r, 'c1'), t).toBe('success');
  });
});

describe('which scratch paths are roots', () => {
  it('temp-root-scratch roots the hash-rewrite fallback path of a --check, not only floating scratch paths', () => {
    const r = run(checkAfterBuild(IA, 2), 'temp-root-scratch');
    const c1 = build(r, 'c1');
    const rooted = r.steps.find((s) => s.event.actor === 'c1' && s.note.includes('addTempRoot(scratch)'));
    expect(rooted, traceOf(r)).toBeDefined();
    expect(c1.scratch).not.toBe(successPath(r, 'a1'));
    expect(hashPartOf(c1.scratch ?? '')).not.toBe(hashPartOf(successPath(r, 'a1')));
  });
});

describe('NixOS/nix#16465 (floating-ca-same-scratch-path)', () => {
  it('builds a --check of a floating output at the first build scratch path, makeFallbackPath(outputName)', () => {
    const r = run(checkAfterBuild(CA), 'floating-ca-same-scratch-path');
    const t = traceOf(r);
    expect(build(r, 'c1').scratch, t).toBe(drvOf(r.world.ctx, 'ca').fallbackPath);
    expect(build(r, 'c1').scratch, t).toBe(build(r, 'a1').scratch);
    expect(outcome(r, 'c1'), t).toBe('success');
  });

  it('upstream: the rebuild after an interrupted --check and a delete does not meet the leftover', () => {
    const r = run(checkInterruptedThenDelete);
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
    expect(build(r, 'a2').scratch).not.toBe(build(r, 'c1').scratch);
  });

  it('alone, the same rebuild meets the --check leftover as another build user and fails EACCES', () => {
    const r = run(checkInterruptedThenDelete, 'floating-ca-same-scratch-path');
    const t = traceOf(r);
    expect(build(r, 'a2').scratch, t).toBe(build(r, 'c1').scratch);
    expect(build(r, 'a2').uid, t).not.toBe(build(r, 'c1').uid);
    expect(outcome(r, 'a2'), t).toBe('failure');
    expect(build(r, 'a2').calls.filter((c) => !c.ok).map((c) => c.errno), t).toContain('EACCES');
  });

  it('with prepare-deletes-stale-scratch on top, the rebuild deletes the leftover first and succeeds', () => {
    const r = run(checkInterruptedThenDelete, 'floating-ca-same-scratch-path+prepare-deletes-stale-scratch');
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
  });
});
