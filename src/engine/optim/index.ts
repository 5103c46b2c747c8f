// Optimizers over flat weight/gradient vectors, learning-rate schedules, clipping.
export type {
  AdamConfig,
  AdamWConfig,
  Optimizer,
  OptimizerConfig,
  OptimizerState,
  OptimizerType,
  ResolvedOptimizerConfig,
  SgdConfig,
} from './types.js';
export { bufferNames, createOptimizer, optimizerOver, resolveOptimizerConfig, restoreOptimizer } from './optimizer.js';
export { decodeOptimizerState, encodeOptimizerState } from './serialize.js';
export { clipByGlobalNorm, clipScale, l2Norm } from './clip.js';
export { learningRate, validateSchedule } from './schedule.js';
export type { ConstantSchedule, CosineSchedule, LrSchedule, OneCycleSchedule, StepSchedule } from './schedule.js';
