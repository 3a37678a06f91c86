/**
 * Every rule case of test/fs, run against the real Linux kernel: the unit tests' expectations are
 * what Linux does, not what we believe it does. Cases marked model-only (Darwin, sysctls this machine
 * does not have, paths the oracle cannot map) are reported skipped with their reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attrRules } from '../fs/cases/attr.js';
import { createRules } from '../fs/cases/create.js';
import { darwinRules } from '../fs/cases/darwin.js';
import { ioRules } from '../fs/cases/io.js';
import { mkdirPRules } from '../fs/cases/mkdir-p.js';
import { openRules } from '../fs/cases/open.js';
import { protectedRules } from '../fs/cases/protected.js';
import { removeRules } from '../fs/cases/remove.js';
import { renameRules } from '../fs/cases/rename.js';
import { stickyRules } from '../fs/cases/sticky.js';
import { walkRules } from '../fs/cases/walk.js';
import type { RuleCase } from '../fs/rule-case.js';
import { INITIAL_TREE } from './cast.js';
import { canRunOracle, Oracle, protectedSysctls } from './oracle.js';
import { showOp } from './ops.js';

const groups = [
  ...stickyRules, ...removeRules, ...renameRules, ...openRules, ...createRules, ...mkdirPRules,
  ...attrRules, ...walkRules, ...ioRules, ...protectedRules, ...darwinRules,
];

/** Why `c` cannot run against this machine's kernel, or null when it can. */
function skipReason(c: RuleCase): string | null {
  if (!canRunOracle()) return 'needs root on Linux to run oracle workers as other uids';
  if (c.modelOnly) return c.modelOnly;
  const sys = protectedSysctls();
  if ((c.kernel?.protectedSymlinks ?? false) !== sys.symlinks > 0) return `needs protected_symlinks=${String(c.kernel?.protectedSymlinks)}`;
  if ((c.kernel?.protectedRegular ?? 0) !== Math.min(sys.regular, 2)) return `needs protected_regular=${String(c.kernel?.protectedRegular)}`;
  return null;
}

describe('rule cases on the Linux kernel', () => {
  let oracle: Oracle | undefined;
  beforeAll(async () => {
    if (canRunOracle()) oracle = await Oracle.start();
  });
  afterAll(() => {
    oracle?.stop();
  });

  for (const g of groups) {
    describe(g.describe, () => {
      for (const c of g.cases) {
        const reason = skipReason(c);
        (reason ? it.skip : it)(`${c.it}${reason ? ` [skipped: ${reason}]` : ''}`, async () => {
          if (!oracle) throw new Error('oracle not started');
          const root = oracle.makeRoot(c.tree ?? INITIAL_TREE);
          try {
            for (const [op, want] of c.steps) expect(await oracle.run(root, op), showOp(op)).toBe(want);
          } finally {
            oracle.removeRoot(root);
          }
        });
      }
    });
  }
});
