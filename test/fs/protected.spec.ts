import { describe, expect, it } from 'vitest';
import { protectedRules } from './cases/protected.js';
import { runOnModel } from './rule-case.js';

runOnModel(protectedRules);

describe('protected_* cases name their settings', () => {
  // a case relying on a default would silently change meaning if the default did
  it('should set both protectedSymlinks and protectedRegular in every case', () => {
    for (const c of protectedRules.flatMap((g) => g.cases)) {
      expect(c.kernel?.protectedSymlinks, c.it).toBeTypeOf('boolean');
      expect(c.kernel?.protectedRegular, c.it).toBeTypeOf('number');
    }
  });
});
