/**
 * One worker of a cell split by state hash (split-cell.ts): it holds one Partition. For each level
 * the coordinator sends, it takes its share (handing states over to peers, or waiting for theirs),
 * expands it, claims every successor at its owner over the peer ports, and once every peer's
 * claims are in, answers with its report and the keys of the new states it owns.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { parseVariant } from '../../model/nix/index.js';
import type { Claim, LevelReport, Moved } from '../../model/verify/index.js';
import { Partition } from '../../model/verify/index.js';
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

type PeerMessage = { readonly level: number; readonly kind: 'give'; readonly items: Moved[] } | { readonly level: number; readonly kind: 'claims'; readonly items: Claim[] };

let partition: Partition | undefined;
let deadline: number | undefined;
/** Where this thread is in the current level. */
let stage: { readonly level: number; readonly waitFor: 'give'; readonly from: readonly number[] } | { readonly level: number; readonly waitFor: 'claims'; readonly report: LevelReport } | undefined;
/** Peer messages by level and kind: a peer may be a step ahead of this thread. */
const pending = new Map<string, PeerMessage[]>();
const slot = (level: number, kind: string): PeerMessage[] => {
  const k = `${String(level)}:${kind}`;
  let got = pending.get(k);
  if (!got) pending.set(k, (got = []));
  return got;
};

function step(): void {
  if (!partition || !stage) return;
  if (stage.waitFor === 'give') {
    const got = slot(stage.level, 'give');
    if (got.length < stage.from.length) return;
    pending.delete(`${String(stage.level)}:give`);
    for (const m of got) if (m.kind === 'give') partition.accept(m.items);
    expand(stage.level);
  }
  if (stage.waitFor !== 'claims') return;
  const got = slot(stage.level, 'claims');
  if (got.length < data.parts - 1) return;
  pending.delete(`${String(stage.level)}:claims`);
  for (const m of got) if (m.kind === 'claims') partition.receive(m.items);
  const keys = partition.settle();
  data.port.postMessage({ report: stage.report, keys });
  stage = undefined;
  wake();
}

function expand(level: number): void {
  if (!partition) return;
  const until = deadline;
  const { report, claims } = partition.expand(level, until === undefined ? undefined : () => Date.now() > until);
  data.peers.forEach((p, i) => p?.postMessage({ level, kind: 'claims', items: claims[i] ?? [] } satisfies PeerMessage));
  partition.receive(claims[data.index] ?? []);
  stage = { level, waitFor: 'claims', report };
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
      expand(cmd.level);
    } else if (cmd.next && partition) {
      const moved = partition.next(cmd.next);
      moved.forEach((items, i) => {
        if (items.length > 0) data.peers[i]?.postMessage({ level: cmd.level, kind: 'give', items } satisfies PeerMessage);
      });
      stage = { level: cmd.level, waitFor: 'give', from: cmd.next.from };
    } else throw new Error('split-cell bug: a level before any cell');
    step();
  } catch (e) {
    fail(e);
  }
});

for (const p of data.peers) {
  p?.on('message', (m: PeerMessage) => {
    slot(m.level, m.kind).push(m);
    try {
      step();
    } catch (e) {
      fail(e);
    }
  });
}
parentPort?.postMessage('ready');
