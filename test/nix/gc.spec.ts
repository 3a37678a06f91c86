/**
 * nix store gc beside builds (gc.cc gcDeleteDead): temp roots by hash part keep what a goal is
 * using, `tmp-…` store dirs go unless a build still holds them, names that are not store paths stay.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { initialWorld, parseVariant, runToQuiescence, STORE_DIR } from '../../model/nix/index.js';
import { DARWIN, GODYN } from '../../sim/scenarios/common.js';
import { build, outcome, run, scratchOf, traceOf } from './helpers.js';

const LINUX = { ...DARWIN, platform: 'linux' } as const;

function deletedBy(r: ReturnType<typeof run>, id: string): readonly string[] {
  const gc = r.world.state.actors.find((a) => a.id === id);
  if (gc?.kind !== 'gc') throw new Error(`no gc actor ${id}`);
  return gc.deleted;
}

describe('GC running beside an input-addressed build', () => {
  const ia: Scenario = {
    name: 'gc-beside-ia',
    doc: '',
    settings: LINUX,
    derivations: [{ id: 'ia', name: 'ia', kind: 'input-addressed', program: GODYN }],
    actors: [
      { id: 'a1', kind: 'build', drv: 'ia' },
      { id: 'gc', kind: 'gc', during: { actor: 'a1', before: 'builderAction', nth: 2 } },
    ],
  };

  it('should leave the known output alone: the goal holds it as a temp root, and the build succeeds', () => {
    const r = run(ia);
    const t = traceOf(r);
    const out = scratchOf(r, 'ia');
    expect(r.steps.some((s) => s.event.type === 'gcStep'), t).toBe(true);
    expect(deletedBy(r, 'gc'), t).not.toContain(out);
    expect(outcome(r, 'a1'), t).toBe('success');
    expect(build(r, 'a1').calls.every((c) => c.ok), t).toBe(true);
    expect(r.world.state.valid[out], t).toBeDefined();
  });
});

describe('GC and store temp dirs (tmp-…)', () => {
  const gcOnly: Scenario = { name: 'gc-only', doc: '', settings: LINUX, derivations: [], actors: [{ id: 'gc', kind: 'gc' }] };

  it('should delete an unlocked tmp- dir, and an entry whose name is not a store path as garbage (gc.cc l.736)', () => {
    const v = parseVariant('upstream');
    if (!v.ok) throw new Error('upstream');
    const w = initialWorld(gcOnly, v.variant);
    const fs = w.ctx.fs;
    expect(fs.mkdir(w.ctx.daemon, `${STORE_DIR}/tmp-7`, 0o700).ok).toBe(true);
    expect(fs.writeFile(w.ctx.daemon, `${STORE_DIR}/tmp-7/x`, 'half a copy').ok).toBe(true);
    expect(fs.mkdir(w.ctx.daemon, `${STORE_DIR}/not-a-store-path`, 0o755).ok).toBe(true);
    expect(runToQuiescence(w)).toBe(true);
    const left = fs.readdir(w.ctx.daemon, STORE_DIR);
    expect(left.ok && left.value).toEqual([]);
  });

  it('should not delete the tmp- dir a build is still rewriting into (rewrite-in-store-temp-dir)', () => {
    const base: Scenario = {
      name: 'gc-during-rewrite',
      doc: '',
      settings: LINUX,
      derivations: [{ id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN }],
      actors: [{ id: 'a1', kind: 'build', drv: 'godyn' }],
    };
    // place GC between the copy into tmp-N and the move out of it, wherever that falls in registerOutputs
    const alone = run(base, 'rewrite-in-store-temp-dir');
    const regs = alone.steps.filter((s) => s.event.type === 'registerOutputs');
    const move = regs.findIndex((s) => /^movePath .*\/tmp-\d+\/x ->/.test(s.note));
    expect(move, traceOf(alone)).toBeGreaterThan(0);
    const during: Scenario = { ...base, actors: [...base.actors, { id: 'gc', kind: 'gc', during: { actor: 'a1', before: 'registerOutputs', nth: move } }] };
    const r = run(during, 'rewrite-in-store-temp-dir');
    const t = traceOf(r);
    expect(deletedBy(r, 'gc').filter((p) => p.includes('/tmp-')), t).toEqual([]);
    expect(outcome(r, 'a1'), t).toBe('success');
  });
});
