/**
 * One differential run: the same op sequence on the model and on the real kernel, every outcome and
 * the final trees compared. A divergence comes back as a report listing each call with both outcomes.
 */
import { createKernel, diffTrees, formatTree, populateOrThrow, type FsKernel, type TreeEntry } from '../../model/fs/index.js';
import { INITIAL_TREE } from './cast.js';
import type { Oracle } from './oracle.js';
import { runModel, showOp, type Op } from './ops.js';
import { asKernelOptions, machineSettings } from './sysctl.js';

export interface Divergence {
  readonly report: string;
}

/** Outcome counts per syscall (`unlink EPERM` → 12), so a campaign can show what it exercised. */
export type Tally = Map<string, number>;

function count(tally: Tally | undefined, op: Op, outcome: string): void {
  if (!tally) return;
  const key = `${op.op} ${outcome.split(/[ ;]/)[0] ?? ''}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}

function treeReport(model: TreeEntry[], real: TreeEntry[]): string[] {
  const changes = diffTrees(real, model);
  if (changes.length === 0) return [];
  const line = (e: TreeEntry): string => (formatTree([e])[0] ?? '') + (e.kind === 'file' ? ` ${JSON.stringify(e.content)}` : '');
  return [
    'final trees differ (real → model):',
    ...changes.map((ch) => {
      const was = real.find((e) => e.path === ch.entry.path);
      return ch.op === '~' && was ? `  ~ real  ${line(was)}\n    model ${line(ch.entry)}` : `  ${ch.op} ${line(ch.entry)}`;
    }),
  ];
}

/** A model configured like the machine the oracle runs on (its fs.protected_* sysctls). */
export function machineKernel(): FsKernel {
  return createKernel(asKernelOptions(machineSettings()));
}

/**
 * Runs `ops` on both sides; null when they agree on every call and on the final tree. `makeKernel`
 * lets a test plant a bug in the model and check that the comparison notices.
 */
export async function runSequence(
  oracle: Oracle, ops: readonly Op[], tally?: Tally, makeKernel: () => FsKernel = machineKernel,
): Promise<Divergence | null> {
  const k = makeKernel();
  populateOrThrow(k, INITIAL_TREE);
  const root = oracle.makeRoot(INITIAL_TREE);
  try {
    const lines: string[] = [];
    let diverged = false;
    for (const op of ops) {
      const model = runModel(k, op);
      const real = await oracle.run(root, op);
      diverged ||= model !== real;
      count(tally, op, real);
      lines.push(model === real ? `  ${showOp(op)} = ${real}` : `✗ ${showOp(op)}\n      real  = ${real}\n      model = ${model}`);
    }
    const trees = treeReport(k.tree(), oracle.readTree(root));
    if (!diverged && trees.length === 0) return null;
    const header = 'call by call (✗ marks a divergence; where Linux and the model agree one outcome is shown):';
    return { report: [header, ...lines, ...trees].join('\n') };
  } finally {
    oracle.removeRoot(root);
  }
}
