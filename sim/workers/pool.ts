/**
 * Independent cells (one scenario, variant and fault model each) explored on every core: a pool of
 * worker threads, each exploring whole cells. The caller stays synchronous: it blocks on a shared
 * counter the workers bump after each answer and drains their ports with receiveMessageOnPort, so
 * the CLI's commands need not become async. A cell's result does not depend on which thread ran it.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import type { FaultKind, Scenario } from '../../model/nix/index.js';
import type { Cell } from '../verdicts.js';
import { exploreCell } from '../verdicts.js';

/** What a cell needs besides the clock (each thread reads its own). */
export interface CellConfig {
  readonly maxDepth: number;
  readonly maxStates: number;
  readonly maxFaults: number;
  readonly maxSeconds?: number;
}

export interface CellTask {
  readonly index: number;
  readonly scenario: Scenario;
  readonly variant: string;
  readonly fault: FaultKind;
  readonly cfg: CellConfig;
}

export interface WorkerData {
  readonly entry: string;
  readonly done: SharedArrayBuffer;
}

type Reply = { readonly index: number; readonly cell: Cell } | { readonly index: number; readonly error: string };

/** Threads to use when the caller does not say: one per core, never more than there are cells. */
export function defaultJobs(cells: number): number {
  return Math.max(1, Math.min(availableParallelism(), cells));
}

/** The worker's module and the entry a new thread runs (through tsx's loader when the sources are TypeScript). */
function workerFiles(): { boot: URL; entry: string } {
  const ts = import.meta.url.endsWith('.ts');
  const entry = new URL(ts ? './cell-worker.ts' : './cell-worker.js', import.meta.url);
  return { boot: ts ? new URL('./boot.js', import.meta.url) : entry, entry: entry.href };
}

/**
 * Explores `tasks` on `jobs` threads and returns their cells in task order. With one job (or one
 * task) it explores in this thread, as the sequential code did, unless `workers` asks for worker
 * threads anyway (a benchmark comparing pools of 1 and 2 threads, both started cold).
 */
export function exploreCellsOn(jobs: number, tasks: readonly Omit<CellTask, 'index'>[], now: () => number, workers = false): Cell[] {
  if (!workers && (jobs <= 1 || tasks.length <= 1)) return tasks.map((t) => exploreCell(t.scenario, t.variant, t.fault, { ...t.cfg, now }));
  const done = new SharedArrayBuffer(4);
  const counter = new Int32Array(done);
  const { boot, entry } = workerFiles();
  const n = Math.max(1, Math.min(jobs, tasks.length));
  const threads: { worker: Worker; port: MessagePort }[] = [];
  for (let i = 0; i < n; i++) {
    const { port1, port2 } = new MessageChannel();
    const data = { entry, done, port: port2 };
    threads.push({ worker: new Worker(boot, { workerData: data, transferList: [port2] }), port: port1 });
  }
  const out: (Cell | undefined)[] = new Array<Cell | undefined>(tasks.length);
  let next = 0;
  let finished = 0;
  const send = (port: MessagePort): void => {
    const t = tasks[next];
    port.postMessage(t ? { ...t, index: next++ } : null);
  };
  try {
    for (const t of threads) send(t.port);
    while (finished < tasks.length) {
      const seen = Atomics.load(counter, 0);
      let got = false;
      for (const t of threads) {
        for (let m = receiveMessageOnPort(t.port); m; m = receiveMessageOnPort(t.port)) {
          const r = m.message as Reply;
          if ('error' in r) throw new Error(`a cell worker failed: ${r.error}`);
          out[r.index] = r.cell;
          finished++;
          got = true;
          send(t.port);
        }
      }
      if (!got) Atomics.wait(counter, 0, seen, 1000);
    }
  } finally {
    for (const t of threads) {
      t.port.close();
      void t.worker.terminate();
    }
  }
  return out.map((c, i) => {
    if (!c) throw new Error(`cell pool bug: no result for task ${String(i)}`);
    return c;
  });
}
