import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildInjector, injectorSelfCheck, noNamespacesSelfCheck } from '../../scripts/lib/fault-plans.js';

const gcc = process.platform === 'linux' && spawnSync('gcc', ['--version']).status === 0;

// The injector is Linux + glibc; validate:faults installs gcc when it is missing, this test only uses one that is there.
describe.skipIf(!gcc)('the fault injector (sim/repro/fault-inject.c) on this machine', () => {
  const cache = mkdtempSync(join(tmpdir(), 'nol-inject-test-'));
  afterAll(() => {
    rmSync(cache, { recursive: true, force: true });
  });
  it.skipIf(spawnSync('python3', ['--version']).status !== 0)('holds a process at the named call, kills it there, or lets it go on, whether libc or syscall(2) makes it', async () => {
    const so = buildInjector(cache, () => undefined);
    // throws, naming what did not happen, unless: held after the 2nd mkdir (and the 2nd file openat2
    // creates) with A,B made and C not, killed there by SIGKILL with C never made; held before it and
    // released, all three made; a fchmodat2 held as chmod
    expect(await injectorSelfCheck(so)).toMatch(/held after the 2nd mkdir, and after the 2nd file created by openat2 through syscall\(2\).*fchmodat2 through syscall\(2\) held as chmod$/);
  });
  it.skipIf(spawnSync('python3', ['--version']).status !== 0)('with NOL_NO_NAMESPACES=1 fails mount(2) with EPERM, and passes it through without', () => {
    const so = buildInjector(cache, () => undefined);
    // throws unless mount(2) on a missing target gives ENOENT with the mode off and EPERM with it on
    // (and, as root with unshare(1), unless `unshare --mount true` works without the mode and fails with it)
    expect(noNamespacesSelfCheck(so)).toMatch(/ENOENT with the mode off and EPERM with it on/);
  });
  it('is built once per source: the same object comes back from the cache', () => {
    expect(buildInjector(cache, () => undefined)).toBe(buildInjector(cache, () => undefined));
  });
});
