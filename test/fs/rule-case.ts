/**
 * A kernel rule written as data: a starting tree, calls, and the outcome each must have. The same
 * cases run on the model (test/fs/*.spec.ts) and, as root, against Linux (test/differential/
 * rules.spec.ts), as gVisor's syscall tests must pass on Linux first.
 */
import { describe, expect, it } from 'vitest';
import { createKernel, populateOrThrow, type KernelOptions, type TreeEntry } from '../../model/fs/index.js';
import { INITIAL_TREE } from '../differential/cast.js';
import { runModel, showOp, type Op } from '../differential/ops.js';

export interface RuleCase {
  /** gVisor-style: 'should fail with EPERM when …'. */
  readonly it: string;
  /** Starting tree; the differential test's INITIAL_TREE (see cast.ts) by default. */
  readonly tree?: readonly TreeEntry[];
  /** Calls and the outcome each must have (`ok`, an errno, or `ok` plus the value, as ops.ts renders it). */
  readonly steps: readonly (readonly [Op, string])[];
  readonly kernel?: KernelOptions;
  /**
   * Set when the case's paths cannot be mapped below the oracle's per-case directory, saying why:
   * against Linux its calls then run with that directory as the process root (root's stat and lstat
   * only; test/differential/oracle.ts `runChrooted`).
   */
  readonly chrooted?: string;
}

export interface RuleGroup {
  readonly describe: string;
  readonly cases: readonly RuleCase[];
}

/** The outcome of each of the case's calls on a fresh model with `kernel` (by default the case's own). */
export function outcomesOnModel(c: RuleCase, kernel: KernelOptions = c.kernel ?? {}): string[] {
  const k = createKernel(kernel);
  populateOrThrow(k, c.tree ?? INITIAL_TREE);
  return c.steps.map(([op]) => runModel(k, op));
}

/**
 * Runs every case on a fresh model; a call that fails must also leave the tree unchanged, but for
 * `mkdir -p`, which is many calls and keeps the ancestors it made.
 */
export function runOnModel(groups: readonly RuleGroup[]): void {
  for (const g of groups) {
    describe(g.describe, () => {
      for (const c of g.cases) {
        it(c.it, () => {
          const k = createKernel(c.kernel ?? {});
          populateOrThrow(k, c.tree ?? INITIAL_TREE);
          for (const [op, want] of c.steps) {
            const before = k.hash();
            const got = runModel(k, op);
            expect(got, showOp(op)).toBe(want);
            if (!got.startsWith('ok') && op.op !== 'mkdirP') expect(k.hash(), `${showOp(op)} failed but changed the tree`).toBe(before);
          }
        });
      }
    });
  }
}

export type Step = readonly [Op, string];
export const step = (op: Op, outcome: string): Step => [op, outcome];
