/** Scenario files with an auto-GC (`autoGcOf` on a gc actor): accepted where the worker loop can start one, refused elsewhere with the JSON path. */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../sim/scenario-schema.js';
import { autoGcDuringCaBuildLinux } from '../../sim/scenarios/auto-gc.js';
import { cli } from './run-cli.js';

type Json = Record<string, unknown> & { actors: Record<string, unknown>[] };
const base = (): Json => JSON.parse(JSON.stringify(autoGcDuringCaBuildLinux)) as Json;
const withGc = (fields: Record<string, unknown>): Json => {
  const s = base();
  s.actors[0] = { ...s.actors[0], ...fields };
  return s;
};
const error = (json: unknown): string => {
  const r = parseScenario(json);
  return r.ok ? 'ok' : r.error;
};

describe('autoGcOf in a scenario file', () => {
  it('accepts the built-in form, and every point where the worker loop calls autoGC', () => {
    expect(error(base())).toBe('ok');
    for (const [before, nth] of [['lockOutputs', 0], ['builderAction', 0], ['builderExit', 0]] as const) {
      expect(error(withGc({ during: { actor: 'a1', before, nth } })), before).toBe('ok');
    }
  });

  it('refuses an auto-GC of something that is not a build, of nothing, or of itself', () => {
    const s = base();
    s.actors.splice(1, 0, { id: 'info', kind: 'pathInfo', target: { drv: 'godyn', which: 'scratch' } });
    s.actors[0] = { ...s.actors[0], autoGcOf: 'info' };
    expect(error(s)).toBe("scenario.actors[0].autoGcOf: 'info' is a pathInfo, not a build: only a build's daemon worker runs an auto-GC");
    expect(error(withGc({ autoGcOf: 'ghost' }))).toBe("scenario.actors[0].autoGcOf: unknown actor 'ghost'");
    expect(error(withGc({ autoGcOf: 'autogc' }))).toMatch(/^scenario\.actors\[0\]\.autoGcOf: 'autogc' cannot be its own build/);
  });

  it('refuses an auto-GC with no point, a point on another build, or a point where the worker loop does not run', () => {
    const none = base();
    delete none.actors[0]?.['during'];
    expect(error(none)).toMatch(/^scenario\.actors\[0\]: an auto-GC starts from its build's worker loop: give it a `during` point on 'a1'/);
    const other = base();
    other.actors.push({ id: 'a2', kind: 'build', drv: 'godyn', after: ['a1'] });
    other.actors[0] = { ...other.actors[0], during: { actor: 'a2', before: 'builderAction', nth: 0 } };
    expect(error(other)).toBe("scenario.actors[0].during.actor: an auto-GC starts from its own build's worker loop: must be 'a1' (autoGcOf)");
    expect(error(withGc({ during: { actor: 'a1', before: 'registerOutputs', nth: 3 } }))).toMatch(
      /^scenario\.actors\[0\]\.during\.before: the worker loop calls autoGC only before lockOutputs or while the builder runs: one of lockOutputs, builderAction, builderExit$/,
    );
  });

  it('refuses `after` on an auto-GC, and one listed after its build', () => {
    expect(error(withGc({ after: ['a1'] }))).toBe("scenario.actors[0].after: an auto-GC is started by its build's worker loop alone: drop after");
    const late = base();
    late.actors.reverse();
    expect(error(late)).toMatch(/^scenario\.actors\[1\]: list the auto-GC before 'a1'/);
  });

  it('the CLI refuses a bad one with exit 2 and one line naming the path, writing nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpath-autogc-'));
    const f = join(dir, 'bad.json');
    writeFileSync(f, JSON.stringify(withGc({ during: { actor: 'a1', before: 'cleanupBuild', nth: 0 } })));
    const before = readdirSync(dir).length;
    const r = cli('explore', f, '--variant', 'upstream');
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/scenario\.actors\[0\]\.during\.before: the worker loop calls autoGC only/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(readdirSync(dir).length).toBe(before);
  });
});
