/**
 * The `<scratch>.tmp` wedge on a real daemon: a floating content-addressed build interrupted
 * while 2.34.8's `registerOutputs` restores the hash-rewritten copy of its output, then retried.
 *
 * The model (seed-487 under the interrupt fault model) finds that an interrupt there leaves a
 * root-owned `<scratch>.tmp` that no later step removes, so every retry fails with "path
 * '<scratch>.tmp' already exists" (NoWedge), also with the series' 0001-0004; upstream's
 * d027dc38e8 (the series' 0005 on 2.34.8) makes the copy in a locked store temp dir that is
 * deleted on unwind. The validation plans cannot schedule this (their gates are in the builder,
 * and this point is in the daemon after the builder has exited), so this check watches the store
 * from outside: the builder writes a large output, the client is killed as soon as the daemon's
 * copy appears (`<scratch>.tmp`, or a new `tmp-*` dir in the store), and the daemon worker, which
 * polls its client's socket, is interrupted in the copy.
 *
 * Where the interrupt lands is reported, not assumed: a run whose interrupt did not land in the
 * copy is inconclusive. Leftovers are removed (as root) at the end, so the root's store does not
 * keep 200 MB per run.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseVariant } from '../../model/nix/variants.js';
import { explore } from '../../model/verify/index.js';
import { seed487 } from '../../sim/scenarios/builtin.js';
import type { Log } from './real-daemon.js';
import { acquireRootDaemonLock, openRootSession, reapStaleRootDaemon, signal, startRootDaemon } from './sid-root.js';

export interface ModelWedge {
  /** The model finds a NoWedge violation under one interrupt in seed-487 (Linux, 2.34.8). */
  readonly wedges: boolean;
  /** Its message, e.g. "clean build of godyn (first build user): path '….tmp' already exists". */
  readonly message: string;
  readonly complete: boolean;
}

/** What the model says for `variant` (exhaustive within the bounds of docs/verification.md). */
export function modelTmpWedge(variant: string): ModelWedge {
  const v = parseVariant(variant);
  if (!v.ok) throw new Error(`unknown variant part '${v.unknown}'`);
  const scenario = { ...seed487, settings: { ...seed487.settings, platform: 'linux' as const, nixVersion: '2.34.8' as const } };
  const r = explore(scenario, { variant: v.variant, faults: ['interrupt'], maxFaults: 1, maxDepth: 200, maxStates: 50_000 });
  const ce = r.counterexamples.find((c) => c.invariant === 'NoWedge');
  return { wedges: ce !== undefined, message: ce?.message ?? '', complete: r.complete };
}

