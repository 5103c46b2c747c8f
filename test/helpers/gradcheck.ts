// Numerical gradient checks (central differences), float32-aware.
//
// For every coordinate t of an input or parameter we compare the analytic gradient with
//   num = (L(t + h+) - L(t - h-)) / (h+ + h-),   h+- the steps float32 can actually represent,
// where L = sum_j r_j * y_j over the layer's outputs y with fixed random weights r (so dL/dy = r).
// The difference L(+) - L(-) is summed as sum_j r_j (y+_j - y-_j) in float64: outputs the
// perturbation does not touch cancel exactly, leaving only the float32 rounding of touched ones.
//
// Piecewise-linear layers (relu, max pooling) have kinks; a step that crosses one makes the
// central difference meaningless there. We detect it (the two one-sided slopes disagree) and then
// accept the analytic value if it matches either one-sided slope, counting such coordinates: a
// check fails if more than 5% of coordinates (and more than 2) needed that fallback. (In a whole
// relu network one unit sitting near its kink is crossed by the perturbation of every weight
// upstream of it, so whole-network checks allow a larger share.) A coordinate that fails both
// ways is retried at 1/2, 1/4, 1/8 of the step (with an absolute tolerance widened to match the
// larger rounding noise): its step may have crossed kinks on both sides. Such passes count as kinks.

import { resolveSpec, type ResolvedLayer } from '../../src/engine/describe.js';
import { createLayer, type ForwardContext, type Layer } from '../../src/engine/layers/index.js';
import { Rng } from '../../src/engine/rng.js';
import type { InputShape, LayerSpec } from '../../src/engine/spec.js';

export interface Tolerance {
  eps: number;
  rtol: number;
  atol: number;
  /** Largest share of coordinates that may need the one-sided fallback (default 0.05). */
  maxKinkFraction?: number;
}

/** eps 1e-3 keeps float32 rounding of the outputs (~1e-4 here) well under the tolerance. */
export const F32_TOLERANCE: Tolerance = { eps: 1e-3, rtol: 5e-3, atol: 5e-4 };

export interface CoordinateFailure {
  what: string;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckReport {
  /** Coordinates checked per tensor, e.g. { x: 84, 'weight': 72, 'bias': 4 }. */
  checked: Record<string, number>;
  /** Coordinates where a kink was crossed and a one-sided slope was used. */
  kinks: number;
  failures: CoordinateFailure[];
  /** Largest |analytic| seen: proves the gradients are not all zero. */
  maxAbsGradient: number;
  ok: boolean;
}

export interface CheckTarget {
  /** Name in reports, e.g. 'x' or 'weight'. */
  what: string;
  /** The float32 values to perturb (in place; restored afterwards). */
  values: Float32Array;
  /** The analytic gradient of L with respect to `values`. */
  analytic: Float32Array;
}

/**
 * Core check. `outputs()` recomputes the outputs after a perturbation; `r` weighs them into L
 * (null: L is outputs()[0], e.g. a loss computed in float64).
 */
export function checkTargets(
  targets: CheckTarget[],
  outputs: () => ArrayLike<number>,
  r: ArrayLike<number> | null,
  tol: Tolerance = F32_TOLERANCE,
): GradcheckReport {
  const base = Float64Array.from(outputs());
  const diff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let sum = 0;
    for (let j = 0; j < a.length; j++) {
      const d = a[j]! - b[j]!;
      if (d !== 0) sum += (r ? r[j]! : 1) * d;
    }
    return sum;
  };
  const judge = (values: Float32Array, i: number, a: number, eps: number, tol: Tolerance) => {
    const t = values[i]!;
    const plus = Math.fround(t + eps);
    const minus = Math.fround(t - eps);
    values[i] = plus;
    const yPlus = Float64Array.from(outputs());
    values[i] = minus;
    const yMinus = Float64Array.from(outputs());
    values[i] = t;
    const hPlus = plus - t;
    const hMinus = t - minus;
    const central = diff(yPlus, yMinus) / (hPlus + hMinus);
    if (close(a, central, tol)) return { kind: 'ok' as 'ok' | 'kink' | 'fail', numeric: central };
    const right = diff(yPlus, base) / hPlus;
    const left = diff(base, yMinus) / hMinus;
    if (!close(right, left, tol) && (close(a, right, tol) || close(a, left, tol))) {
      return { kind: 'kink' as 'ok' | 'kink' | 'fail', numeric: central };
    }
    return { kind: 'fail' as 'ok' | 'kink' | 'fail', numeric: central };
  };
  const report: GradcheckReport = { checked: {}, kinks: 0, failures: [], maxAbsGradient: 0, ok: true };
  let total = 0;
  for (const { what, values, analytic } of targets) {
    report.checked[what] = values.length;
    for (let i = 0; i < values.length; i++) {
      const a = analytic[i]!;
      report.maxAbsGradient = Math.max(report.maxAbsGradient, Math.abs(a));
      total++;
      let verdict = judge(values, i, a, tol.eps, tol);
      // The step may have crossed kinks on both sides: retry with smaller steps, widening the
      // absolute tolerance as the rounding noise grows (~1/step). A pass counts as a kink.
      for (let k = 2; verdict.kind === 'fail' && k <= 8; k *= 2) {
        verdict = judge(values, i, a, tol.eps / k, { ...tol, atol: tol.atol * k });
        if (verdict.kind === 'ok') verdict = { kind: 'kink', numeric: verdict.numeric };
      }
      if (verdict.kind === 'kink') report.kinks++;
      if (verdict.kind === 'fail') report.failures.push({ what, index: i, analytic: a, numeric: verdict.numeric });
    }
  }
  outputs(); // leave any layer state as it was for the unperturbed values
  report.ok = report.failures.length === 0 && (report.kinks <= 2 || report.kinks <= (tol.maxKinkFraction ?? 0.05) * total);
  return report;
}

