import { describe, expect, it } from 'vitest';
import type { Scenario, World } from '../../model/nix/index.js';
import { apply, enabledEvents, parseVariant, STORE_DIR } from '../../model/nix/index.js';
import { explore } from '../../model/verify/index.js';
import { deleteRacesRebuild } from '../../sim/scenarios/builtin.js';
import { DARWIN } from '../../sim/scenarios/common.js';
import { runAlone, take, world } from './stepping.js';

const enabledFor = (w: World, id: string): string[] => enabledEvents(w.ctx, w.state).filter((e) => e.actor === id).map((e) => e.type);

describe('nix-store --delete goes through the collector (gc.cc gcDeleteSpecific, l.698)', () => {
  it('a rebuild waits to add its temp root while the delete is deleting its output (pending, l.488-491)', () => {
    const w = world(deleteRacesRebuild);
    runAlone(w, 'b1');
    take(w, { type: 'storeDelete', actor: 'del' });
    expect(enabledFor(w, 'b2')).toEqual([]);
    const r = apply(w, { type: 'start', actor: 'b2' });
    expect(r.ok ? 'enabled' : r.reason).toMatch(/addTempRoot waits: the collector is deleting/);
    runAlone(w, 'del');
    expect(enabledFor(w, 'b2')).toEqual(['start']);
  });

  it('once the rebuild holds its temp root, the delete finds the path alive (l.642-644)', () => {
    const w = world(deleteRacesRebuild);
    runAlone(w, 'b1');
    take(w, { type: 'start', actor: 'b2' });
    take(w, { type: 'storeDelete', actor: 'del' });
    const del = w.state.actors.find((a) => a.id === 'del');
    expect(del?.kind === 'storeDelete' && del.result?.output.join('\n')).toMatch(/since it is still alive/);
    expect(del?.kind === 'storeDelete' && del.result?.exitOk).toBe(false);
  });

  it('upstream: no interleaving of the delete and the rebuild breaks an invariant', () => {
    const v = parseVariant('upstream');
    if (!v.ok) throw new Error('upstream');
    const r = explore(deleteRacesRebuild, { variant: v.variant, faults: [], maxFaults: 0, maxDepth: 200, maxStates: 50_000 });
    expect(r.complete).toBe(true);
    expect(r.counterexamples.map((c) => `${c.invariant}: ${c.message}`)).toEqual([]);
  });
});

describe('nix store gc (gcDeleteDead, l.717-737)', () => {
  const gcOnly: Scenario = { name: 'gc-only', doc: 'nix store gc alone', settings: { ...DARWIN, platform: 'linux' }, derivations: [], actors: [{ id: 'gc', kind: 'gc' }] };
  const junk = `${STORE_DIR}/0123456789abcdfghijklmnpqrsvwxyz-junk`;

  it('deletes a store entry whose name is not a store path, as garbage (deleteFromStore(name, false), l.736)', () => {
    const w = world(gcOnly);
    w.ctx.fs.mkdir(w.ctx.daemon, `${STORE_DIR}/not a store path`, 0o755);
    runAlone(w, 'gc');
    expect(w.ctx.fs.lstat(w.ctx.daemon, `${STORE_DIR}/not a store path`).ok).toBe(false);
  });

  it('stops at a deletion error: deleteStorePath rethrows it (local-store.cc l.416) and later entries stay', () => {
    const w = world(gcOnly);
    const fs = w.ctx.fs;
    fs.mkdir(w.ctx.daemon, junk, 0o755);
    fs.writeFile(w.ctx.daemon, `${junk}/f`, 'x', 0o644);
    fs.mkdir(w.ctx.daemon, `${STORE_DIR}/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-later`, 0o755);
    take(w, { type: 'gcStep', actor: 'gc' }); // pending, invalidated, deletion starts
    take(w, { type: 'gcStep', actor: 'gc' }); // unlink f
    fs.writeFile(w.ctx.daemon, `${junk}/late`, 'x', 0o644); // appears after the collector listed the dir
    runAlone(w, 'gc');
    const gc = w.state.actors.find((a) => a.id === 'gc');
    expect(gc?.kind === 'gc' && gc.error).toMatch(/ENOTEMPTY/);
    expect(fs.lstat(w.ctx.daemon, `${STORE_DIR}/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-later`).ok).toBe(true);
  });
});
