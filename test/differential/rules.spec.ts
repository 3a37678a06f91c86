/**
 * Every rule case of test/fs, run against the real Linux kernel: the unit tests' expectations are
 * what Linux does, not what we believe it does. A Darwin case runs as its Linux counterpart, a
 * case whose paths cannot be mapped below the per-case directory runs chrooted into it, and only a
 * fs.protected_* case this run can neither find on the machine nor set is reported skipped, with
 * its reason (see rule-plan.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIAL_TREE } from './cast.js';
import { canRunOracle, Oracle } from './oracle.js';
import { showOp } from './ops.js';
import { plan, ruleGroups } from './rule-plan.js';
import { machineSettings, whyNotSettable, withSettings } from './sysctl.js';

const SETTINGS_WAIT_MS = 300_000;

describe('rule cases on the Linux kernel', () => {
  let oracle: Oracle | undefined;
  beforeAll(async () => {
    if (canRunOracle()) oracle = await Oracle.start();
  });
  afterAll(() => {
    oracle?.stop();
  });

  const machine = machineSettings();
  const cannotSet = whyNotSettable();
  for (const g of ruleGroups) {
    describe(g.describe, () => {
      for (const c of g.cases) {
        const p = canRunOracle() ? plan(c, machine, cannotSet) : { skip: 'needs root on Linux to run oracle workers as other uids' };
        if ('skip' in p) {
          it.skip(`${c.it} [skipped: ${p.skip}]`, () => undefined);
          continue;
        }
        it(`${c.it}${p.note ? ` [${p.note}]` : ''}`, async () => {
          const o = oracle;
          if (!o) throw new Error('oracle not started');
          const run = async (): Promise<void> => {
            const root = o.makeRoot(c.tree ?? INITIAL_TREE);
            try {
              for (const [i, [op]] of c.steps.entries()) expect(p.chroot ? o.runChrooted(root, op) : await o.run(root, op), showOp(op)).toBe(p.expected[i]);
            } finally {
              o.removeRoot(root);
            }
          };
          await (p.set ? withSettings(p.set, run, SETTINGS_WAIT_MS) : run());
          // setting the sysctls may first wait for differential.spec.ts's sequences to finish
        }, p.set ? SETTINGS_WAIT_MS + 60_000 : undefined);
      }
    });
  }
});
