/**
 * The model against the real Linux kernel: random syscall sequences by root and three unprivileged
 * users, each call and the final tree compared. Needs root (the oracle's workers change uid);
 * otherwise reported as skipped. `npm run fscheck -- --runs N` runs longer campaigns.
 */
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { Kernel, ROOT, type Creds, type FsResult } from '../../model/fs/index.js';
import { sequenceArb } from '../arbitraries/fs-ops.js';
import { canRunOracle, Oracle } from './oracle.js';
import { holdSettings } from './sysctl.js';
import { runSequence } from './sequence.js';

const runnable = canRunOracle();
const why = runnable ? '' : ' [skipped: needs root on Linux to run oracle workers as other uids]';
const maybe = runnable ? test : test.skip;

/** A planted bug: the sticky bit is ignored (an EPERM is retried as root). */
class StickyBlindKernel extends Kernel {
  private retry(r: FsResult<void>, asRoot: () => FsResult<void>): FsResult<void> {
    return !r.ok && r.error.errno === 'EPERM' ? asRoot() : r;
  }
  override unlink(c: Creds, path: string): FsResult<void> {
    return this.retry(super.unlink(c, path), () => super.unlink(ROOT, path));
  }
  override rename(c: Creds, from: string, to: string): FsResult<void> {
    return this.retry(super.rename(c, from, to), () => super.rename(ROOT, from, to));
  }
  override rmdir(c: Creds, path: string): FsResult<void> {
    return this.retry(super.rmdir(c, path), () => super.rmdir(ROOT, path));
  }
}

describe('differential: model vs the Linux kernel', () => {
  let oracle: Oracle | undefined;
  // the model is set up like the machine's fs.protected_* sysctls, which a rule case may set for
  // itself in another test file (NOL_SET_SYSCTL=1): hold them steady for this file's sequences
  let release = (): void => undefined;
  beforeAll(async () => {
    if (!runnable) return;
    release = await holdSettings();
    oracle = await Oracle.start();
  });
  afterAll(() => {
    oracle?.stop();
    release();
  });

  // At least 1,000 sequences in every run; FC_NUM_RUNS (test/fc-setup.ts) can only raise it.
  const numRuns = Math.max(1000, Number(process.env['FC_NUM_RUNS'] ?? 0));
  maybe.prop([sequenceArb], { numRuns })(`should agree with Linux on every call and on the final tree${why}`, async (ops) => {
    if (!oracle) throw new Error('oracle not started');
    const divergence = await runSequence(oracle, ops);
    if (divergence) throw new Error(`model and Linux diverge:\n${divergence.report}`);
  });

  maybe(`should detect a planted bug (sticky bit ignored)${why}`, async () => {
    const o = oracle;
    if (!o) throw new Error('oracle not started');
    const found = await fc.check(
      fc.asyncProperty(sequenceArb, async (ops) => (await runSequence(o, ops, undefined, () => new StickyBlindKernel())) === null),
      { numRuns: 300, seed: 42, endOnFailure: true },
    );
    expect(found.failed).toBe(true);
  });
});
