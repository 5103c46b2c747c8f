// residual: y = F(x) + S(x), where F is the block's layers in order and S its shortcut: a 1x1
// conv2d with a stride (a projection to F's channels and size) or, without one, the identity.
//
//   x [N, ...in]   y [N, ...out]   (out = in for the identity shortcut)
//   forward:  a_0 = x, a_{j+1} = layer_j(a_j), F(x) = a_last;   y = F(x) + S(x)
// Backward: an addition hands its output gradient unchanged to both terms, and x fed both
// branches, so their input gradients add at the fork:
//   dF = dy, dS = dy
//   dx = dx_F + dx_S       dx_F: the layers' backward from dy, in reverse;  dx_S = dy (identity)
//                          or the shortcut conv's input gradient
// The identity path is why deep residual networks train: dx always holds dy itself, however
// small the gradient through the layers has become.
//
// Parameters: the layers' (named `layers.{j}.weight`, ...) then the shortcut's (`shortcut.weight`,
// `shortcut.bias`), as PyTorch names a module with attributes `layers` (nn.Sequential) and
// `shortcut`. Buffers (batch norm's running statistics) likewise.

import type { ResolvedLayer } from '../describe.js';
import { EMPTY, grow, type BackwardContext, type BufferSlot, type ForwardContext, type Layer, type ParamSlot } from './layer.js';

type ResidualSpec = Extract<ResolvedLayer, { type: 'residual' }>;

export class Residual implements Layer {
  readonly type = 'residual' as const;
  readonly index: number;
  readonly inSize: number;
  readonly outSize: number;
  readonly paramSlots: readonly ParamSlot[];
  readonly bufferSlots: readonly BufferSlot[];
  private readonly layers: readonly Layer[];
  private readonly shortcut: Layer | null;
  /** The layers, then the shortcut: the order of the parameters and buffers. */
  private readonly inner: readonly Layer[];
  private acts: Float32Array[]; // acts[j] = output of layer j, kept for its backward
  private shortcutOut = EMPTY;
  private gradA = EMPTY; // backward ping-pong between the layers
  private gradB = EMPTY;
  private dxShortcut = EMPTY;
  private readonly widest: number; // the largest input of a layer: the size of the ping-pong buffers

  /** `create` builds the inner layers (layers/index.ts's createLayer: passed in, it imports this file). */
  constructor(spec: ResidualSpec, create: (spec: ResolvedLayer) => Layer) {
    this.index = spec.index;
    this.layers = spec.layers.map(create);
    this.shortcut = spec.shortcut ? create(spec.shortcut) : null;
    this.inner = this.shortcut ? [...this.layers, this.shortcut] : this.layers;
    this.inSize = spec.inShape.reduce((a, b) => a * b, 1);
    this.outSize = spec.outShape.reduce((a, b) => a * b, 1);
    const prefix = (l: Layer): string => (l === this.shortcut ? 'shortcut.' : `layers.${l.index}.`);
    this.paramSlots = this.inner.flatMap((l) => l.paramSlots.map((s) => ({ ...s, name: prefix(l) + (s.name ?? s.kind) })));
    this.bufferSlots = this.inner.flatMap((l) => (l.bufferSlots ?? []).map((s) => ({ ...s, name: prefix(l) + s.name })));
    this.acts = this.layers.map(() => EMPTY);
    this.widest = Math.max(...this.layers.map((l) => l.inSize));
  }

  bind(params: readonly Float32Array[], grads: readonly Float32Array[]): void {
    let k = 0;
    for (const l of this.inner) {
      const count = l.paramSlots.length;
      l.bind(params.slice(k, k + count), grads.slice(k, k + count));
      k += count;
    }
  }

  bindBuffers(running: readonly Float32Array[], batch: readonly Float32Array[]): void {
    let k = 0;
    for (const l of this.inner) {
      const count = l.bufferSlots?.length ?? 0;
      if (count > 0) l.bindBuffers!(running.slice(k, k + count), batch.slice(k, k + count));
      k += count;
    }
  }

  forward(x: Float32Array, y: Float32Array, n: number, ctx: ForwardContext): void {
    let a = x;
    this.layers.forEach((layer, j) => {
      this.acts[j] = grow(this.acts[j]!, n * layer.outSize);
      layer.forward(a, this.acts[j]!, n, ctx);
      a = this.acts[j]!;
    });
    let s = x;
    if (this.shortcut) {
      this.shortcutOut = grow(this.shortcutOut, n * this.outSize);
      this.shortcut.forward(x, this.shortcutOut, n, ctx);
      s = this.shortcutOut;
    }
    for (let i = 0; i < n * this.outSize; i++) y[i] = a[i]! + s[i]!;
  }

  backward(x: Float32Array, _y: Float32Array, dy: Float32Array, dx: Float32Array | null, n: number, ctx: BackwardContext): void {
    this.gradA = grow(this.gradA, n * this.widest);
    this.gradB = grow(this.gradB, n * this.widest);
    // F: from dy back through the layers; the first layer writes dx_F straight into dx.
    let d = dy;
    for (let j = this.layers.length - 1; j >= 0; j--) {
      const out = j === 0 ? dx : d === this.gradA ? this.gradB : this.gradA;
      this.layers[j]!.backward(j === 0 ? x : this.acts[j - 1]!, this.acts[j]!, d, out, n, ctx);
      if (out) d = out;
    }
    // S: the same dy; its input gradient joins dx_F.
    const len = n * this.inSize;
    if (this.shortcut) {
      this.dxShortcut = dx ? grow(this.dxShortcut, len) : this.dxShortcut;
      this.shortcut.backward(x, this.shortcutOut, dy, dx ? this.dxShortcut : null, n, ctx);
      if (dx) for (let i = 0; i < len; i++) dx[i] = dx[i]! + this.dxShortcut[i]!;
    } else if (dx) {
      for (let i = 0; i < len; i++) dx[i] = dx[i]! + dy[i]!;
    }
  }
}
