// The tfjs building blocks of the reference (tfjs-reference.ts): activations with Convoy's alphas,
// a 'valid' conv2d with its gradients spelled out, and the C, H, W flatten.
import * as tf from '@tensorflow/tfjs';
import type { ActivationName } from '../../src/engine/spec.js';

export function activate(x: tf.Tensor, name: ActivationName | undefined, alpha: number | undefined): tf.Tensor {
  switch (name) {
    case undefined:
      return x;
    case 'relu':
      return tf.relu(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, alpha ?? 0.01);
    case 'elu': {
      const a = alpha ?? 1;
      // tf.elu has alpha fixed at 1; elu_a(x) = x for x > 0, a * (exp(x) - 1) otherwise,
      // i.e. elu(x) scaled by 1 where x > 0 and by a elsewhere (tf.step's gradient is zero).
      return a === 1 ? tf.elu(x) : tf.mul(tf.elu(x), tf.add(a, tf.mul(1 - a, tf.step(x))));
    }
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
  }
}

/**
 * tf.conv2d ('valid') with its gradients spelled out, because tfjs-cpu's Conv2DBackpropFilter kernel
 * is pathologically slow (30 s for one 3x3 32->64 conv on 3 images of 26x26). Forward and dx are
 * tfjs's own kernels (Conv2D, Conv2DBackpropInput); dW is tfjs's Conv2D too, in the textbook form
 *   dW[ky, kx, c, f] = sum_{n,i,j} x[n, i*sh + ky, j*sw + kx, c] * dy[n, i, j, f]
 * i.e. a stride-1 convolution of x (channels as batch) with dy (batch as channels) dilated by the
 * stride, cropped to the kernel size. test/engine/tfjs/reference.test.ts checks it against finite
 * differences of a naive loop, strided cases included.
 */
export const conv2dValid = (x: tf.Tensor4D, w: tf.Tensor4D, [sh, sw]: [number, number]): tf.Tensor4D =>
  tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([x, w]);
    return {
      value: tf.conv2d(x, w, [sh, sw], 'valid'),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const [kh, kw] = ws.shape;
        const dx = tf.conv2dTranspose(dy as tf.Tensor4D, ws, xs.shape, [sh, sw], 'valid');
        const corr = tf.conv2d(
          tf.transpose(xs, [3, 1, 2, 0]), // [C, H, W, N]
          tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D, // [OH, OW, N, F]
          1,
          'valid',
          'NHWC',
          [sh, sw],
        ); // [C, >= kh, >= kw, F]
        const dw = tf.transpose(tf.slice(corr, [0, 0, 0, 0], [-1, kh, kw, -1]), [1, 2, 0, 3]);
        return [dx, dw];
      },
    };
  })(x, w) as tf.Tensor4D;

/** NHWC -> [n, C*H*W] in C, H, W order. */
export function flattenChw(x: tf.Tensor): tf.Tensor2D {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  return tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [n, c * h * w]);
}
