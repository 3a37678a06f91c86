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
import type { ExploreResult, LevelReport, NextLevel } from '../../model/verify/index.js';
import { LevelMerge } from '../../model/verify/index.js';

/** The most threads one cell may be split across (more than any machine here has cores). */
export const MAX_SPLIT = 64;

export interface SplitWorkerData {
  readonly entry: string;
  readonly done: SharedArrayBuffer;
  readonly index: number;
  readonly parts: number;
}

/** The cell a pool's workers explore next (plain data: it crosses threads). */
export interface CellSpec {
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
  /** A new cell: its first level. */
  readonly cell?: CellSpec;
  /** Every later level: which of its finds are the level's states, and what to hand over. */
  readonly next?: NextLevel;
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

/**
 * Worker threads that explore cells one at a time, each cell split among all of them by hash.
 * Starting a thread costs more than a small cell (it loads the model), so one pool serves every
 * cell of a run; close() ends its threads.
 */
export class SplitPool {
  private readonly done = new SharedArrayBuffer(4);
  private readonly counter = new Int32Array(this.done);
  private readonly workers: { readonly worker: Worker; readonly port: MessagePort }[];

  constructor(readonly threads: number) {
    if (!Number.isInteger(threads) || threads < 2 || threads > MAX_SPLIT) throw new Error(`a split pool needs 2 to ${String(MAX_SPLIT)} threads, not ${String(threads)}`);
    const { boot, entry } = workerFiles();
    const links = Array.from({ length: threads }, () => Array.from({ length: threads }, () => null as MessagePort | null));
    for (let i = 0; i < threads; i++) {
      for (let j = i + 1; j < threads; j++) {
        const { port1, port2 } = new MessageChannel();
        (links[i] as (MessagePort | null)[])[j] = port1;
        (links[j] as (MessagePort | null)[])[i] = port2;
      }
    }
    this.workers = links.map((peers, index) => {
      const { port1, port2 } = new MessageChannel();
      const data: SplitWorkerData & { port: MessagePort; peers: (MessagePort | null)[] } = { entry, done: this.done, index, parts: threads, port: port2, peers };
      const mine = peers.filter((p): p is MessagePort => p !== null);
      return { worker: new Worker(boot, { workerData: data, transferList: [port2, ...mine] }), port: port1 };
    });
  }

  /** Explores one cell across every thread of the pool: explore's answer. */
  explore(cell: SplitCell): ExploreResult {
    const deadline = cell.maxSeconds === undefined ? undefined : Date.now() + cell.maxSeconds * 1000;
    const task: CellSpec = {
      scenario: cell.scenario, variant: cell.variant, faults: [cell.fault], maxFaults: cell.maxFaults, maxDepth: cell.maxDepth,
      ...(deadline === undefined ? {} : { deadline }),
    };
    const merge = new LevelMerge(cell.maxStates, this.threads);
    // every worker builds the initial state; only its owner starts with it, as rank 0
    let next: NextLevel[] | null = [];
    for (let level = 0; next; level++) {
      const given: NextLevel[] = next;
      this.workers.forEach((w, i) => {
        w.port.postMessage((level === 0 ? { level, cell: task } : { level, ...(given[i] ? { next: given[i] } : {}) }) satisfies LevelCommand);
      });
      const replies = this.collect();
      next = merge.merge(
        replies.map((r) => r.report),
        replies.map((r) => r.keys),
      );
    }
    return merge.result();
  }

  /** Waits for one reply from every worker, in worker order. */
  private collect(): { report: LevelReport; keys: number[] }[] {
    const replies: ({ report: LevelReport; keys: number[] } | undefined)[] = this.workers.map(() => undefined);
    let missing = this.workers.length;
    while (missing > 0) {
      const seen = Atomics.load(this.counter, 0);
      let got = false;
      this.workers.forEach((w, i) => {
        for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
          const r = m.message as Reply;
          if ('error' in r) throw new Error(`a split-cell worker failed: ${r.error}`);
          replies[i] = r;
          missing--;
          got = true;
        }
      });
      if (!got) Atomics.wait(this.counter, 0, seen, 1000);
    }
    return replies as { report: LevelReport; keys: number[] }[];
  }

  close(): void {
    for (const w of this.workers) {
      w.port.close();
      void w.worker.terminate();
    }
  }
}

/** Explores one cell on `threads` worker threads (2 or more), its states split among them by hash. */
export function exploreSplit(cell: SplitCell, threads: number): ExploreResult {
  const pool = new SplitPool(threads);
  try {
    return pool.explore(cell);
  } finally {
    pool.close();
  }
}
