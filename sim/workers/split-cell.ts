/**
 * One cell explored by several worker threads, its states split among them by hash
 * (model/verify/partition.ts): level by level, this thread tells every worker to expand its part,
 * waits for each one's report and new keys, merges them into explore's counts and first
 * violations, and hands back the ranks of the next level. Like the cell pool it stays synchronous
 * (blocked on a shared counter, draining ports with receiveMessageOnPort), so commands need not be
 * async. Its answer is explore's, for any number of threads.
 */
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { FaultKind, Scenario } from '../../model/nix/index.js';
import type { ExploreResult } from '../../model/verify/index.js';
import type { LevelReport } from '../../model/verify/partition.js';
import { LevelMerge } from '../../model/verify/partition.js';

/** The most threads one cell may be split across (more than any machine here has cores). */
export const MAX_SPLIT = 64;

export interface SplitWorkerData {
  readonly entry: string;
  readonly done: SharedArrayBuffer;
  readonly index: number;
  readonly parts: number;
  readonly scenario: Scenario;
  readonly variant: string;
  readonly faults: readonly FaultKind[];
  readonly maxFaults: number;
  readonly maxDepth: number;
  /** Date.now() after which the search stops (each thread has its own performance clock, not its own wall clock). */
  readonly deadline?: number;
}

/** What the coordinator sends a worker for each level (null: stop). */
export interface LevelCommand {
  readonly level: number;
  readonly ranks: readonly number[];
  /** Take the last level's new states as the frontier first (false for the first level). */
  readonly advance: boolean;
}

type Reply = { readonly report: LevelReport; readonly keys: number[] } | { readonly error: string };

function workerFiles(): { boot: URL; entry: string } {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(ts ? './split-worker.ts' : './split-worker.js', import.meta.url);
  return { boot: ts ? new URL('./boot.js', import.meta.url) : entry, entry: entry.href };
}

export interface SplitCell {
  readonly scenario: Scenario;
  readonly variant: string;
  readonly fault: FaultKind;
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly maxFaults: number;
  readonly maxSeconds?: number;
}

/** Explores one cell on `threads` worker threads (2 or more), its states split among them by hash. */
export function exploreSplit(cell: SplitCell, threads: number): ExploreResult {
  const done = new SharedArrayBuffer(4);
  const counter = new Int32Array(done);
  const { boot, entry } = workerFiles();
  const links = Array.from({ length: threads }, () => Array.from({ length: threads }, () => null as MessagePort | null));
  for (let i = 0; i < threads; i++) {
    for (let j = i + 1; j < threads; j++) {
      const { port1, port2 } = new MessageChannel();
      (links[i] as (MessagePort | null)[])[j] = port1;
      (links[j] as (MessagePort | null)[])[i] = port2;
    }
  }
  const deadline = cell.maxSeconds === undefined ? undefined : Date.now() + cell.maxSeconds * 1000;
  const workers = links.map((peers, index) => {
    const { port1, port2 } = new MessageChannel();
    const data = {
      entry, done, index, parts: threads, scenario: cell.scenario, variant: cell.variant, faults: [cell.fault],
      maxFaults: cell.maxFaults, maxDepth: cell.maxDepth, ...(deadline === undefined ? {} : { deadline }), port: port2, peers,
    };
    const mine = peers.filter((p): p is MessagePort => p !== null);
    return { worker: new Worker(boot, { workerData: data, transferList: [port2, ...mine] }), port: port1 };
  });
  const merge = new LevelMerge(cell.maxStates);
  try {
    // every worker builds the initial state; only its owner starts with it, as rank 0
    let ranks: number[][] | null = workers.map(() => [0]);
    for (let level = 0; ranks; level++) {
      const given: number[][] = ranks;
      workers.forEach((w, i) => { w.port.postMessage({ level, ranks: given[i] ?? [], advance: level > 0 } satisfies LevelCommand); });
      const replies: (Reply | undefined)[] = workers.map(() => undefined);
      let missing = workers.length;
      while (missing > 0) {
        const seen = Atomics.load(counter, 0);
        let got = false;
        workers.forEach((w, i) => {
          for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
            const r = m.message as Reply;
            if ('error' in r) throw new Error(`a split-cell worker failed: ${r.error}`);
            replies[i] = r;
            missing--;
            got = true;
          }
        });
        if (!got) Atomics.wait(counter, 0, seen, 1000);
      }
      const ok = replies as { report: LevelReport; keys: number[] }[];
      ranks = merge.merge(
        ok.map((r) => r.report),
        ok.map((r) => r.keys),
      );
    }
  } finally {
    for (const w of workers) {
      w.port.close();
      void w.worker.terminate();
    }
  }
  return merge.result();
}
