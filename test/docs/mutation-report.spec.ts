import type { MutantResult } from '@stryker-mutator/api/core';
import { describe, expect, it } from 'vitest';
import { renderMutationDoc, summarise, type MutationData } from '../../scripts/lib/mutation-report.js';

function mutant(status: MutantResult['status'], line: number, extra: Partial<MutantResult> = {}): MutantResult {
  return {
    id: String(line),
    fileName: '/work/x/model/verify/invariants.ts',
    mutatorName: 'ConditionalExpression',
    replacement: 'true',
    // as runMutationTest reports it: the report schema's position, line and column both 1-based
    location: { start: { line, column: 4 }, end: { line, column: 9 } },
    status,
    ...extra,
  };
}

const run = { date: '2026-12-05', commit: 'abc1234567', seconds: 60, load: [1, 1, 1], cores: 2 };

describe('docs/mutation.md', () => {
  const results = [mutant('Killed', 10), mutant('Timeout', 11), mutant('Survived', 12), mutant('NoCoverage', 13), mutant('Ignored', 14, { statusReason: 'same output' }), mutant('CompileError', 15)];

  it('counts a timeout as killed and leaves equivalents and compile errors out of the score', () => {
    const s = summarise(results);
    expect({ killed: s.killed, timeout: s.timeout, survived: s.survived, noCoverage: s.noCoverage, ignored: s.ignored, errors: s.errors, total: s.total }).toEqual({
      killed: 2,
      timeout: 1,
      survived: 1,
      noCoverage: 1,
      ignored: 1,
      errors: 1,
      total: 4,
    });
    expect(s.score).toBe(50);
    expect(s.survivors.map((m) => m.at)).toEqual(['model/verify/invariants.ts:12:4', 'model/verify/invariants.ts:13:4']);
  });

  it('shows a file measured on its own apart from the folder rows, with its kill set and survivors', () => {
    const data: MutationData = {
      folders: { verify: { ...run, ...summarise([mutant('Killed', 1)]) } },
      slices: { 'model/verify/invariants.ts': { ...run, tests: 'test/verify/*.spec.ts', ...summarise(results) } },
    };
    const md = renderMutationDoc(data);
    const section = md.slice(md.indexOf('## Files measured on their own'), md.indexOf('## model/verify'));
    expect(section).toContain('| model/verify/invariants.ts | 50.0% | 2 (1 by timeout) | 1 | 1 | 1 | `test/verify/*.spec.ts` | 2026-12-05 | `abc1234567` |');
    expect(section).toContain('- `model/verify/invariants.ts:12:4` ConditionalExpression: `true`');
    // the folder's own row and section are unchanged by a slice
    expect(md).toContain('| model/verify | 100.0% | 85% met |');
    expect(md.slice(md.indexOf('## model/verify'))).toContain('No surviving mutant.');
  });

  it('has no slice section when no file was measured on its own', () => {
    expect(renderMutationDoc({ folders: {} })).not.toContain('Files measured on their own');
  });
});
