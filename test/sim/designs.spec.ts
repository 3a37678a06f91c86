/**
 * Fix designs from files: `--design FILE` loads one from outside the repository and runs it as a
 * built-in; a file that is not a design, or a hook that answers what its point does not allow, is
 * bad input (exit 2, one line naming what is wrong, nothing written).
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Citation, Design } from '../../model/nix/index.js';
import { BUILTIN_DESIGNS, CITATIONS, HOOK_NAMES, HOOK_POINTS, parseVariant, RECOMMENDED_SET, runScripted } from '../../model/nix/index.js';
import { main } from '../../sim/cli.js';
import { seed487 } from '../../sim/scenarios/builtin.js';

const dir = mkdtempSync(join(tmpdir(), 'outpath-design-files-'));

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return `./${name}`;
}

function cli(...argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = main(argv, { out: (s) => (out += s), err: (s) => (err += s), isTty: false }, dir);
  return { code, out, err };
}

/** The built-in prepare-deletes-stale-scratch, written as a user would, under another name. */
const COPY = `
export default {
  name: 'my-prepare-deletes',
  summary: 'the same as prepare-deletes-stale-scratch, from a file',
  upstream: 'not proposed',
  hooks: {
    afterScratchChosen: (at: { known?: unknown; scratch: string }) =>
      at.known ? undefined : { deletePath: at.scratch, note: \`removing stale scratch path '\${at.scratch}'\` },
  },
};
`;

interface Json {
  cells: { variant: string; fault: string; states: number; transitions: number; violated: string[] }[];
}

describe('outpath designs', () => {
  it('lists every built-in design with its summary and upstream change, then recommended', () => {
    const r = cli('designs');
    expect(r.code).toBe(0);
    for (const d of BUILTIN_DESIGNS) expect(r.out).toMatch(new RegExp(`^${d.name}\\s+.*\\[${d.upstream.replace(/[()]/g, '.')}\\]$`, 'm'));
    expect(r.out).toMatch(new RegExp(`^recommended\\s.*${RECOMMENDED_SET.members.join(' \\+ ')}$`, 'm'));
  });

  it('--hooks lists every hook point with where it is and what it may do', () => {
    const r = cli('designs', '--hooks');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^afterScratchChosen\n {2}at: {2}startBuild/m);
    expect(r.out).toMatch(/^cleanupBuild\n {2}at: .*\n {2}may: daemon fs calls, one deletePath/m);
  });
});

