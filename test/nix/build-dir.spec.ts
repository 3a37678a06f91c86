/** startBuild's checkNotWorldWritable (derivation-builder.cc l.755-756): which build-dir modes refuse a build, and what a refused build leaves. */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { apply } from '../../model/nix/index.js';
import { buildIn, oneCaBuild, runAlone, runUntil, world } from './stepping.js';

function withBuildDir(mode: string, buildUsers = 4): Scenario {
  const s = oneCaBuild();
  return { ...s, settings: { ...s.settings, buildUsers, buildDirMode: mode } };
}

function outcomeOf(s: Scenario): string {
  const w = world(s);
  runAlone(w, 'a1');
  const p = buildIn(w, 'a1').phase;
  return p.kind === 'done' ? (p.outcome.kind === 'failure' ? p.outcome.failure : p.outcome.kind) : p.kind;
}

describe('build-dir must not be world-writable when builds have build users', () => {
  it('refuses a build-dir with o+w (1777, 777), accepts one without (755, 1775: group-writable and sticky, as the store)', () => {
    expect(outcomeOf(withBuildDir('1777'))).toBe('unsafeBuildDir');
    expect(outcomeOf(withBuildDir('777'))).toBe('unsafeBuildDir');
    expect(outcomeOf(withBuildDir('755'))).toBe('success');
    expect(outcomeOf(withBuildDir('1775'))).toBe('success');
  });

  it('does not check it without build users (`if (buildUser)`)', () => {
    expect(outcomeOf(withBuildDir('1777', 0))).toBe('success');
  });

  it('refuses after taking a build user and before the temp dir: nothing in build-dir or at the scratch path, user and lock released', () => {
    const w = world(withBuildDir('1777'));
    runUntil(w, 'a1', (a) => a.phase.kind === 'createTempDir');
    expect(buildIn(w, 'a1').uid).toBe(30001);
    const r = apply(w, { type: 'createTempDir', actor: 'a1' });
    expect(r.ok).toBe(true);
    expect(r.ok ? r.step.syscalls.filter((c) => c.syscall !== 'lstat').map((c) => c.syscall) : ['disabled']).toEqual([]);
    runAlone(w, 'a1');
    const a = buildIn(w, 'a1');
    expect(a.tmpDir).toBeUndefined();
    expect(a.scratch).toBeUndefined();
    expect(w.ctx.fs.readdir(w.ctx.daemon, '/nix/var/nix/builds')).toMatchObject({ ok: true, value: [] });
    expect(w.state.userLeases).toEqual({});
    expect(w.state.locks).toEqual({});
  });
});
