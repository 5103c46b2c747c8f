// The step rendezvous (workers/step-sync.ts): which chunk may be claimed when, and, with a real
// second thread blocked in Atomics.wait, that a thread done with its shard reduces the top chunks
// as soon as the other shard's backward pass has finished them, before that shard is done.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { REDUCE_CHUNK } from '../../workers/protocol.js';
import { NO_CHUNK, NOT_YET, StepSync } from '../../workers/step-sync.js';

const P = 5 * REDUCE_CHUNK + 7; // six chunks, the last one short

describe('StepSync', () => {
  it('hands out chunks from the top down, each once it is final in every shard', () => {
    const sync = new StepSync(StepSync.allocate(2, P), 2, P);
    expect(sync.chunks).toBe(6);
    sync.reset(2);
    sync.started();
    expect(sync.everyShardStarted).toBe(false);
    sync.started();
    expect(sync.everyShardStarted).toBe(true);
    expect(sync.claim(), 'nothing is final before a backward pass got anywhere').toBe(NOT_YET);
    sync.progress(0, 4 * REDUCE_CHUNK);
    expect(sync.claim(), 'final in one shard only').toBe(NOT_YET);
    sync.progress(1, 4 * REDUCE_CHUNK + 1);
    expect(sync.claim(), 'the top chunk is final in both').toBe(5);
    expect(sync.claim(), 'chunk 4 is not final in shard 1 (from 4 * CHUNK + 1 up)').toBe(NOT_YET);
    sync.finished(1);
    expect(sync.claim()).toBe(4);
    expect(sync.claim()).toBe(NOT_YET);
    sync.finished(0);
    expect([sync.claim(), sync.claim(), sync.claim(), sync.claim()]).toEqual([3, 2, 1, 0]);
    expect(sync.claim()).toBe(NO_CHUNK);
  });

  it('gives the chunks sums in chunk order only when every chunk was reduced', () => {
    const sync = new StepSync(StepSync.allocate(1, P), 1, P);
    sync.reset(1);
    sync.started();
    sync.finished(0);
    let left = 6;
    const drained = sync.drain((chunk) => {
      if (--left === 2) expect(() => sync.chunkSums(), 'four of six done').toThrow(/reduced 3 of 6/);
      return chunk * 10;
    });
    expect(drained.waitMs).toBe(0);
    expect([...sync.chunkSums()]).toEqual([0, 10, 20, 30, 40, 50]);
    sync.reset(1);
    expect(() => sync.chunkSums(), 'reset starts the count over').toThrow(/reduced 0 of 6/);
    expect(() => sync.reset(2), 'more shards than allocated').toThrow(RangeError);
  });

  it('stops a waiting thread when a shard fails', () => {
    const sync = new StepSync(StepSync.allocate(2, P), 2, P);
    sync.reset(2);
    sync.started();
    sync.started();
    sync.abort();
    expect(sync.claim()).toBe(NO_CHUNK);
  });

  it('lets a thread that finished its shard reduce the top chunks while the other shard still runs', async () => {
    const buffer = StepSync.allocate(2, P);
    const sync = new StepSync(buffer, 2, P);
    sync.reset(2);
    sync.started(); // shard 1 runs here, on the test's thread
    const log = new Int32Array(new SharedArrayBuffer(4 * 8)); // [count, chunks in claim order...]
    // Shard 0 on a real thread: starts, finishes at once, then drains (blocking in Atomics.wait).
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       import(workerData.module).then(({ StepSync }) => {
         const sync = new StepSync(workerData.buffer, 2, workerData.P);
         const log = new Int32Array(workerData.log);
         sync.started();
         sync.finished(0);
         const { waitMs } = sync.drain((chunk) => { log[1 + Atomics.add(log, 0, 1)] = chunk; return chunk; });
         require('node:worker_threads').parentPort.postMessage({ waitMs });
       });`,
      { eval: true, workerData: { module: new URL('../../dist/workers/step-sync.js', import.meta.url).href, buffer, P, log: log.buffer } },
    );
    const done = new Promise<{ waitMs: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const until = async (what: () => boolean) => {
      for (const t0 = Date.now(); !what(); ) {
        if (Date.now() - t0 > 10_000) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    await new Promise((r) => setTimeout(r, 50));
    expect(Atomics.load(log, 0), 'nothing is final in shard 1 yet: the thread waits').toBe(0);
    sync.progress(1, 4 * REDUCE_CHUNK); // shard 1's backward has finished its last layers
    await until(() => Atomics.load(log, 0) === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(Atomics.load(log, 0), 'only the chunks final in both shards').toBe(2);
    sync.finished(1);
    const { waitMs } = await done;
    await worker.terminate();
    expect([...log.subarray(1, 7)]).toEqual([5, 4, 3, 2, 1, 0]);
    expect(waitMs).toBeGreaterThan(50);
    expect([...sync.chunkSums()]).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
