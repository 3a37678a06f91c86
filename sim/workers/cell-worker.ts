/**
 * One worker of the cell pool: explores the cells it is sent, one at a time, and answers each with
 * its Cell. It reads its own clock for a cell's time bound (functions do not cross threads).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { exploreCell } from '../verdicts.js';
import type { CellTask, WorkerData } from './pool.js';

const { port, done } = workerData as WorkerData & { port: MessagePort };
const counter = new Int32Array(done);
port.on('message', (task: CellTask | null) => {
  if (task === null) {
    port.close();
    return;
  }
  let reply;
  try {
    reply = { index: task.index, cell: exploreCell(task.scenario, task.variant, task.fault, { ...task.cfg, now: () => performance.now() }) };
  } catch (e) {
    reply = { index: task.index, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(reply);
  // wakes the pool, which may be blocked in Atomics.wait rather than in an event loop
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
});
parentPort?.postMessage('ready');
