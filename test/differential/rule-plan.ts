/**
 * How a rule case of test/fs runs against this machine's Linux kernel, given its fs.protected_*
 * settings and whether this run may set them: pure, so it is tested without root.
 */
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
import { outcomesOnModel, type RuleCase, type RuleGroup } from '../fs/rule-case.js';
import { asKernelOptions, showSettings, type ProtectedSettings } from './sysctl.js';

/** Every rule case of test/fs. */
export const ruleGroups: readonly RuleGroup[] = [
  ...stickyRules, ...removeRules, ...renameRules, ...openRules, ...createRules, ...mkdirPRules,
  ...attrRules, ...walkRules, ...ioRules, ...protectedRules, ...darwinRules,
];

export type Plan =
  | { readonly skip: string }
  /**
   * Run on the machine as it is (or set to `set`), each call expecting `expected`; `chroot`: with the
   * case's directory as the process root (RuleCase.chrooted).
   */
  | { readonly expected: readonly string[]; readonly set?: ProtectedSettings; readonly note?: string; readonly chroot?: true };

/** The fs.protected_* settings `c` is written for, or null when it names neither (an ordinary case). */
export function wanted(c: RuleCase, machine: ProtectedSettings): ProtectedSettings | null {
  const k = c.kernel ?? {};
  if (k.protectedSymlinks === undefined && k.protectedRegular === undefined) return null;
  return {
    symlinks: k.protectedSymlinks === undefined ? machine.symlinks : k.protectedSymlinks ? 1 : 0,
    regular: k.protectedRegular ?? machine.regular,
  };
}

/** What Linux runs for `c`: the case itself, or for a darwin case the same calls on the linux personality. */
export function linuxCounterpart(c: RuleCase): RuleCase {
  if (c.kernel?.personality !== 'darwin') return c;
  const kernel = { ...c.kernel, personality: 'linux' as const };
  return { ...c, kernel, steps: c.steps.map(([op], i) => [op, outcomesOnModel(c, kernel)[i] ?? ''] as const) };
}

/**
 * An ordinary case expects what the model says with the machine's settings (so a machine with
 * protected_symlinks = 1 still checks the cases that follow another user's link in /tmp, expecting
 * EACCES there). A case written for particular settings runs as written where the machine has them;
 * elsewhere it sets them for the case when `cannotSet` is null (NOL_SET_SYSCTL=1 as root, as CI
 * does), else runs anyway when the model set up like the machine gives the written outcomes (the
 * setting does not matter to the case), else is skipped saying why. A darwin case runs as its
 * Linux counterpart, planned the same way.
 */
export function plan(original: RuleCase, machine: ProtectedSettings, cannotSet: string | null): Plan {
  const c = linuxCounterpart(original);
  const extra = {
    ...(c === original ? {} : { note: 'Darwin cannot run here: its Linux counterpart, expecting the linux personality' }),
    ...(c.chrooted ? { chroot: true as const } : {}),
  };
  const written = c.steps.map(([, want]) => want);
  const onMachine = (): string[] => outcomesOnModel(c, { ...c.kernel, ...asKernelOptions(machine) });
  const want = wanted(c, machine);
  if (!want) return { expected: onMachine(), ...extra };
  if (want.symlinks === machine.symlinks && want.regular === machine.regular) return { expected: written, ...extra };
  if (!cannotSet) return { expected: written, set: want, ...extra, note: [extra.note, `sets ${showSettings(want)} for the case`].filter(Boolean).join('; ') };
  if (onMachine().every((got, i) => got === written[i])) return { expected: written, ...extra };
  return { skip: `written for ${showSettings(want)}, this machine has ${showSettings(machine)} and the outcome depends on it; ${cannotSet}` };
}
