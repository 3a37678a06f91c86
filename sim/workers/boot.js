// A worker thread's entry when the sources run as TypeScript: register tsx's loader in this thread
// (loaders are per thread), then load the worker named in workerData. A worker that cannot load
// says so on its port, or the pool, blocked on the shared counter, would wait for it forever.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';
try {
  register();
  await import(workerData.entry);
} catch (e) {
  workerData.port.postMessage({ index: -1, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  const counter = new Int32Array(workerData.done);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}
