// Runs pool tasks (workers/thread.ts, the real task code) in a fresh worker thread, as a pool thread
// would, and reports how many bytes the thread's buffers took: the growth of its isolate's external
// memory (typed arrays and the WebAssembly memory) across the tasks, garbage collected before and
// after. The SharedArrayBuffers the tasks point at arrive with workerData, before the first count.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { Task } from '../../workers/protocol.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const { default: run } = await import('../../workers/thread.js');
const { tasks } = workerData as { tasks: Task[] };
const settle = () => {
  gc();
  gc();
  return process.memoryUsage().external;
};
const before = settle();
for (const task of tasks) run(task);
parentPort!.postMessage({ bytes: settle() - before });
