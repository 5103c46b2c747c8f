// One training step's rendezvous in shared memory. The step's grad tasks (workers/thread.ts) sum
// the micro-shards' gradients and step the optimizer themselves, with no round trip through the
// main thread; and a thread that finished its shard first does that work on the layers already
// final in every shard, instead of idling at the barrier while the slowest shard finishes.
//
//   header  Int32   [8]        started, claimed, chunks done, progress, abort, shards, -, -
//   final   Int32   [shards]   shard s's gradients are final from this offset up (P: none yet)
//   sums    Float64 [chunks]   chunk k's sum of squares of the summed gradient
//
// Chunks of REDUCE_CHUNK parameters are claimed from the top of the parameter vector down, since
// the backward pass finishes the last layers first (Model.computeGradients' onGradientsFinal); a
// chunk can be claimed once it lies above every shard's `final` mark. A thread that finished its
// shard helps only when every shard of the step has started: the others are then running on other
// threads, so waiting for them cannot deadlock the pool. Otherwise it returns, free to run a shard
// still queued. The last shard to finish always helps, so once every grad task has returned,
// every chunk is done.
// Determinism: a chunk's shards are summed in shard order whoever claims it, the optimizer is
// element-wise, and the main thread adds the chunks' sums of squares in chunk order.
import { REDUCE_CHUNK } from './protocol.js';

const STARTED = 0;
const CLAIMED = 1;
const CHUNKS_DONE = 2;
const PROGRESS = 3;
const ABORT = 4;
const SHARDS = 5;
const HEADER = 8;

/** Byte offset of the sums: after the header and the final marks, 8-byte aligned. */
const sumsOffset = (maxShards: number): number => (HEADER + maxShards + (maxShards % 2)) * 4;

/** claim(): every chunk is claimed (or the step failed). */
export const NO_CHUNK = -1;
/** claim(): the next chunk is not final in every shard yet. */
export const NOT_YET = -2;

/** A waiting thread re-checks at least this often (the shards it waits for are running). */
const WAIT_SLICE_MS = 100;

export class StepSync {
  readonly chunks: number;
  private readonly header: Int32Array;
  private readonly final: Int32Array;
  private readonly sums: Float64Array;

  /** Shared memory for steps of up to `maxShards` micro-shards over `paramCount` parameters. */
  static allocate(maxShards: number, paramCount: number): SharedArrayBuffer {
    return new SharedArrayBuffer(sumsOffset(maxShards) + Math.ceil(paramCount / REDUCE_CHUNK) * 8);
  }

  constructor(
    buffer: SharedArrayBuffer,
    readonly maxShards: number,
    readonly paramCount: number,
  ) {
    this.chunks = Math.ceil(paramCount / REDUCE_CHUNK);
    this.header = new Int32Array(buffer, 0, HEADER);
    this.final = new Int32Array(buffer, HEADER * 4, maxShards);
    this.sums = new Float64Array(buffer, sumsOffset(maxShards), this.chunks);
  }

  // The main thread, between steps (no task of the job is running).

  /** Readies the next step, of `shards` micro-shards. */
  reset(shards: number): void {
    if (shards < 1 || shards > this.maxShards) throw new RangeError(`a step has 1..${this.maxShards} shards, got ${shards}`);
    for (const word of [STARTED, CLAIMED, CHUNKS_DONE, PROGRESS, ABORT]) Atomics.store(this.header, word, 0);
    Atomics.store(this.header, SHARDS, shards);
    for (let s = 0; s < shards; s++) Atomics.store(this.final, s, this.paramCount);
    this.sums.fill(0);
  }

  /** After every grad task returned: each chunk's sum of squares, in chunk order. */
  chunkSums(): Float64Array {
    const done = Atomics.load(this.header, CHUNKS_DONE); // also orders the sums' writes before our reads
    if (done !== this.chunks) throw new Error(`the step reduced ${done} of ${this.chunks} gradient chunks`);
    return this.sums;
  }

  // A grad task, in a pool thread.

  started(): void {
    Atomics.add(this.header, STARTED, 1);
  }

  /** Shard `shard`'s gradients are final from `from` up. */
  progress(shard: number, from: number): void {
    if (from >= Atomics.load(this.final, shard)) return;
    Atomics.store(this.final, shard, from);
    this.bump();
  }

  finished(shard: number): void {
    Atomics.store(this.final, shard, 0);
    this.bump();
  }

  /** The shard failed: nobody waits for it (its task's error fails the step). */
  abort(): void {
    Atomics.store(this.header, ABORT, 1);
    this.bump();
  }

  get everyShardStarted(): boolean {
    return Atomics.load(this.header, STARTED) >= Atomics.load(this.header, SHARDS);
  }

  /** The next chunk to reduce (its index), NOT_YET, or NO_CHUNK. */
  claim(): number {
    for (;;) {
      if (Atomics.load(this.header, ABORT)) return NO_CHUNK;
      const next = Atomics.load(this.header, CLAIMED);
      if (next >= this.chunks) return NO_CHUNK;
      const chunk = this.chunks - 1 - next;
      if (chunk * REDUCE_CHUNK < this.finalFrom()) return NOT_YET;
      if (Atomics.compareExchange(this.header, CLAIMED, next, next + 1) === next) return chunk;
    }
  }

  /**
   * Reduces chunks (`reduce` returns the chunk's sum of squares) until none is left to claim,
   * waiting while the next one is not final in every shard yet.
   */
  drain(reduce: (chunk: number) => number): { reduceMs: number; waitMs: number } {
    let reduceMs = 0;
    let waitMs = 0;
    for (;;) {
      const seen = Atomics.load(this.header, PROGRESS); // before claim(): a bump in between ends the wait at once
      const chunk = this.claim();
      const t0 = performance.now();
      if (chunk === NO_CHUNK) return { reduceMs, waitMs };
      if (chunk === NOT_YET) {
        Atomics.wait(this.header, PROGRESS, seen, WAIT_SLICE_MS);
        waitMs += performance.now() - t0;
        continue;
      }
      this.sums[chunk] = reduce(chunk);
      Atomics.add(this.header, CHUNKS_DONE, 1);
      reduceMs += performance.now() - t0;
    }
  }

  /** Every shard's gradients are final from here up. */
  private finalFrom(): number {
    let from = 0;
    const shards = Atomics.load(this.header, SHARDS);
    for (let s = 0; s < shards; s++) from = Math.max(from, Atomics.load(this.final, s));
    return from;
  }

  private bump(): void {
    Atomics.add(this.header, PROGRESS, 1);
    Atomics.notify(this.header, PROGRESS);
  }
}
