// What a job's spec means to the engine (workers/job-plan.ts): the same spec gives every attempt,
// on any worker, the same seed, sample order, optimizer, schedule and micro-shard size.
import { describe, expect, it } from 'vitest';
import { DEFAULT_MICRO_SHARD_SIZE } from '../../src/contracts/index.js';
import { epochOrder, jobSeed, lrSchedule, microShardSize, optimizerConfig, stepLr, trainPlan } from '../../workers/job-plan.js';
import { toySpec } from '../helpers/jobs.js';

describe('job plan', () => {
  it("epoch e's order is a permutation drawn from (seed, e) alone", () => {
    const order = (seed: number, e: number, shuffle = true) => {
      const out = new Uint32Array(50).fill(99);
      epochOrder(out, seed, e, shuffle);
      return [...out];
    };
    const a = order(7, 3);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(order(7, 3)).toEqual(a);
    expect(order(7, 4)).not.toEqual(a);
    expect(order(8, 3)).not.toEqual(a);
    expect(order(7, 3, false)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("trains with the spec's seed, else one derived from the job id", () => {
    expect(jobSeed('job-1', toySpec({ seed: 42 }))).toBe(42);
    const unseeded = toySpec();
    delete unseeded.training.seed;
    expect(jobSeed('job-1', unseeded)).toBe(jobSeed('job-1', unseeded));
    expect(jobSeed('job-1', unseeded)).not.toBe(jobSeed('job-2', unseeded));
  });

  it('cuts batches into micro-shards of the spec size, the default, or the whole batch when smaller', () => {
    expect(microShardSize(toySpec({ batchSize: 64, microShardSize: 5 }))).toBe(5);
    expect(microShardSize(toySpec({ batchSize: 64 }))).toBe(DEFAULT_MICRO_SHARD_SIZE);
    expect(microShardSize(toySpec({ batchSize: 8 }))).toBe(8);
  });

  it("passes the optimizer's own fields to the engine, and only those given", () => {
    expect(optimizerConfig(toySpec({ optimizer: { type: 'sgd', learningRate: 0.1, momentum: 0.9 } }))).toEqual({
      type: 'sgd',
      momentum: 0.9,
    });
    expect(optimizerConfig(toySpec({ optimizer: { type: 'adamw', learningRate: 0.1, beta2: 0.99, weightDecay: 0.01 } }))).toEqual({
      type: 'adamw',
      beta2: 0.99,
      weightDecay: 0.01,
    });
  });

  it('turns epoch-based schedules into update counts', () => {
    expect(lrSchedule(toySpec(), 6)).toEqual({ type: 'constant' });
    const step = toySpec({ schedule: { type: 'step', stepEpochs: 2, gamma: 0.5, warmupSteps: 3 } });
    expect(lrSchedule(step, 6)).toEqual({ type: 'step', stepSize: 12, gamma: 0.5, warmupSteps: 3 });
    expect(lrSchedule(toySpec({ schedule: { type: 'cosine', minLearningRate: 0.001 } }), 6)).toEqual({ type: 'cosine', minLr: 0.001 });
    expect(lrSchedule(toySpec({ schedule: { type: 'oneCycle', pctStart: 0.25 } }), 6)).toEqual({ type: 'oneCycle', pctStart: 0.25 });
  });

  it('runs a one-cycle job from learningRate / divFactor up to learningRate and down', () => {
    const plan = trainPlan(toySpec({ epochs: 2, batchSize: 10, schedule: { type: 'oneCycle', pctStart: 0.25, divFactor: 10 } }), 100);
    const rates = Array.from({ length: 20 }, (_, s) => stepLr(plan, s));
    expect(rates[0]).toBeCloseTo(0.001, 12); // 0.01 / 10
    expect(Math.max(...rates)).toBeCloseTo(0.01, 12);
    expect(rates.indexOf(Math.max(...rates))).toBe(4); // U = 0.25 * 20 - 1
    expect(rates[19]).toBeCloseTo(0.001 / 1e4, 12);
  });

  it("gives the loop its step counts and each update's learning rate", () => {
    const spec = toySpec({ epochs: 4, batchSize: 32, schedule: { type: 'step', stepEpochs: 1, gamma: 0.5 } });
    const plan = trainPlan(spec, 100); // 4 steps per epoch, the last of 4 samples
    expect(plan).toMatchObject({ epochs: 4, batchSize: 32, stepsPerEpoch: 4, samples: 100, shuffle: true, baseLr: 0.01 });
    expect(stepLr(plan, 3)).toBe(0.01);
    expect(stepLr(plan, 4)).toBe(0.005);
    expect(stepLr(plan, 15)).toBe(0.00125);
  });
});
