/**
 * Where an interrupt can land. A client's Ctrl-C or hang-up only sets a flag (daemon.cc
 * MonitorFdHup -> triggerInterrupt, signals.cc l.63-65); the daemon stops at its next
 * checkInterrupt() (signals-impl.hh l.90), or where a write to the gone client throws
 * (TunnelLogger, daemon.cc l.75-82; at the default verbosity none of the steps below logs).
 * So an interrupt may land before a build's next event only if upstream passes such a point
 * between the previous event's syscalls and the next event's. A crash can land anywhere.
 *
 * Destructor cleanup is not interruptible (`_interrupted()` does not throw while an exception is in
 * flight, signals.cc l.23); the cleanup that unprepareBuild runs itself (after a builder failure,
 * or on success) is, at its deletePath's check points.
 */
import type { Ctx } from './context.js';
import { drvOf, usesChroot } from './context.js';
import { atInterruptPoint } from './delete-path.js';
import { SRC } from './sources.js';
import { slotsOf } from './outputs.js';
import type { BuildActor, BuildOutcome, DeleteJob, RegisterStep } from './types.js';

function inDeletion(job: DeleteJob): string | undefined {
  // the rmdir after a directory's last entry has none before it: the readdir loop just ends
  return atInterruptPoint(job) ? SRC.checkDeletePath : undefined;
}

function inRegistration(step: RegisterStep): string | undefined {
  switch (step.kind) {
    case 'checkOutput':
      return undefined; // unprepareBuild -> registerOutputs' lstat (derivation-builder.cc l.1486): no check after the builder's EOF was handled
    case 'canonicalise':
      return SRC.checkCanonicalise;
    case 'rewriteCopy':
      return SRC.checkDumpPath; // dumping the output, before restorePath creates the copy
    case 'rewriteMove':
      return undefined; // deletePath(actualPath); movePath(tmpPath, actualPath) (derivation-builder.cc l.1644-1645)
    case 'lockFinal':
      return SRC.checkLockPaths;
    case 'moveOutput':
      return undefined; // deletePath(destPath); movePath(actualPath, destPath) (derivation-builder.cc l.1869-1870)
    case 'replaceValid':
    case 'replaceMoveIn':
    case 'replaceDeleteOld':
      // replaceValidPath: pathExists, movePath, movePath (derivation-builder.cc l.637-649) check nothing; its deletePath(oldPath) does (a job)
      return undefined;
    case 'register':
      // after the move block (lock taken; moved, or our copy of an already valid path deleted) nothing checks until registerValidPaths (derivation-builder.cc l.1853-1948, auto-optimise-store off)
      return step.afterMove ? undefined : SRC.checkDumpPath; // hashing the input-addressed output (derivation-builder.cc l.1782)
  }
}

/** cleanupBuild called by unprepareBuild itself (derivation-builder.cc l.592, l.606), not by a destructor. */
function ownCleanup(outcome: BuildOutcome): boolean {
  return outcome.kind === 'success' || (outcome.kind === 'failure' && outcome.failure === 'builderFailed');
}

/** A multi-output build at an output of registerOutputs' first loop that another output it registers came before. */
function afterAnotherOutput(a: BuildActor): boolean {
  const m = a.multi;
  if (!m) return false;
  return slotsOf(a).some((o, i) => i < m.cur && o.known?.status !== 'valid');
}

/** The upstream check point an interrupt of `a` would stop at right now, or undefined if there is none. */
export function interruptPoint(ctx: Ctx, a: BuildActor): string | undefined {
  switch (a.phase.kind) {
    case 'waiting':
    case 'done':
      return undefined;
    case 'lockOutputs':
      return SRC.checkWorkerRun;
    case 'deleteInvalidOutputs':
      return a.job ? inDeletion(a.job) : undefined;
    case 'acquireUser':
      return SRC.checkBuildLocally; // back in Worker::run (worker.cc l.363)
    case 'createTempDir':
      return SRC.checkCreateTempDir;
    case 'chownToBuilder':
      return undefined; // startBuild: createTempDir's mkdir, then chownToBuilder (derivation-builder.cc l.760-770), no check
    case 'prepareScratch':
      // the scratch-path loop (derivation-builder.cc l.772-825) has none for these outputs; prepareSandbox's deletePath of the chroot (chroot-derivation-builder.cc l.63) does
      return usesChroot(ctx, drvOf(ctx, a.drv)) ? SRC.checkPrepareSandbox : undefined;
    case 'building':
      return a.job ? inDeletion(a.job) : SRC.checkWaitForInput; // while the builder runs
    case 'builderExit':
      return SRC.checkWaitForInput; // before the builder's EOF is handled
    case 'registering':
      if (!a.job && a.phase.step.kind === 'checkOutput' && afterAnotherOutput(a)) {
        // registerOutputs' first loop scans the previous output for references (dumpPath) before it lstats the next
        return SRC.checkDumpPath;
      }
      return a.job ? inDeletion(a.job) : inRegistration(a.phase.step);
    case 'cleanup':
      return a.job && ownCleanup(a.phase.outcome) ? inDeletion(a.job) : undefined;
  }
}
