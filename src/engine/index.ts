// The engine's public API. See README.md in this folder.

export * from './spec.js';
export { describe, resolveSpec, summarize, SpecError, defaultAlpha } from './describe.js';
export type { LayerDescription, ModelDescription, ResolvedLayer, ResolvedSpec } from './describe.js';
export { PRESETS, PRESET_NAMES, lenet5, fashionCnn, fashionResnet, presetSpec, type PresetName } from './presets.js';
export { Rng, hashSeed, type RngState } from './rng.js';
export { augmentBatch, augmentImage, validateAugment, roundHalfEven, AUGMENT_STREAM, type AugmentSpec } from './augment.js';
export { initWeights, fillNormal, fillUniform } from './init.js';
export {
  softmaxCrossEntropy,
  meanSquaredError,
  computeLoss,
  softmax,
  countCorrect,
  type LossName,
  type Labels,
} from './losses.js';
export { Model, createModel, computeGradients, forward, type ParamInfo, type CreateModelOptions, type GradientArgs } from './model.js';
export { predict, evaluate, INFERENCE_CHUNK } from './inference.js';
export { createConfusion, addToConfusion, mergeConfusion, confusionRows, type Confusion, type ConfusedSample } from './confusion.js';
export { updateRunningStats, type BufferInfo, type ShardStats, type BuffersOwner } from './running-stats.js';
export { createLayer, type Layer, type ForwardContext, type BackwardContext, type ParamSlot, type BufferSlot } from './layers/index.js';
export { shapeSize, type Shape, type Window2d } from './shape.js';
export {
  inferenceRows,
  threadBytes,
  trainingMemory,
  trainingThreadBytes,
  INFERENCE_CHUNK_BYTES,
  MAX_INFERENCE_ROWS,
  type ThreadBytes,
  type TrainingMemory,
  type TrainingPlan,
} from './memory.js';
export * from './optim/index.js';
export { encodeSafetensors, decodeSafetensors, SafetensorsError, type NamedTensor, type Safetensors } from './safetensors.js';
export { exportWeights, loadWeights, WeightsError, type WeightsOwner } from './weights.js';
export { sumInto, kernelVariant } from './kernels/index.js';
