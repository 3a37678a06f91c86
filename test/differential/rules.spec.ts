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
import { outcomesOnModel, type RuleCase } from '../fs/rule-case.js';
import { INITIAL_TREE } from './cast.js';
import { canRunOracle, Oracle, protectedSysctls } from './oracle.js';
import { showOp } from './ops.js';

const groups = [
  ...stickyRules, ...removeRules, ...renameRules, ...openRules, ...createRules, ...mkdirPRules,
  ...attrRules, ...walkRules, ...ioRules, ...protectedRules, ...darwinRules,
];

/**
 * Why `c` cannot run against this machine's kernel, or null when it can. A case written for other
 * fs.protected_* settings than the machine's still runs when the model, set up like the machine,
 * gives every call the outcome the case expects (the setting does not matter to it): so a machine
 * with protected_symlinks = 1 checks every ordinary case that follows no foreign link in /tmp.
 */
function skipReason(c: RuleCase): string | null {
  if (!canRunOracle()) return 'needs root on Linux to run oracle workers as other uids';
  if (c.modelOnly) return c.modelOnly;
  const sys = protectedSysctls();
  const machine = { protectedSymlinks: sys.symlinks > 0, protectedRegular: Math.min(sys.regular, 2) as 0 | 1 | 2 };
  const wants = { protectedSymlinks: c.kernel?.protectedSymlinks ?? false, protectedRegular: c.kernel?.protectedRegular ?? 0 };
  if (wants.protectedSymlinks === machine.protectedSymlinks && wants.protectedRegular === machine.protectedRegular) return null;
  const expected = c.steps.map(([, want]) => want);
  if (outcomesOnModel(c, { ...c.kernel, ...machine }).every((got, i) => got === expected[i])) return null;
  return `written for protected_symlinks=${String(Number(wants.protectedSymlinks))} protected_regular=${String(wants.protectedRegular)}, this machine has ${String(sys.symlinks)} and ${String(sys.regular)}, and the outcome depends on it`;
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
