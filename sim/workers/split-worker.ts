/**
 * One worker of a cell split by state hash (split-cell.ts): it holds one Partition, expands its
 * part of each level when the coordinator says so, ships successors to their owners over its peer
 * ports, and once every peer's batch for the level is in, answers with its report and new keys.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { parseVariant } from '../../model/nix/index.js';
import type { Shipped } from '../../model/verify/partition.js';
import { Partition } from '../../model/verify/partition.js';
import type { LevelCommand, SplitWorkerData } from './split-cell.js';

const data = workerData as SplitWorkerData & { port: MessagePort; peers: (MessagePort | null)[] };
const counter = new Int32Array(data.done);
const wake = (): void => {
  // the coordinator may be blocked in Atomics.wait rather than in an event loop
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
};
const fail = (e: unknown): void => {
  data.port.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  wake();
};

let partition: Partition | undefined;
let level = -1;
let deadline: number | undefined;
let expanded = false;
let report: unknown;
/** Batches from peers, by level: a peer may ship level n+1 before this thread has taken its own command for it. */
const pending = new Map<number, Shipped[][]>();

function finishLevel(): void {
  const got = pending.get(level) ?? [];
  if (!partition || !expanded || got.length < data.parts - 1) return;
  pending.delete(level);
  for (const items of got) partition.receive(items);
  const keys = partition.settle();
  expanded = false;
  data.port.postMessage({ report, keys });
  wake();
}

data.port.on('message', (cmd: LevelCommand | null) => {
  if (cmd === null) {
    data.port.close();
    for (const p of data.peers) p?.close();
    return;
  }
  try {
    if (cmd.cell) {
      const c = cmd.cell;
      const v = parseVariant(c.variant, []);
      if (!v.ok) throw new Error(`unknown variant ${v.unknown}`);
      partition = new Partition(c.scenario, { variant: v.variant, faults: c.faults, maxFaults: c.maxFaults, maxDepth: c.maxDepth }, data.index, data.parts);
      deadline = c.deadline;
    } else partition?.advance();
    if (!partition) throw new Error('split-cell bug: a level before any cell');
    level = cmd.level;
    const until = deadline;
    const { report: r, outbox } = partition.expand(cmd.level, cmd.ranks, until === undefined ? undefined : () => Date.now() > until);
    data.peers.forEach((p, i) => p?.postMessage({ level: cmd.level, items: outbox[i] ?? [] }));
    partition.receive(outbox[data.index] ?? []);
    report = r;
    expanded = true;
    finishLevel();
  } catch (e) {
    fail(e);
  }
});

for (const p of data.peers) {
  p?.on('message', (m: { level: number; items: Shipped[] }) => {
    const got = pending.get(m.level) ?? [];
    got.push(m.items);
    pending.set(m.level, got);
    try {
      if (m.level === level) finishLevel();
    } catch (e) {
      fail(e);
    }
  });
}
parentPort?.postMessage('ready');