export interface RealWedge {
  /** The client was killed while the daemon's rewrite copy existed, and the copy was left (or cleaned) — i.e. the interrupt landed in the copy. */
  readonly landedInCopy: boolean;
  /** What was left in the store after the interrupted attempt. */
  readonly leftovers: readonly string[];
  /** The two retries: exit status and the last line of the client's stderr. */
  readonly retries: readonly { ok: boolean; last: string }[];
  /** Both retries failed. */
  readonly wedged: boolean;
  readonly notes: readonly string[];
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

const WORK = '/nol/tmp-wedge';
const OUTPUT_BYTES = 200_000_000;

function drvExpr(nonce: string): string {
  return `derivation {
  name = "nol-tmp-wedge-${nonce}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  args = [ "-c" ''
    echo "$out" > ${WORK}/scratch
    /usr/bin/mkdir "$out"
    /usr/bin/head -c ${String(OUTPUT_BYTES)} /dev/zero > "$out/big"
  '' ];
  __contentAddressed = true;
  outputHashMode = "recursive";
  outputHashAlgo = "sha256";
}
`;
}

/** Runs the check on the daemon at `binInside` (a dir inside the root). Takes the root daemon lock. */
export async function realTmpWedge(rootPath: string, binInside: string, log: Log): Promise<RealWedge> {
  const lock = await acquireRootDaemonLock(1800, log);
  const notes: string[] = [];
  const host = (p: string): string => path.join(rootPath, p);
  let leftovers: string[] = [];
  const built: string[] = [];
  try {
    await reapStaleRootDaemon(log);
    const s = await openRootSession(rootPath, log);
    try {
      rmSync(host(WORK), { recursive: true, force: true });
      mkdirSync(host(`${WORK}/conf`), { recursive: true });
      chmodSync(host(WORK), 0o777); // the builder (a build user) writes its $out there
      writeFileSync(host(`${WORK}/conf/nix.conf`), ['build-users-group = nixbld', 'sandbox = false', 'experimental-features = nix-command ca-derivations', 'substituters =', ''].join('\n'));
      writeFileSync(host(`${WORK}/conf/user.conf`), '');
      const nonce = String(Date.now());
      writeFileSync(host(`${WORK}/wedge.nix`), drvExpr(nonce));
      const confEnv = { NIX_CONF_DIR: `${WORK}/conf`, NIX_USER_CONF_FILES: `${WORK}/conf/user.conf` };
      const daemon = await startRootDaemon(s, { confEnv, key: 'tmp-wedge', logFile: host(`${WORK}/daemon.log`), binary: `${binInside}/nix-daemon`, extraEnv: { NIX_BIN_DIR: binInside } }, log);
      try {
        const store = host('/nix/store');
        const tmpDirs = (): Set<string> => new Set(readdirSync(store).filter((n) => /^tmp-/.test(n)));
        const before = tmpDirs();
        const client = await s.spawn(['nix-build', `${WORK}/wedge.nix`, '--no-out-link'], { env: daemon.clientEnv, stdio: ['ignore', 'pipe', 'pipe'] });
        let clientErr = '';
        client.child.stderr?.on('data', (d: Buffer) => (clientErr += d.toString()));
        let done = false;
        void client.exit.then(() => (done = true));
        let scratch = '';
        let seen = '';
        for (let i = 0; i < 60_000 && !done && seen === ''; i++) {
          if (scratch === '' && existsSync(host(`${WORK}/scratch`))) scratch = readFileSync(host(`${WORK}/scratch`), 'utf8').trim();
          if (scratch !== '' && existsSync(host(`${scratch}.tmp`))) seen = `${scratch}.tmp`;
          const fresh = [...tmpDirs()].filter((n) => !before.has(n));
          if (scratch !== '' && fresh.length > 0) seen = `/nix/store/${fresh[0] ?? ''}`;
          if (seen === '') await sleep(5);
        }
        if (seen === '') {
          notes.push(`the first attempt ended (${done ? 'client exited' : 'timeout'}) before the daemon's rewrite copy was seen: inconclusive; client: ${clientErr.trim().split('\n').pop() ?? ''}`);
        } else {
          log(`tmp-wedge: the rewrite copy ${seen} exists: killing the client (PID ${String(client.proc.pid)})`);
          signal(client.proc, 'SIGKILL');
        }
        await client.exit;
        // The worker notices the closed socket, unwinds and exits; wait for it.
        const children = `/proc/${String(daemon.proc.pid)}/task/${String(daemon.proc.pid)}/children`;
        for (let i = 0; i < 600 && existsSync(children) && readFileSync(children, 'utf8').trim() !== ''; i++) await sleep(100);
        if (scratch === '') scratch = existsSync(host(`${WORK}/scratch`)) ? readFileSync(host(`${WORK}/scratch`), 'utf8').trim() : '';
        const fresh = [...tmpDirs()].filter((n) => !before.has(n)).map((n) => `/nix/store/${n}`);
        leftovers = [scratch, `${scratch}.tmp`, ...fresh].filter((p) => p !== '' && existsSync(host(p)));
        const describe = (p: string): string => {
          const st = statSync(host(p));
          return `${p} (${st.isDirectory() ? 'dir' : 'file'}, uid ${String(st.uid)}, mode ${(st.mode & 0o7777).toString(8)})`;
        };
        // Described now: a retry may remove them (0001 deletes a stale scratch path).
        const described = leftovers.map(describe);
        log(`tmp-wedge: after the interrupt: ${described.join('; ') || 'nothing left'}`);
        const landed = seen !== '' && (leftovers.includes(`${scratch}.tmp`) || seen.startsWith('/nix/store/tmp-'));
        const retries: { ok: boolean; last: string }[] = [];
        for (let i = 0; i < 2; i++) {
          const r = s.run(['nix-build', `${WORK}/wedge.nix`, '--no-out-link'], { timeoutSec: 900, env: daemon.clientEnv });
          const last = r.stderr.trim().split('\n').filter((l) => /error|already exists|denied/i.test(l)).pop() ?? r.stdout.trim().split('\n').pop() ?? '';
          retries.push({ ok: r.status === 0, last });
          log(`tmp-wedge: retry ${String(i + 1)}: ${r.status === 0 ? 'built' : 'FAILED'}: ${last}`);
          if (r.status === 0) built.push(r.stdout.trim());
        }
        return { landedInCopy: landed, leftovers: described, retries, wedged: retries.every((r) => !r.ok), notes };
      } finally {
        // Valid outputs through the daemon; then, as root, the invalid leftovers (what a user
        // would have to do by hand), so the root's store does not keep 200 MB per run.
        if (built.length > 0) s.run(['nix-store', '--delete', ...built], { timeoutSec: 300, env: daemon.clientEnv });
        await daemon.stop();
        for (const p of leftovers) if (p.startsWith('/nix/store/') && !built.includes(p)) rmSync(host(p), { recursive: true, force: true }); // force: a retry may have removed it
      }
    } finally {
      await s.close();
    }
  } finally {
    await lock.release();
  }
}
