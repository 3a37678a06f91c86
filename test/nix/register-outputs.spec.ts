/**
 * registerOutputs' checks on what the builder left (derivation-builder.cc "suspicious ownership or
 * permission", posix-fs-canonicalise.cc "invalid ownership on file"), each shown rejecting and, on
 * the same schedule without the offending detail, accepting.
 */
import { describe, expect, it } from 'vitest';
import type { BuilderAction, InitialEntry, Scenario } from '../../model/nix/index.js';
import { DARWIN } from '../../sim/scenarios/common.js';
import { build, outcome, run, scratchOf, traceOf } from './helpers.js';

const LINUX = { ...DARWIN, platform: 'linux' } as const;

/** One floating CA build drawn as build user 2 (another build holds user 1 throughout), starting from `initial`. */
function asUser2(program: readonly BuilderAction[], initial: readonly InitialEntry[] = []): Scenario {
  return {
    name: 'register-as-user-2',
    doc: '',
    settings: LINUX,
    derivations: [{ id: 'd', name: 'd', kind: 'ca-floating', program }],
    initial,
    actors: [
      { id: 'other', kind: 'holdUser', releaseAfter: ['a1'] },
      { id: 'a1', kind: 'build', drv: 'd', after: ['other'] },
    ],
  };
}

function failure(s: Scenario): string {
  const r = run(s);
  const p = build(r, 'a1').phase;
  return p.kind === 'done' && p.outcome.kind === 'failure' ? `${p.outcome.failure}: ${p.outcome.message}` : `not a failure: ${outcome(r, 'a1')}\n${traceOf(r)}`;
}

const scratch = { drv: 'd', which: 'scratch' } as const;

describe('canonicalisePathMetaData: every entry must belong to the build user', () => {
  // the top dir is the builder's own (user 2 made it, then 0777 let user 1 drop a file into it)
  const debris: InitialEntry[] = [{ at: scratch, owner: 'builder2', mode: '777', entries: [{ kind: 'file', name: 'foreign', content: 'from user 1', owner: 'builder1' }] }];
  const clean: InitialEntry[] = [{ at: scratch, owner: 'builder2', mode: '777' }];
  const program: BuilderAction[] = [{ op: 'mkdirP', path: '' }, { op: 'chmod', path: '', mode: '755' }, { op: 'writeFile', path: 'out', content: 'x' }];

  it('should reject a file owned by another uid under a top directory the builder owns', () => {
    const s = asUser2(program, debris);
    const r = run(s);
    expect(build(r, 'a1').uid, traceOf(r)).toBe(30002);
    expect(failure(s)).toMatch(new RegExp(`^outputRejected: invalid ownership on file '${scratchOf(r, 'd')}/foreign'$`));
    expect(Object.keys(r.world.state.valid), traceOf(r)).toEqual([]);
  });

  it('should accept the same top directory without the foreign file', () => {
    const r = run(asUser2(program, clean));
    expect(outcome(r, 'a1'), traceOf(r)).toBe('success');
  });
});

describe('registerOutputs: suspicious ownership or permission of the top-level output', () => {
  it('should reject an output directory owned by another build user', () => {
    const s = asUser2([{ op: 'mkdirP', path: '' }], [{ at: scratch, owner: 'builder1', mode: '755' }]);
    expect(failure(s)).toMatch(/^outputRejected: suspicious ownership or permission on '.*' for output 'out'; rejecting this build output$/);
  });

  it('should reject a group-writable output directory of the build user itself', () => {
    expect(failure(asUser2([{ op: 'mkdirP', path: '' }, { op: 'chmod', path: '', mode: '775' }]))).toMatch(/^outputRejected: suspicious ownership/);
  });

  it('should accept a symlink output, whose mode bits mean nothing', () => {
    const r = run(asUser2([{ op: 'symlink', target: 'elsewhere', path: '' }]));
    expect(outcome(r, 'a1'), traceOf(r)).toBe('success');
  });

  it('should accept the builder\'s own 0755 output directory', () => {
    const r = run(asUser2([{ op: 'mkdirP', path: '' }]));
    expect(outcome(r, 'a1'), traceOf(r)).toBe('success');
  });

  it('should report a missing output', () => {
    expect(failure(asUser2([{ op: 'exit', code: 0 }]))).toMatch(/^outputRejected: builder for '.*\.drv' failed to produce output path for output 'out' at '.*'$/);
  });
});
