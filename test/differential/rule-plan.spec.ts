/**
 * The planner that decides how each rule case runs against Linux, for every combination of the
 * fs.protected_* settings a machine can have. Needs no root: it only asks the model.
 */
import { describe, expect, it } from 'vitest';
import { protectedRules } from '../fs/cases/protected.js';
import { darwinRules } from '../fs/cases/darwin.js';
import { outcomesOnModel } from '../fs/rule-case.js';
import { linuxCounterpart, plan, ruleGroups, wanted } from './rule-plan.js';
import type { ProtectedSettings } from './sysctl.js';

const cases = ruleGroups.flatMap((g) => g.cases);
const machines: readonly ProtectedSettings[] = ([0, 1] as const).flatMap((symlinks) => ([0, 1, 2] as const).map((regular) => ({ symlinks, regular })));
const cannotSet = 'not allowed here';
const name = (m: ProtectedSettings): string => `symlinks=${String(m.symlinks)} regular=${String(m.regular)}`;

describe('rule-case plans for the Linux kernel', () => {
  for (const m of machines) {
    it(`should skip no case when the run may set the sysctls (machine ${name(m)})`, () => {
      for (const c of cases) expect('skip' in plan(c, m, null), c.it).toBe(false);
    });

    it(`should run a chrooted case chrooted and only such a case (machine ${name(m)})`, () => {
      for (const c of cases) {
        const p = plan(c, m, cannotSet);
        if ('skip' in p) continue;
        expect(p.chroot === true, c.it).toBe(c.chrooted !== undefined);
      }
    });

    it(`should run every ordinary case, expecting the model's outcomes with the machine's settings (machine ${name(m)})`, () => {
      for (const c of cases.filter((x) => wanted(x, m) === null)) {
        const p = plan(c, m, cannotSet);
        expect('expected' in p && p.set === undefined, c.it).toBe(true);
      }
    });

    it(`should skip a protected_* case only when its outcome depends on a setting it cannot set, saying so (machine ${name(m)})`, () => {
      for (const c of protectedRules.flatMap((g) => g.cases)) {
        const p = plan(c, m, cannotSet);
        const want = wanted(c, m);
        if (!want) throw new Error(`${c.it} names no setting`);
        if ('skip' in p) {
          expect(want.symlinks !== m.symlinks || want.regular !== m.regular, c.it).toBe(true);
          expect(p.skip, c.it).toContain(cannotSet);
        } else {
          expect(p.expected, c.it).toEqual(c.steps.map(([, w]) => w));
        }
      }
    });
  }

  it('should expect EACCES where an ordinary case follows another user\'s link in /tmp on a machine with protected_symlinks = 1', () => {
    // the cases that were skipped on such machines before: their written outcome assumes 0
    const changed = cases.filter((c) => {
      const p = plan(c, { symlinks: 1, regular: 0 }, cannotSet);
      return wanted(c, { symlinks: 1, regular: 0 }) === null && 'expected' in p && p.expected.some((o, i) => o !== linuxCounterpart(c).steps[i]?.[1]);
    });
    expect(changed.length).toBeGreaterThan(0);
    for (const c of changed) {
      const p = plan(c, { symlinks: 1, regular: 0 }, cannotSet);
      expect('expected' in p && p.expected.includes('EACCES'), c.it).toBe(true);
    }
  });

  it('should run each darwin case as its Linux counterpart, whose outcomes differ from the darwin ones', () => {
    const darwinCases = darwinRules.flatMap((g) => g.cases);
    expect(darwinCases.length).toBeGreaterThan(0);
    for (const c of darwinCases) {
      const linux = linuxCounterpart(c);
      expect(linux.kernel?.personality, c.it).toBe('linux');
      const onLinux = linux.steps.map(([, w]) => w);
      expect(onLinux, c.it).toEqual(outcomesOnModel(c, { ...c.kernel, personality: 'linux' }));
      // a counterpart that agreed with darwin everywhere would be a darwin rule Linux has too
      expect(onLinux, c.it).not.toEqual(c.steps.map(([, w]) => w));
      const p = plan(c, { symlinks: 0, regular: 0 }, null);
      expect('expected' in p && p.note, c.it).toContain('Linux counterpart');
    }
  });

  it('should set the written settings for a case the machine lacks when allowed', () => {
    const c = protectedRules[0]?.cases[0];
    if (!c) throw new Error('no protected case');
    expect(plan(c, { symlinks: 0, regular: 0 }, null)).toMatchObject({ set: { symlinks: 1, regular: 0 }, expected: c.steps.map(([, w]) => w) });
  });
});
