/**
 * Nix's own functional tests (tests/functional, `meson test`) in the build dir of
 * scripts/lib/nix-source-build.ts, run inside the sid root against the stage the build dir is at.
 *
 * They run as root in the root, with the harness's own local store under the build dir
 * (`sandbox = false`, no build users: tests/functional/common/init.sh), not against a daemon.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Log } from './real-daemon.js';
import { BUILD_CACHE, BUILD_DIR, INSIDE, type SeriesPatch } from './nix-source-build.js';
import type { RootSession } from './sid-root.js';

/** One meson test: its suite (`ca`, `main`) and name (the script without `.sh`). */
export interface FunctionalTest {
  readonly suite: string;
  readonly name: string;
}

export const testId = (t: FunctionalTest): string => `${t.suite}/${t.name}`;

/**
 * The functional tests a patch adds: new `tests/functional/[<suite>/]<name>.sh` files that the
 * same patch registers in a meson.build (`+    '<name>.sh',`).
 */
export function newTestsOf(p: SeriesPatch): FunctionalTest[] {
  const added = [...p.text.matchAll(/^diff --git a\/tests\/functional\/(\S+)\.sh b\/\S+\nnew file mode/gm)].map((m) => m[1] ?? '');
  const registered = new Set([...p.text.matchAll(/^\+\s+'([^']+)\.sh',\s*$/gm)].map((m) => m[1] ?? ''));
  return added
    .map((rel) => {
      const parts = rel.split('/');
      return parts.length === 1 ? { suite: 'main', name: parts[0] ?? '' } : { suite: parts[0] ?? '', name: parts.slice(1).join('/') };
    })
    .filter((t) => registered.has(t.name));
}

/** Store and GC tests of the main suite, run on the patched build to show no regression. */
export const STORE_GC_TESTS: readonly FunctionalTest[] = [
  'gc',
  'gc-auto',
  'gc-concurrent',
  'gc-runtime',
  'gc-non-blocking',
  'nix-collect-garbage-d',
  'selfref-gc',
  'check',
  'repair',
  'build',
  'store-info',
  'optimise-store',
].map((name) => ({ suite: 'main', name }));

export type TestResult = 'OK' | 'FAIL' | 'SKIP' | 'TIMEOUT' | 'ERROR' | 'EXPECTEDFAIL' | 'UNEXPECTEDPASS' | 'MISSING';

export interface TestOutcome {
  readonly test: FunctionalTest;
  readonly result: TestResult;
  readonly seconds: number;
  /** The last lines of the test's output (why it failed), for FAIL and ERROR. */
  readonly tail: string;
}

interface TestLogLine {
  name?: string;
  result?: string;
  duration?: number;
  suite?: string[];
  stdout?: string;
  stderr?: string;
}

/**
 * `meson test` for `tests` in the build dir, as the build dir is now. `logbase` names the
 * result file (<build dir>/meson-logs/<logbase>.json). A test that meson does not know is MISSING.
 */
export function runFunctionalTests(s: RootSession, tests: readonly FunctionalTest[], logbase: string, opts: { jobs: number; nice: number; timeoutSec: number }, log: Log): TestOutcome[] {
  const out: TestOutcome[] = [];
  const bySuite = new Map<string, string[]>();
  for (const t of tests) bySuite.set(t.suite, [...(bySuite.get(t.suite) ?? []), t.name]);
  for (const [suite, names] of bySuite) {
    const base = `${logbase}-${suite}`;
    const argv = ['nice', '-n', String(opts.nice), 'meson', 'test', '-C', `${INSIDE}/${BUILD_DIR}`, '--no-rebuild', '--num-processes', String(opts.jobs), '--logbase', base, '--suite', suite, ...names.map((n) => `nix-functional-tests:${n}`)];
    log(`meson test --suite ${suite} ${names.join(' ')} (${logbase})`);
    const t0 = Date.now();
    // As in upstream's builds, which run inside a Nix build environment (stdenv sets NIX_STORE;
    // tests/functional/common/vars.sh reads it, and then leaves the sandbox tests out).
    const r = s.run(argv, { timeoutSec: opts.timeoutSec, env: { NIX_STORE: '/nix/store' } });
    log(`meson test --suite ${suite}: exit ${String(r.status)} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const file = path.join(BUILD_CACHE, BUILD_DIR, 'meson-logs', `${base}.json`);
    const lines: TestLogLine[] = existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as TestLogLine)
      : [];
    for (const name of names) {
      const got = lines.find((l) => l.name === `${suite} - nix-functional-tests:${name}`);
      const result = (got?.result ?? 'MISSING') as TestResult;
      const output = `${got?.stdout ?? ''}\n${got?.stderr ?? ''}`.trim();
      const tail = result === 'FAIL' || result === 'ERROR' || result === 'TIMEOUT' ? output.split('\n').slice(-12).join('\n') : '';
      out.push({ test: { suite, name }, result, seconds: got?.duration ?? 0, tail });
    }
  }
  return out;
}
