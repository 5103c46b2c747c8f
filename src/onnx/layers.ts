// Each engine layer as ONNX operators (opset 13), at inference: what the engine's predict computes.
//
//   conv2d           Conv (kernel_shape, strides, pads [top, left, bottom, right]) + its fused activation
//   maxPool2d        MaxPool (padding is never picked: ONNX pads max pooling with -inf)
//   avgPool2d        AveragePool, count_include_pad = 0 (divides by the in-bounds elements)
//   dense            Gemm (transB = 1: the weight is [units, inputs]) + its fused activation
//   flatten          Flatten (axis 1: [N, C, H, W] -> [N, C*H*W], row-major as the engine)
//   dropout(2d)      Identity (inverted dropout is the identity at inference)
//   relu ... tanh    Relu, LeakyRelu (alpha), Elu (alpha), Sigmoid, Tanh
//   batchNorm2d/1d   BatchNormalization with the running mean and variance, epsilon = eps (a file
//                    from before workers saved them: mean 0 and variance 1, their start values)
//   globalAvgPool2d  GlobalAveragePool, then Flatten ([N, C, 1, 1] -> [N, C])
//   residual         the block's layers on x, the shortcut Conv 1x1 on x (or x itself), Add
//
// The switch is exhaustive over the resolved layer types: a new layer type does not compile until
// it is mapped here.
import type { ResolvedConv2d, ResolvedLayer } from '../engine/describe.js';
import { assertNever, type ActivationName } from '../engine/spec.js';
import type { Window2d } from '../engine/shape.js';
import type { GraphBuilder } from './graph.js';
import { attr, type OnnxAttribute } from './proto.js';

/** Adds a layer list (the model's, or a residual block's under `prefix`); returns the last output. */
export function addLayers(g: GraphBuilder, layers: readonly ResolvedLayer[], x: string, prefix: string): string {
  return layers.reduce((value, layer) => addLayer(g, layer, value, `${prefix}layers.${layer.index}`), x);
}

function addLayer(g: GraphBuilder, l: ResolvedLayer, x: string, at: string): string {
  switch (l.type) {
    case 'conv2d':
      return conv(g, l, x, at);
    case 'maxPool2d':
      return g.node(at, 'MaxPool', [x], windowAttributes(l.window));
    case 'avgPool2d':
      return g.node(at, 'AveragePool', [x], [...windowAttributes(l.window), attr.int('count_include_pad', 0)]);
    case 'dense': {
      const [inputs] = l.inShape as [number];
      const input = [x, g.weight(`${at}.weight`, [l.units, inputs])];
      if (l.useBias) input.push(g.weight(`${at}.bias`, [l.units]));
      return activation(g, l.activation, l.alpha, g.node(at, 'Gemm', input, [attr.int('transB', 1)]), at);
    }
    case 'flatten':
      return g.node(at, 'Flatten', [x], [attr.int('axis', 1)]);
    case 'dropout':
    case 'dropout2d':
      return g.node(at, 'Identity', [x]);
    case 'relu':
    case 'leakyRelu':
    case 'elu':
    case 'sigmoid':
    case 'tanh':
      return activation(g, l.type, l.alpha, x, at, at);
    case 'batchNorm2d':
    case 'batchNorm1d': {
      const c = [l.inShape[0]!];
      const affine = [g.weight(`${at}.weight`, c), g.weight(`${at}.bias`, c)];
      const stats = [g.weight(`${at}.running_mean`, c, 0), g.weight(`${at}.running_var`, c, 1)];
      return g.node(at, 'BatchNormalization', [x, ...affine, ...stats], [attr.float('epsilon', l.eps)]);
    }
    case 'globalAvgPool2d':
      return g.node(at, 'Flatten', [g.node(`${at}.pool`, 'GlobalAveragePool', [x])], [attr.int('axis', 1)]);
    case 'residual': {
      const body = addLayers(g, l.layers, x, `${at}.`);
      const skip = l.shortcut ? conv(g, l.shortcut, x, `${at}.shortcut`) : x;
      return g.node(at, 'Add', [body, skip]);
    }
    default:
      return assertNever(l);
  }
}

function conv(g: GraphBuilder, l: ResolvedConv2d, x: string, at: string): string {
  const inC = l.inShape[0]!;
  const input = [x, g.weight(`${at}.weight`, [l.filters, inC, l.window.kh, l.window.kw])];
  if (l.useBias) input.push(g.weight(`${at}.bias`, [l.filters]));
  return activation(g, l.activation, l.alpha, g.node(at, 'Conv', input, windowAttributes(l.window)), at);
}

/** kernel_shape, strides and pads (ONNX orders pads as all begins, then all ends). */
function windowAttributes(w: Window2d): OnnxAttribute[] {
  return [
    attr.ints('kernel_shape', [w.kh, w.kw]),
    attr.ints('strides', [w.sh, w.sw]),
    attr.ints('pads', [w.padTop, w.padLeft, w.padBottom, w.padRight]),
  ];
}

/**
 * An activation on x: a layer of its own (named `name`) or fused into conv2d/dense (named
 * `{at}.{activation}`); none returns x.
 */
function activation(g: GraphBuilder, a: ActivationName | null, alpha: number, x: string, at: string, name = `${at}.${a}`): string {
  switch (a) {
    case null:
      return x;
    case 'relu':
      return g.node(name, 'Relu', [x]);
    case 'leakyRelu':
      return g.node(name, 'LeakyRelu', [x], [attr.float('alpha', alpha)]);
    case 'elu':
      return g.node(name, 'Elu', [x], [attr.float('alpha', alpha)]);
    case 'sigmoid':
      return g.node(name, 'Sigmoid', [x]);
    case 'tanh':
      return g.node(name, 'Tanh', [x]);
    default:
      return assertNever(a);
  }
}