describe('explore --design FILE', () => {
  it('runs a design from a file exactly as the built-in it copies: same states, transitions and verdicts', () => {
    const f = file('copy.ts', COPY);
    const mine = JSON.parse(cli('explore', 'seed-487', '--design', f, '--json').out) as Json;
    const theirs = JSON.parse(cli('explore', 'seed-487', '--variant', 'prepare-deletes-stale-scratch', '--json').out) as Json;
    const strip = (j: Json) => j.cells.map(({ fault, states, transitions, violated }) => ({ fault, states, transitions, violated }));
    expect(mine.cells.map((c) => c.variant)).toEqual(['my-prepare-deletes', 'my-prepare-deletes', 'my-prepare-deletes']);
    expect(strip(mine)).toEqual(strip(theirs));
    // and it is not vacuous: upstream differs
    const up = JSON.parse(cli('explore', 'seed-487', '--variant', 'upstream', '--json').out) as Json;
    expect(strip(up)).not.toEqual(strip(mine));
  });

  it('combines with built-in designs by name: recommended+NAME is named canonically', () => {
    const f = file('copy2.ts', COPY);
    const r = cli('explore', 'seed-487', '--design', f, '--variant', 'my-prepare-deletes+recommended', '--faults', 'interrupt', '--json');
    expect(r.err).toBe('');
    expect((JSON.parse(r.out) as Json).cells.map((c) => c.variant)).toEqual(['recommended+my-prepare-deletes']);
  });

  const bad: [string, string, RegExp][] = [
    ['no default export', 'export const x = 1;\n', /has no default export/],
    ['a name that is not a slug', COPY.replace("'my-prepare-deletes'", "'My Design'"), /name: a slug/],
    ['the name of a built-in', COPY.replace("'my-prepare-deletes'", "'recommended'"), /name: the name of a built-in/],
    ['a hook that is not a hook point', COPY.replace('afterScratchChosen', 'beforeBuild'), /hooks\.beforeBuild: not a hook point \(hook points: scratchPath, /],
    ['a hook that is not a function', COPY.replace(/afterScratchChosen: [\s\S]*?\n {2}\},/, "cleanupBuild: 'yes',\n  },"), /hooks\.cleanupBuild: must be a function/],
    ['a summary of two lines', COPY.replace("'the same as prepare-deletes-stale-scratch, from a file'", "'a\\nb'"), /summary: one line/],
    ['a syntax error', 'export default {', /cannot load it/],
  ];
  for (const [what, text, message] of bad) {
    it(`${what}: exit 2, one line naming the file and what is wrong, nothing written`, () => {
      const f = file(`${what.replace(/\W+/g, '-')}.ts`, text);
      const out = join(dir, `out-${what.replace(/\W+/g, '-')}`);
      const r = cli('explore', 'seed-487', '--design', f, '--faults', 'interrupt', '--out', out);
      expect(r.code, r.out).toBe(2);
      expect(r.err).toMatch(new RegExp(`^outpath: --design ${f.replace('.', '\\.')}: `));
      expect(r.err).toMatch(message);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('a missing file: exit 2', () => {
    const r = cli('explore', 'seed-487', '--design', './nope.ts');
    expect(r.code).toBe(2);
    expect(r.err).toBe('outpath: --design ./nope.ts: no such file\n');
  });

  it('a --variant name that neither a built-in nor a loaded design has: exit 2 listing the loaded ones too', () => {
    const r = cli('explore', 'seed-487', '--design', file('copy3.ts', COPY), '--variant', 'my-prepare-deletes+nope');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown variant 'nope' \(known: upstream, recommended, .*, my-prepare-deletes; combine with \+\)/);
  });

  it('a hook that returns what its point does not allow stops the run: exit 2 naming design, hook and field', () => {
    const f = file('bad-result.ts', COPY.replace('{ deletePath: at.scratch,', '{ tempRoots: [at.scratch], deletePath: at.scratch, ops: [{ op: "chown", path: "relative", uid: 0, gid: 0 }],'));
    const r = cli('explore', 'seed-487', '--design', f, '--faults', 'interrupt');
    expect(r.code).toBe(2);
    expect(r.err).toBe("outpath: design 'my-prepare-deletes', hook afterScratchChosen: op chown: 'path' must be an absolute path\n");
  });
});

describe('hook points act where they say', () => {
  const keepAll: Design = { name: 'keep-all', summary: 'the collector keeps everything', upstream: 'test', hooks: { collectorKeeps: () => true } };
  const chownAfterRegister: Design = {
    name: 'chmod-after-register',
    summary: 'registerOutputs makes the output 0555 after registration',
    upstream: 'test',
    hooks: { afterRegister: (at) => ({ ops: [{ op: 'chmod', path: at.finalPath, mode: 0o555 }, { op: 'rmdir', path: '/nix/store/absent' }], note: 'chmod 0555' }) },
  };

  function scripted(name: string, designs: readonly Design[]) {
    const v = parseVariant(name, designs);
    if (!v.ok) throw new Error(v.unknown);
    return runScripted(seed487, v.variant);
  }

  it('collectorKeeps: nix store delete of the leftover fails "still alive", as for a temp root', () => {
    const up = scripted('upstream', []);
    const kept = scripted('keep-all', [keepAll]);
    const del = (r: ReturnType<typeof scripted>) => {
      const a = r.world.state.actors.find((x) => x.id === 'delete');
      return a?.kind === 'storeDelete' ? a.result?.output.join('\n') : undefined;
    };
    expect(del(up)).toMatch(/1 store paths deleted/);
    expect(del(kept)).toMatch(/Cannot delete path '.*' since it is still alive/);
  });

  it('afterRegister: the ops run as the daemon after registration, a failing one is noted with its errno', () => {
    const r = scripted('chmod-after-register', [chownAfterRegister]);
    const step = r.steps.find((s) => s.note.includes('[chmod-after-register]'));
    expect(step?.note).toMatch(/^registered \/nix\/store\/\S+ valid; chmod 0555; rmdir \/nix\/store\/absent: ENOENT \[chmod-after-register\]$/);
    expect(step?.syscalls.map((c) => c.syscall)).toContain('chmod');
  });
});

describe('a trace of a design from a file', () => {
  it('replays with --design FILE; without it, exit 2 saying so', () => {
    const f = file('copy-replay.ts', COPY);
    const out = join(dir, 'traces');
    expect(cli('explore', 'seed-487', '--design', f, '--faults', 'interrupt', '--out', out).code).toBe(1);
    const trace = join(out, 'seed-487.my-prepare-deletes.NoWedge.interrupt.trace.json');
    expect(existsSync(trace)).toBe(true);
    const without = cli('replay', trace);
    expect(without.code).toBe(2);
    expect(without.err).toMatch(/names 'my-prepare-deletes', which is no built-in design; a design from a file is given with --design FILE/);
    const r = cli('replay', trace, '--design', f);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^confirmed: /m);
    // no real daemon runs a design from a file: repro says so, and scripts the events for upstream on request
    const repro = cli('repro', trace);
    expect(repro.code).toBe(2);
    expect(repro.err).toMatch(/its variant 'my-prepare-deletes' is no built-in design .*give --variant upstream/);
    expect(cli('repro', trace, '--variant', 'upstream').code).toBe(0);
  });
});

describe('every hook point says where it is upstream, by lines its citations hold', () => {
  for (const h of HOOK_NAMES) {
    it(h, () => {
      const point = HOOK_POINTS[h];
      const cited = point.src.flatMap((k) => {
        const c = CITATIONS[k];
        return Array.isArray(c) ? (c as readonly Citation[]) : [];
      });
      expect(cited.length, `${h}: its SRC keys have citations`).toBeGreaterThan(0);
      const lines = new Set(cited.flatMap((c) => (c.to ? [c.line, c.to.line] : [c.line])));
      const mentioned = [...point.where.matchAll(/l\.(\d+)(?:-(\d+))?/g)].flatMap((m) => [Number(m[1]), ...(m[2] ? [Number(m[2])] : [])]);
      expect(mentioned.length, `${h}: names its lines`).toBeGreaterThan(0);
      expect(mentioned.filter((l) => !lines.has(l))).toEqual([]);
    });
  }
});

describe('run --design FILE', () => {
  it('runs the scripted schedule under the design from the file (its name is the default variant)', () => {
    const f = file('copy-run.ts', COPY);
    const mine = cli('run', 'seed-487', '--design', f, '--json');
    const theirs = cli('run', 'seed-487', '--variant', 'prepare-deletes-stale-scratch', '--json');
    expect(mine.err).toBe('');
    const t = JSON.parse(mine.out) as { variant: string; events: unknown[]; violations: unknown[] };
    const u = JSON.parse(theirs.out) as { events: unknown[]; violations: unknown[] };
    expect(t.variant).toBe('my-prepare-deletes');
    expect({ events: t.events, violations: t.violations }).toEqual({ events: u.events, violations: u.violations });
    expect(mine.code).toBe(theirs.code);
  });
});
