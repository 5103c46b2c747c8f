// The two pieces that decide how a clipped step's 'apply' is split and how a step's time is accounted:
// reduceRanges (one task per thread, chunk-aligned so the norm's summation order never depends on
// the thread count) and StepTiming (critical path vs pool overhead, as bench:parallel reports it).
import { describe, expect, it } from 'vitest';
import { REDUCE_CHUNK, reduceRanges } from '../../workers/protocol.js';
import { StepTiming } from '../../workers/step-timing.js';

describe('reduceRanges', () => {
  for (const [P, parts] of [
    [1, 1],
    [REDUCE_CHUNK, 2],
    [1_199_882, 1],
    [1_199_882, 2],
    [1_199_882, 3],
    [3 * REDUCE_CHUNK + 5, 8],
  ] as const) {
    it(`covers ${P} parameters once, in whole chunks, in at most ${parts} ranges`, () => {
      const ranges = reduceRanges(P, parts);
      expect(ranges.length).toBe(Math.min(parts, Math.ceil(P / REDUCE_CHUNK)));
      expect(ranges[0]![0]).toBe(0);
      expect(ranges.at(-1)![1]).toBe(P);
      for (const [i, [from, to]] of ranges.entries()) {
        expect(from % REDUCE_CHUNK, 'chunk-aligned start').toBe(0);
        expect(to).toBeGreaterThan(from);
        if (i > 0) expect(from).toBe(ranges[i - 1]![1]);
      }
      const sizes = ranges.map(([a, b]) => Math.ceil((b - a) / REDUCE_CHUNK));
      expect(Math.max(...sizes) - Math.min(...sizes), 'chunks spread evenly').toBeLessThanOrEqual(1);
    });
  }
});

describe('StepTiming', () => {
  it('puts the busiest thread on the critical path and everything else in the overhead', () => {
    const timing = new StepTiming(2);
    // Step 1: thread 1 ran two shards (40 + 45 ms of forward/backward), thread 2 one (50 ms) and
    // waited 30 ms for thread 1's second shard while reducing 4 ms of chunks; thread 1 reduced 3 ms.
    timing.record(
      { gradMs: 90, applyMs: 0, redisMs: 1 },
      [
        { thread: 1, ms: 40, reduceMs: 0, busyMs: 40 },
        { thread: 2, ms: 50, reduceMs: 4, busyMs: 84 },
        { thread: 1, ms: 45, reduceMs: 3, busyMs: 48 },
      ],
      [],
    );
    // Step 2 (clipping): 55 ms shards and a 2 ms sum each, then the apply tasks (3 and 4 ms).
    timing.record(
      { gradMs: 60, applyMs: 5, redisMs: 1 },
      [
        { thread: 1, ms: 55, reduceMs: 2, busyMs: 57 },
        { thread: 2, ms: 55, reduceMs: 2, busyMs: 57.5 },
      ],
      [
        { thread: 1, ms: 3 },
        { thread: 2, ms: 4 },
      ],
    );
    const t = timing.take();
    expect(t.steps).toBe(2);
    expect(t.stepMs).toBe((91 + 66) / 2);
    expect(t.engineMs).toBe((85 + 55) / 2);
    expect(t.engineMeanMs).toBe((135 / 2 + 110 / 2) / 2);
    // critical paths 88 and 57.5 + 4: beyond the forward/backward, 3 and 6.5 ms
    expect(t.optimizerMs).toBe((3 + 6.5) / 2);
    expect(t.optimizerWorkMs).toBe((7 + 11) / 2);
    expect(t.overheadMs).toBe(78.5 - 70 - 4.75);
    expect(t.overhead).toBeCloseTo(3.75 / 78.5, 4);
    expect(timing.take().steps, 'take() starts over').toBe(0);
  });

  it('reports the median and 90th percentile step beside the mean', () => {
    const timing = new StepTiming(1);
    // ten steps of 10..19 ms and one burst of 200 ms
    for (const ms of [12, 200, 10, 15, 11, 19, 13, 17, 14, 16, 18]) {
      timing.record({ gradMs: ms, applyMs: 0, redisMs: 0 }, [{ thread: 1, ms, reduceMs: 0, busyMs: ms }], []);
    }
    const t = timing.take();
    expect(t.stepMs).toBeCloseTo(345 / 11, 3);
    expect(t.stepMsP50).toBe(15);
    expect(t.stepMsP90).toBe(19);
    timing.record({ gradMs: 7, applyMs: 0, redisMs: 0 }, [{ thread: 1, ms: 7, reduceMs: 0, busyMs: 7 }], []);
    expect(timing.take(), 'the last epoch only').toMatchObject({ stepMsP50: 7, stepMsP90: 7 });
  });
});
