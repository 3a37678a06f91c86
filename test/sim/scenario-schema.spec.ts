import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, scenarioJsonSchema } from '../../sim/scenario-schema.js';
import { BUILTIN } from '../../sim/scenarios/builtin.js';

describe('scenario files', () => {
  it('docs/scenario.schema.json is the published form of the schema the CLI uses (npm run docs:schema)', () => {
    expect(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'scenario.schema.json'), 'utf8')).toBe(scenarioJsonSchema());
  });

  for (const s of BUILTIN) {
    it(`built-in ${s.name} is valid scenario data and survives a JSON round trip`, () => {
      const r = parseScenario(JSON.parse(JSON.stringify(s)));
      expect(r.ok ? 'ok' : r.error).toBe('ok');
    });
  }

  it('names the JSON path of an unknown field', () => {
    const r = parseScenario({ ...JSON.parse(JSON.stringify(BUILTIN[0])), colour: 'red' });
    expect(r.ok ? '' : r.error).toMatch(/colour/);
  });

  it('names the actor whose derivation does not exist', () => {
    const s = JSON.parse(JSON.stringify(BUILTIN[0])) as { actors: { drv?: string }[] };
    s.actors[0] = { ...s.actors[0], drv: 'nope' };
    const r = parseScenario(s);
    expect(r.ok ? '' : r.error).toBe("scenario.actors[0].drv: unknown derivation 'nope'");
  });
});
