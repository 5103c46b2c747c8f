// The TensorFlow.js side of `npm run bench:engine`: M1 lenet5 and M2 fashion-cnn as tf.layers
// models (NHWC), trained with Adam and softmax cross-entropy, on the wasm backend (one thread)
// and the cpu backend.
//
// tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel, so it cannot train a conv layer.
// registerWasmConvFilterGrad() adds one built from the backend's own kernels: the filter gradient
//   dW[ky, kx, c, f] = sum_{n, oy, ox} x[n, oy*s + ky - pad, ox*s + kx - pad, c] * dy[n, oy, ox, f]
// is itself a convolution: with x' = x^T [C, H, W, N] as a batch of C one-"pixel"-per-sample images
// with N channels and dy' = dy^T [OH, OW, N, F] as the filter, conv2d(x', dy', dilation = s)
// is [C, KH, KW, F]; one more transpose gives tfjs's [KH, KW, C, F].
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import type { PresetName } from '../src/engine/presets.js';

export type TfBackend = 'wasm' | 'cpu';

let wasmReady = false;

/** Initialises tfjs-wasm with one thread and the missing filter-gradient kernel. */
export async function setupTfjs(): Promise<string[]> {
  const notes: string[] = [];
  if (!wasmReady) {
    setThreadsCount(1);
    await tf.setBackend('wasm');
    await tf.ready();
    if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
      registerWasmConvFilterGrad();
      notes.push('tfjs-wasm: registered Conv2DBackpropFilter built from its own transpose/pad/conv2d kernels');
    }
    wasmReady = true;
  }
  return notes;
}

interface FilterGradAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  filterShape: [number, number, number, number];
  dataFormat: 'NHWC' | 'NCHW';
}

function registerWasmConvFilterGrad(): void {
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, dy } = inputs as unknown as { x: tf.Tensor4D; dy: tf.Tensor4D };
      const { strides, pad, filterShape, dataFormat } = attrs as unknown as FilterGradAttrs;
      if (dataFormat !== 'NHWC') throw new Error('bench Conv2DBackpropFilter: NHWC only');
      const [sh, sw] = typeof strides === 'number' ? [strides, strides] : strides;
      const [kh, kw] = filterShape;
      return tf.tidy(() => {
        const [, h, w] = x.shape;
        const [, oh, ow] = dy.shape;
        let top = 0;
        let left = 0;
        if (pad === 'same') {
          top = Math.floor(Math.max((oh - 1) * sh + kh - h, 0) / 2);
          left = Math.floor(Math.max((ow - 1) * sw + kw - w, 0) / 2);
        } else if (typeof pad === 'number') {
          top = pad;
          left = pad;
        }
        // rows/cols the windows reach: (o - 1) * s + k; pad or crop x to exactly that
        const needH = (oh - 1) * sh + kh;
        const needW = (ow - 1) * sw + kw;
        let xt = tf.transpose(x, [3, 1, 2, 0]); // [C, H, W, N]
        const bottom = Math.max(needH - h - top, 0);
        const right = Math.max(needW - w - left, 0);
        if (top || left || bottom || right)
          xt = tf.pad(xt, [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ]);
        xt = tf.slice(xt, [0, 0, 0, 0], [-1, needH, needW, -1]);
        const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, F]
        const g = tf.conv2d(xt as tf.Tensor4D, dyt as tf.Tensor4D, 1, 'valid', 'NHWC', [sh, sw]); // [C, KH, KW, F]
        return tf.transpose(g, [1, 2, 0, 3]); // [KH, KW, C, F]
      }) as unknown as tf.TensorInfo;
    },
  });
}

/** The preset as a tf.layers model, compiled with Adam(lr) and categorical cross-entropy. */
export function buildTfModel(preset: PresetName, learningRate: number): tf.LayersModel {
  const m = tf.sequential();
  if (preset === 'lenet5') {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 120, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 84, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10 }));
  } else {
    m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: 'elu' }));
    m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'elu' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 128, activation: 'elu' }));
    m.add(tf.layers.dense({ units: 10 }));
  }
  m.compile({
    optimizer: tf.train.adam(learningRate),
    loss: (yTrue: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, logits),
  });
  return m;
}

/** A tfjs trainer: one Adam step per call on a fixed batch (images 0..1, NHWC, one-hot labels). */
export interface TfTrainer {
  step(): Promise<number>;
  dispose(): void;
}

export async function createTfTrainer(
  backend: TfBackend,
  preset: PresetName,
  images: Float32Array,
  labels: Uint8Array,
  batch: number,
  learningRate: number,
): Promise<TfTrainer> {
  await tf.setBackend(backend);
  const model = buildTfModel(preset, learningRate);
  const x = tf.tensor4d(images.subarray(0, batch * 784), [batch, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(Array.from(labels.subarray(0, batch)), 'int32'), 10).toFloat();
  return {
    async step() {
      if (tf.getBackend() !== backend) await tf.setBackend(backend);
      const loss = await model.trainOnBatch(x, y);
      return Array.isArray(loss) ? loss[0]! : loss;
    },
    dispose() {
      x.dispose();
      y.dispose();
      model.dispose();
    },
  };
}

export { tf };