function close(a: number, b: number, tol: Tolerance): boolean {
  return Math.abs(a - b) <= tol.atol + tol.rtol * Math.max(Math.abs(a), Math.abs(b));
}

export interface LayerCheckOptions {
  /** Samples in the batch (default 2). */
  n?: number;
  seed?: number;
  /** Forward in training mode (dropout active). Default true. */
  training?: boolean;
  /** 'distinct' draws inputs as a shuffled grid with gaps (keeps max pooling away from ties). */
  inputs?: 'normal' | 'distinct';
  /** Breaks the layer's backward on purpose (to prove the checker can fail). */
  sabotage?: (layer: Layer) => Layer;
  tolerance?: Tolerance;
}

/**
 * One-line gradient check of a single layer on inputs of `input` shape ([C, H, W] or [F]):
 * every input coordinate and every parameter coordinate.
 */
export function gradcheckLayer(input: number[], spec: LayerSpec, options: LayerCheckOptions = {}): GradcheckReport {
  const n = options.n ?? 2;
  const rng = new Rng(options.seed ?? 1234);
  const resolved = resolveOne(input, spec);
  let layer = createLayer(resolved);
  if (options.sabotage) layer = options.sabotage(layer);

  const params = layer.paramSlots.map((slot) => {
    const values = new Float32Array(slot.size);
    for (let i = 0; i < values.length; i++) values[i] = slot.kind === 'bias' ? 0.1 * rng.normal() : 0.5 * rng.normal();
    return values;
  });
  const grads = layer.paramSlots.map((slot) => new Float32Array(slot.size));
  layer.bind(params, grads);

  const x = new Float32Array(n * layer.inSize);
  if (options.inputs === 'distinct') {
    for (let i = 0; i < x.length; i++) x[i] = (i - x.length / 2) * 0.05;
    rng.shuffle(x);
  } else {
    for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  }
  const r = new Float32Array(n * layer.outSize);
  for (let i = 0; i < r.length; i++) r[i] = rng.uniform(-1, 1);

  const ctx: ForwardContext = { training: options.training ?? true, seed: 7, step: 3, sampleOffset: 5 };
  const y = new Float32Array(n * layer.outSize);
  const dx = new Float32Array(n * layer.inSize);
  layer.forward(x, y, n, ctx);
  layer.backward(x, y, r, dx, n, ctx);

  const out = new Float32Array(n * layer.outSize);
  const outputs = (): Float32Array => {
    layer.forward(x, out, n, ctx);
    return out;
  };
  const targets: CheckTarget[] = [{ what: 'x', values: x, analytic: dx }];
  layer.paramSlots.forEach((slot, i) => {
    targets.push({ what: slot.kind, values: params[i]!, analytic: grads[i]! });
  });
  return checkTargets(targets, outputs, r, options.tolerance);
}

/** Resolves one layer on an input of shape [C, H, W] or [F] (describe.ts needs a spec around it). */
export function resolveOne(input: number[], spec: LayerSpec): ResolvedLayer {
  const flat = input.length === 1;
  const modelInput: InputShape = flat ? [input[0]!, 1, 1] : (input as InputShape);
  const layers: LayerSpec[] = flat ? [{ type: 'flatten' }, spec] : [spec];
  // A trailing flatten (and the final-rank check) is only needed when the layer outputs an image.
  const probe = resolveOrNull({ input: modelInput, layers });
  const resolved = probe ?? resolveSpec({ input: modelInput, layers: [...layers, { type: 'flatten' }] });
  return resolved.layers[flat ? 1 : 0]!;
}

function resolveOrNull(spec: { input: InputShape; layers: LayerSpec[] }): ReturnType<typeof resolveSpec> | null {
  try {
    return resolveSpec(spec);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('layers: the last layer outputs')) return null;
    throw err;
  }
}

/** A readable one-line summary for assertion messages. */
export function summary(report: GradcheckReport): string {
  const f = report.failures.slice(0, 5).map((x) => `${x.what}[${x.index}] analytic ${x.analytic} numeric ${x.numeric}`);
  return `checked ${JSON.stringify(report.checked)}, kinks ${report.kinks}, failures ${report.failures.length}: ${f.join('; ')}`;
}
