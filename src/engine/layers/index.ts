// Builds a layer from its resolved spec. The switch is exhaustive: a new layer type does not
// compile until it is handled here.

import type { ResolvedLayer } from '../describe.js';
import { assertNever } from '../spec.js';
import { ActivationLayer } from './activations.js';
import { AvgPool2d } from './avg-pool2d.js';
import { BatchNorm } from './batch-norm.js';
import { Conv2d } from './conv2d.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { GlobalAvgPool2d } from './global-avg-pool2d.js';
import type { Layer } from './layer.js';
import { MaxPool2d } from './max-pool2d.js';
import { Residual } from './residual.js';

export type { BackwardContext, BufferSlot, ForwardContext, Layer, ParamSlot } from './layer.js';
export { activate, activationBackward } from './activations.js';

export function createLayer(spec: ResolvedLayer): Layer {
  switch (spec.type) {
    case 'conv2d':
      return new Conv2d(spec);
    case 'maxPool2d':
      return new MaxPool2d(spec);
    case 'avgPool2d':
      return new AvgPool2d(spec);
    case 'dense':
      return new Dense(spec);
    case 'flatten':
      return new Flatten(spec);
    case 'dropout':
    case 'dropout2d':
      return new Dropout(spec);
    case 'relu':
    case 'leakyRelu':
    case 'elu':
    case 'sigmoid':
    case 'tanh':
      return new ActivationLayer(
        spec.index,
        spec.type,
        spec.alpha,
        spec.outShape.reduce((a, b) => a * b, 1),
      );
    case 'batchNorm2d':
    case 'batchNorm1d':
      return new BatchNorm(spec);
    case 'globalAvgPool2d':
      return new GlobalAvgPool2d(spec);
    case 'residual':
      return new Residual(spec, createLayer);
    default:
      return assertNever(spec);
  }
}
