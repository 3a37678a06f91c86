/**
 * What a scenario can say beyond the built-ins: a plant with a mode, symlinks naming another
 * derivation's path, nested initial trees with their own owners and modes, waiting for a build
 * user's release, loops, and several scripted faults on one build.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../model/nix/index.js';
import { drvOf, enabledEvents, hashWorld, initialLayoutErrors, initialWorld, apply, resolveRef, UPSTREAM } from '../../model/nix/index.js';
import { DARWIN, GODYN } from '../../sim/scenarios/common.js';
import { build, outcome, run, scratchOf, traceOf } from './helpers.js';

const LINUX = { ...DARWIN, platform: 'linux' } as const;
const CA = { id: 'godyn', name: 'godyn', kind: 'ca-floating', program: GODYN } as const;

function stat(r: ReturnType<typeof run>, path: string): string {
  const st = r.world.ctx.fs.lstat(r.world.ctx.daemon, path);
  return st.ok ? `${st.value.kind} ${st.value.mode.toString(8)} ${String(st.value.uid)}:${String(st.value.gid)}` : st.error.errno;
}

describe('plant with a mode', () => {
  it('chmods the planted directory last; path "" plants the directory alone', () => {
    const s: Scenario = {
      name: 'plant-mode',
      doc: '',
      settings: LINUX,
      derivations: [CA, { id: 'evil', name: 'evil', kind: 'input-addressed', program: [{ op: 'plant', drv: 'godyn', path: '', content: '', mode: '777' }, { op: 'mkdirP', path: '' }] }],
      actors: [{ id: 'evil', kind: 'build', drv: 'evil' }],
    };
    const r = run(s);
    expect(stat(r, scratchOf(r, 'godyn')), traceOf(r)).toBe('dir 777 30001:30000');
    expect(r.world.ctx.fs.readdir(r.world.ctx.daemon, scratchOf(r, 'godyn'))).toEqual({ ok: true, value: [] });
  });
});

describe('a symlink naming another derivation’s path', () => {
  const s: Scenario = {
    name: 'symbolic-link',
    doc: '',
    settings: LINUX,
    derivations: [
      CA,
      {
        id: 'user',
        name: 'user',
        kind: 'input-addressed',
        program: [{ op: 'mkdirP', path: '' }, { op: 'symlink', target: { drv: 'godyn', which: 'final', path: 'pkg.a' }, path: 'dep' }],
      },
    ],
    actors: [
      { id: 'early', kind: 'build', drv: 'user' },
      { id: 'ca', kind: 'build', drv: 'godyn', after: ['early'] },
    ],
  };

  it('fails while the floating CA output is not built, and resolves to its realised path once it is', () => {
    const r = run(s);
    expect(build(r, 'early').calls.map((c) => (c.ok ? 'ok' : c.errno)), traceOf(r)).toEqual(['ok', 'ENOENT']);
    const later = run({ ...s, name: 'symbolic-link-later', actors: [{ id: 'ca', kind: 'build', drv: 'godyn' }, { id: 'late', kind: 'build', drv: 'user', after: ['ca'] }] });
    const final = resolveRef(later.world.ctx, { drv: 'godyn', which: 'final' }, later.world.state.realisations);
    const link = drvOf(later.world.ctx, 'user').knownPath ?? '';
    expect(later.world.ctx.fs.readlink(later.world.ctx.daemon, `${link}/dep`), traceOf(later)).toEqual({ ok: true, value: `${final ?? '?'}/pkg.a` });
  });
});

describe('nested initial trees', () => {
  const s: Scenario = {
    name: 'nested-initial',
    doc: '',
    settings: LINUX,
    derivations: [CA],
    actors: [{ id: 'info', kind: 'pathInfo', target: { drv: 'godyn', which: 'scratch' } }],
    initial: [
      {
        at: { drv: 'godyn', which: 'scratch' },
        owner: 'builder1',
        mode: '755',
        files: { 'pkg.a': 'old' },
        entries: [
          { kind: 'dir', name: 'lib', mode: '555', entries: [{ kind: 'file', name: 'x.so', content: 'x', owner: 'root', mode: '444' }] },
          { kind: 'dir', name: 'share', owner: 'builder2', entries: [{ kind: 'file', name: 'doc', content: 'd' }] },
          { kind: 'symlink', name: 'self', target: { drv: 'godyn', which: 'scratch', path: 'lib' } },
        ],
      },
    ],
  };

  it('lays every entry with its own owner and mode (owner inherited when omitted; modes set after the children)', () => {
    const r = run(s);
    const top = scratchOf(r, 'godyn');
    expect(stat(r, top)).toBe('dir 755 30001:30000');
    expect(stat(r, `${top}/pkg.a`)).toBe('file 644 30001:30000');
    expect(stat(r, `${top}/lib`)).toBe('dir 555 30001:30000');
    expect(stat(r, `${top}/lib/x.so`)).toBe('file 444 0:0');
    expect(stat(r, `${top}/share`)).toBe('dir 755 30002:30000');
    expect(stat(r, `${top}/share/doc`)).toBe('file 644 30002:30000');
    expect(r.world.ctx.fs.readlink(r.world.ctx.daemon, `${top}/self`)).toEqual({ ok: true, value: `${top}/lib` });
  });

  it('reports what it cannot lay out instead of dropping it: a floating CA final path, a clash', () => {
    expect(initialLayoutErrors({ ...s, initial: [{ at: { drv: 'godyn', which: 'final' }, owner: 'root', mode: '755' }] })).toEqual([
      "initial[0].at: the final path of floating CA derivation 'godyn' is not known before it is built",
    ]);
    const twice = [...(s.initial ?? []), { at: { drv: 'godyn', which: 'scratch' }, owner: 'root', mode: '755' } as const];
    expect(initialLayoutErrors({ ...s, initial: twice })[0]).toMatch(/^initial\[1\]: cannot make \/nix\/store\/\S+: mkdir EEXIST$/);
    expect(() => initialWorld({ ...s, initial: twice }, UPSTREAM)).toThrow(/initial\[1\]/);
  });
});

describe('afterUserRelease', () => {
  const s: Scenario = {
    name: 'after-release',
    doc: '',
    settings: LINUX,
    derivations: [CA],
    actors: [
      { id: 'other', kind: 'holdUser', releaseAfter: ['gate'] },
      { id: 'a1', kind: 'build', drv: 'godyn', after: ['other'], afterUserRelease: ['other'] },
      { id: 'gate', kind: 'setFlag', flag: 'x', after: ['other'] },
    ],
  };

  it('starts an actor only once the holder has let its user go, so it draws that (lower) user', () => {
    const r = run(s);
    const t = traceOf(r);
    const release = r.steps.findIndex((x) => x.event.type === 'releaseUser');
    const start = r.steps.findIndex((x) => x.event.actor === 'a1' && x.event.type === 'start');
    expect(release, t).toBeGreaterThanOrEqual(0);
    expect(start, t).toBeGreaterThan(release);
    expect(build(r, 'a1').uid, t).toBe(30001);
    const plain = run({ ...s, name: 'after-holding', actors: s.actors.map((a) => (a.id === 'a1' ? { id: 'a1', kind: 'build', drv: 'godyn', after: ['other'] } : a)) });
    expect(build(plain, 'a1').uid, traceOf(plain)).toBe(30002);
  });
});

describe('loops', () => {
  it('a bounded loop runs its body times+1 and goes on', () => {
    const s: Scenario = {
      name: 'loop-bounded',
      doc: '',
      settings: LINUX,
      derivations: [{ ...CA, program: [{ op: 'mkdirP', path: '' }, { op: 'writeFile', path: 'n', content: 'x' }, { op: 'loop', to: 1, times: 2 }, { op: 'writeFile', path: 'end', content: 'e' }] }],
      actors: [{ id: 'a1', kind: 'build', drv: 'godyn' }],
    };
    const r = run(s);
    expect(build(r, 'a1').calls.map((c) => c.i), traceOf(r)).toEqual([0, 1, 1, 1, 3]);
    expect(outcome(r, 'a1')).toBe('success');
  });

  it('an orphan whose program loops forever never ends on its own: the world cycles', () => {
    const s: Scenario = {
      name: 'orphan-forever',
      doc: '',
      settings: { ...DARWIN, buildUsers: 0 },
      derivations: [{ ...CA, program: [{ op: 'mkdirP', path: '' }, { op: 'writeFile', path: 'n', content: 'x' }, { op: 'loop', to: 1 }] }],
      actors: [{ id: 'a1', kind: 'build', drv: 'godyn', fault: { kind: 'crash', before: 'builderAction', nth: 1 } }],
    };
    const w = initialWorld(s, UPSTREAM);
    const seen = new Set<string>();
    let repeated = false;
    for (let i = 0; i < 60 && !repeated; i++) {
      const [e] = enabledEvents(w.ctx, w.state);
      if (!e) break;
      apply(w, e);
      const h = hashWorld(w);
      repeated = seen.has(h) && w.state.orphans.length === 1;
      seen.add(h);
    }
    expect(repeated).toBe(true);
    expect(enabledEvents(w.ctx, w.state).map((e) => e.type)).toEqual(['orphanAction']);
  });
});

describe('several scripted faults on one build', () => {
  it('an interrupt, then a crash while the goal cleans up', () => {
    const s: Scenario = {
      name: 'two-faults',
      doc: '',
      settings: LINUX,
      derivations: [CA],
      actors: [
        {
          id: 'a1',
          kind: 'build',
          drv: 'godyn',
          fault: { kind: 'interrupt', before: 'builderAction', nth: 1 },
          faults: [{ kind: 'crash', before: 'deletePathStep', nth: 0 }],
        },
      ],
    };
    const r = run(s);
    const t = traceOf(r);
    expect(r.steps.filter((x) => x.event.type === 'interrupt' || x.event.type === 'crash').map((x) => x.event.type), t).toEqual(['interrupt', 'crash']);
    expect(outcome(r, 'a1'), t).toBe('crashed');
    // the worker died as it began to delete the temp dir: the dir stays, chmod 0000 by killChild's cleanup
    const tmp = build(r, 'a1').tmpDir ?? '';
    expect(stat(r, tmp), t).toBe('dir 0 30001:30000');
  });
});
