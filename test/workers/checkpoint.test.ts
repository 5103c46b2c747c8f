// The checkpoint format (workers/checkpoint.ts): the loop's TrainState goes in as it is and comes
// back as it was, with the weights, batch norm's running statistics and the optimizer state;
// checkpoints of earlier builds still resume; one that does not fit is refused.
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, type OptimizerState } from '../../src/engine/index.js';
import { checkpointDue, decodeCheckpoint, encodeCheckpoint, initialTrainState, restoreTensors } from '../../workers/checkpoint.js';

const P = 6;
const floats = (...v: number[]) => Float32Array.from(v);

function adam(step: number, fill = 0): OptimizerState {
  return {
    config: { type: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 } as OptimizerState['config'],
    size: P,
    step,
    buffers: { m: new Float32Array(P).fill(fill), v: new Float32Array(P).fill(fill / 2) },
  };
}

function midEpochState() {
  return {
    ...initialTrainState(5),
    epoch: 2,
    step: 3,
    globalStep: 27,
    history: [{ epoch: 1, loss: 1.2, accuracy: 0.4, learningRate: 0.01, seconds: 0.5 }],
    epochLossSum: 3.5,
    epochCorrect: 7,
    epochSeen: 12,
    elapsedMs: 4321,
    bestLoss: 1.2,
    epochsWithoutImprovement: 1,
    handoffs: 2,
  };
}

describe('checkpoint', () => {
  it('round-trips the TrainState, the attempt that wrote it, the weights, running statistics and optimizer state bit for bit', () => {
    const state = { ...midEpochState(), finished: 'patience' as const };
    const weights = floats(0.1, -0.2, Math.PI, 1e-30, -0, 7);
    const running = floats(0.01, 1.25, -3e-7);
    const bytes = encodeCheckpoint(state, { jobId: 'j1', attempt: 3 }, { weights, running, optimizer: adam(27, 0.25) });
    const c = decodeCheckpoint(bytes);
    expect(c.state).toEqual(state);
    expect(c.attempt).toBe(3);
    expect(Buffer.from(c.weights.buffer).equals(Buffer.from(weights.buffer))).toBe(true);
    expect(Buffer.from(c.running!.buffer).equals(Buffer.from(running.buffer))).toBe(true);
    expect(c.optimizer.step).toBe(27);
    expect(c.optimizer.config.type).toBe('adam');
    expect([...c.optimizer.buffers.m!]).toEqual(new Array(P).fill(0.25));
    expect([...c.optimizer.buffers.v!]).toEqual(new Array(P).fill(0.125));
  });

  it('decodes a checkpoint of the build before TrainState (with its unread `rng`): the state alone comes back', () => {
    const state = midEpochState();
    const old = {
      jobId: 'j1',
      attempt: 1,
      ...state,
      rng: { seed: 7, epoch: 2, state: [1, 2, 3, 4] },
      optimizer: { config: adam(0).config, size: P, step: 27 },
      savedAt: '2026-12-01T00:00:00.000Z',
    };
    const tensors = [
      { name: 'weights', shape: [P], data: new Float32Array(P).fill(0.5) },
      { name: 'optimizer.m', shape: [P], data: new Float32Array(P) },
      { name: 'optimizer.v', shape: [P], data: new Float32Array(P) },
    ];
    const c = decodeCheckpoint(encodeSafetensors(tensors, { format: 'convoy-checkpoint/1', state: JSON.stringify(old) }));
    expect(c.state).toEqual(state);
    expect(c.attempt).toBe(1);
    expect(c.optimizer.step).toBe(27);
    expect(c.running).toBeUndefined();
    // and the next checkpoint carries none of the dropped fields twice
    const again = decodeCheckpoint(
      encodeCheckpoint(c.state, { jobId: 'j1', attempt: 2 }, { weights: c.weights, running: floats(), optimizer: c.optimizer }),
    );
    expect(again.state).toEqual(state);
    expect(again.attempt).toBe(2);
  });

  it('refuses bytes of another format (the job then starts over)', () => {
    const other = encodeSafetensors([{ name: 'weights', shape: [1], data: floats(1) }], { format: 'convoy-weights/1' });
    expect(() => decodeCheckpoint(other)).toThrow(/format "convoy-weights\/1"/);
    const stateless = encodeSafetensors([{ name: 'weights', shape: [1], data: floats(1) }], { format: 'convoy-checkpoint/1' });
    expect(() => decodeCheckpoint(stateless)).toThrow(/missing state/);
  });

  it('restores the tensors in place, and only when they fit the model and the optimizer', () => {
    const saved = { weights: floats(1, 2, 3, 4, 5, 6), running: floats(0.5, 2), optimizer: adam(27, 3) };
    const c = decodeCheckpoint(encodeCheckpoint(midEpochState(), { jobId: 'j1', attempt: 1 }, saved));
    const weights = new Float32Array(P);
    const running = floats(0, 1);
    const opt = adam(0);
    const m = opt.buffers.m;
    restoreTensors(c, { weights, running, optimizer: opt });
    expect([...weights]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...running]).toEqual([0.5, 2]);
    expect(opt.buffers.m).toBe(m); // the shared buffer itself, written in place
    expect([...m!]).toEqual(new Array(P).fill(3));
    expect(opt.step).toBe(27);

    const bigger = new Float32Array(P + 1);
    expect(() => restoreTensors(c, { weights: bigger, running, optimizer: { ...adam(0), size: P + 1 } })).toThrow(
      'checkpoint does not match the model',
    );
    const moreStats = new Float32Array(3);
    expect(() => restoreTensors(c, { weights, running: moreStats, optimizer: adam(0) })).toThrow('checkpoint does not match the model');
    const sgd: OptimizerState = { config: { type: 'sgd' } as OptimizerState['config'], size: P, step: 0, buffers: {} };
    const untouched = new Float32Array(P);
    expect(() => restoreTensors(c, { weights: untouched, running, optimizer: sgd })).toThrow('checkpoint does not match the optimizer');
    expect([...untouched]).toEqual(new Array(P).fill(0));
  });

  it('is due every N steps and/or every N seconds between epoch ends', () => {
    expect(checkpointDue({ steps: 0, seconds: 0 }, { steps: 1e6, ms: 1e9 })).toBe(false);
    expect(checkpointDue({ steps: 10, seconds: 0 }, { steps: 9, ms: 1e9 })).toBe(false);
    expect(checkpointDue({ steps: 10, seconds: 0 }, { steps: 10, ms: 0 })).toBe(true);
    expect(checkpointDue({ steps: 0, seconds: 60 }, { steps: 1e6, ms: 59_999 })).toBe(false);
    expect(checkpointDue({ steps: 0, seconds: 60 }, { steps: 0, ms: 60_000 })).toBe(true);
  });
});
