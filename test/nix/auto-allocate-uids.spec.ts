/**
 * auto-allocate-uids (user-lock.cc AutoUserLock::acquire, l.161): slot i is uid
 * 872415232 + 65536 i (l.191), taken first-free (l.180); its group is build-users-group's outside a
 * sandbox (l.202-206) and the uid itself inside one (useUserNamespace, l.200-201).
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { parseVariant } from '../../model/nix/index.js';
import { explore } from '../../model/verify/index.js';
import { parseScenario } from '../../sim/scenario-schema.js';
import { autoAllocateUids, autoAllocateUidsSandbox, seed487 } from '../../sim/scenarios/builtin.js';
import { build, outcome, run, scratchOf, traceOf } from './helpers.js';

const SLOT0 = 872415232;
const SLOT1 = SLOT0 + 65536;
const NIXBLD = 30000;

function cell(s: Scenario, variant: string) {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(variant);
  // fault targets come from the scenario's explore block (a1 only)
  return explore(s, { variant: v.variant, faults: ['interrupt', 'crash', 'builderFailure'], maxFaults: 1, maxDepth: 200, maxStates: 20_000 });
}

describe('auto-allocate-uids without a sandbox', () => {
  it('runs the first attempt as slot 0 and the retry, while slot 0 is held, as slot 1: uids with no name, group nixbld', () => {
    const r = run(autoAllocateUids);
    expect(build(r, 'a1').uid, traceOf(r)).toBe(SLOT0);
    expect(build(r, 'a2').uid, traceOf(r)).toBe(SLOT1);
    const calls = r.steps.flatMap((st) => st.syscalls);
    const byUid = (uid: number) => calls.filter((c) => c.creds.uid === uid);
    expect(new Set(byUid(SLOT0).map((c) => c.creds.gid))).toEqual(new Set([NIXBLD]));
    // slot 0 made the scratch dir in /nix/store itself; slot 1's writes into it are refused
    expect(byUid(SLOT0).some((c) => c.syscall === 'mkdirP' && c.args[0] === scratchOf(r, 'godyn') && c.result?.ok === true)).toBe(true);
    expect(byUid(SLOT1).filter((c) => c.syscall === 'writeFile').map((c) => (c.result?.ok === false ? c.result.errno : 'ok'))).toContain('EACCES');
  });

  it('wedges the retry exactly as named build users do (the seed schedule on darwin)', () => {
    const auto = run(autoAllocateUids);
    const named = run(seed487);
    expect(outcome(auto, 'a2'), traceOf(auto)).toBe('failure');
    const p = build(auto, 'a2').phase;
    expect(p.kind === 'done' && p.outcome.kind === 'failure' ? p.outcome.message : '').toContain('builder');
    expect(['a1', 'a2', 'a3'].map((id) => outcome(auto, id))).toEqual(['a1', 'a2', 'a3'].map((id) => outcome(named, id)));
  });

  it('upstream: NoWedge is violated; the series holds every invariant', () => {
    const up = cell(autoAllocateUids, 'upstream');
    expect(up.limit).toBeNull();
    expect(up.counterexamples.map((c) => c.invariant)).toContain('NoWedge');
    const fixed = cell(autoAllocateUids, 'recommended');
    expect(fixed.limit).toBeNull();
    expect(fixed.counterexamples).toEqual([]);
  });
});

describe('auto-allocate-uids in a sandbox', () => {
  it('gives the chroot and its store to root:<the uid> and runs the builder in that group', () => {
    const r = run(autoAllocateUidsSandbox);
    expect(outcome(r, 'a2'), traceOf(r)).toBe('success');
    const builderCalls = r.steps.flatMap((s) => s.syscalls).filter((c) => c.creds.uid === SLOT0);
    expect(builderCalls.length).toBeGreaterThan(0);
    expect(new Set(builderCalls.map((c) => c.creds.gid))).toEqual(new Set([SLOT0]));
    const chowns = r.steps.flatMap((s) => s.syscalls).filter((c) => c.syscall === 'chown' && String(c.args[0]).includes('.chroot/root'));
    expect(chowns.length).toBeGreaterThan(0);
    for (const c of chowns) expect(c.args.slice(1), String(c.args[0])).toEqual([0, c.args[2] === SLOT0 ? SLOT0 : SLOT1]);
  });

  it('holds every invariant under upstream', () => {
    const r = cell(autoAllocateUidsSandbox, 'upstream');
    expect(r.limit).toBeNull();
    expect(r.counterexamples).toEqual([]);
  });
});

describe('the scenario language', () => {
  it('refuses auto-allocate-uids with no uid slot, naming the field', () => {
    const bad = { ...autoAllocateUids, settings: { ...autoAllocateUids.settings, buildUsers: 0 } };
    const r = parseScenario(JSON.parse(JSON.stringify(bad)) as unknown);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toMatch(/settings\.buildUsers.*uid slots/s);
  });

  it('refuses a non-boolean autoAllocateUids', () => {
    const bad = { ...autoAllocateUids, settings: { ...autoAllocateUids.settings, autoAllocateUids: 'yes' } };
    const r = parseScenario(JSON.parse(JSON.stringify(bad)) as unknown);
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.error).toContain('autoAllocateUids');
  });
});
