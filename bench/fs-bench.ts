/**
 * What exploration costs in the fs kernel: snapshot, restore and hash on 50- and 500-entry trees,
 * against syscalls, and against copying the same tree into memfs (the cost a memfs-backed snapshot
 * would pay). Run: npx tsx bench/fs-bench.ts. Figures are ops/second on this machine; no test asserts them.
 */
import { createKernel, populateOrThrow, ROOT, creds, type Kernel, type TreeEntry } from '../model/fs/index.js';
import { hashState } from '../model/fs/snapshot.js';
import type { FsState } from '../model/fs/store.js';

/** `/nix/store` with `n` entries in all: store paths of one directory and four files each. */
function storeTree(n: number): TreeEntry[] {
  const out: TreeEntry[] = [
    { path: '/', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
    { path: '/nix', kind: 'dir', mode: 0o755, uid: 0, gid: 0 },
    { path: '/nix/store', kind: 'dir', mode: 0o1775, uid: 0, gid: 30000 },
    { path: '/tmp', kind: 'dir', mode: 0o1777, uid: 0, gid: 0 },
  ];
  for (let i = 0; out.length < n; i++) {
    const dir = `/nix/store/${String(i).padStart(4, '0')}-pkg`;
    out.push({ path: dir, kind: 'dir', mode: 0o555, uid: 0, gid: 0 });
    for (let j = 0; j < 4 && out.length < n; j++) out.push({ path: `${dir}/f${j}`, kind: 'file', mode: 0o444, uid: 0, gid: 0, content: `content ${i}.${j}` });
  }
  return out;
}

function kernelWith(n: number): Kernel {
  const k = createKernel();
  populateOrThrow(k, storeTree(n));
  return k;
}

/** Runs `fn` for about `ms` after a warm-up and returns calls per second. */
function opsPerSec(fn: () => void, ms = 250): number {
  for (let i = 0; i < 200; i++) fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) fn();
    calls += 50;
    now = performance.now();
  }
  return calls / ((now - start) / 1000);
}

/** The state a snapshot holds; the bench reaches past the opaque type to time the uncached hash. */
const stateOf = (k: Kernel): FsState => (k.snapshot() as unknown as { state: FsState }).state;

export async function runFsBench(): Promise<Record<string, number>> {
  const alice = creds(30001, 30000);
  const r: Record<string, number> = {};
  const k0 = kernelWith(50);
  r['stat (1 syscall)'] = opsPerSec(() => { k0.stat(alice, '/nix/store/0003-pkg/f2'); });
  r['chmod (1 mutating syscall)'] = opsPerSec(() => { k0.chmod(ROOT, '/nix/store/0003-pkg/f2', 0o444); });
  r['create+unlink pair'] = opsPerSec(() => { k0.writeFile(alice, '/tmp/x', 'x'); k0.unlink(alice, '/tmp/x'); });
  for (const n of [50, 500]) {
    const k = kernelWith(n);
    const snap = k.snapshot();
    const state = stateOf(k);
    r[`snapshot (${n} entries)`] = opsPerSec(() => { k.snapshot(); });
    r[`restore (${n} entries)`] = opsPerSec(() => { k.restore(snap); });
    r[`hash uncached (${n} entries)`] = opsPerSec(() => { hashState(state); });
    r[`hash memoised (${n} entries)`] = opsPerSec(() => { k.hash(); });
    r[`tree listing (${n} entries)`] = opsPerSec(() => { k.tree(); });
    r[`memfs copy (${n} entries)`] = opsPerSec(() => { k.toVolume(); }, 400);
  }
  return Promise.resolve(r);
}

function table(r: Record<string, number>): string[] {
  const base = r['chmod (1 mutating syscall)'] ?? 1;
  const rows = Object.entries(r).map(([name, ops]) => [name, Math.round(ops).toLocaleString('en'), (1e6 / ops).toFixed(2), (base / ops).toFixed(1)]);
  const head = ['operation', 'ops/s', 'µs/op', '× chmod'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), ...rows.map(line)];
}

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const r = await runFsBench();
  console.log(table(r).join('\n'));
}
