// Reading one field of a raw (unvalidated) model spec: each reader checks the value, fills in its
// default and throws a SpecError naming the field (`layers[3].kernelSize`, `layers[5].shortcut.stride`).
// Pure; describe.ts and resolve-residual.ts are its users (the HTTP server runs them on every submission).

import { ACTIVATION_NAMES, INIT_NAMES, type ActivationName, type InitName, type Padding } from './spec.js';
import { axisWindow, type Shape, type Window2d } from './shape.js';

/** An impossible or malformed spec. `field` is a path such as `layers[3].kernelSize`. */
export class SpecError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'SpecError';
    this.field = field;
  }
}

/** Default alpha: leakyRelu 0.01 (PyTorch's negative_slope), elu 1. Other activations ignore it. */
export function defaultAlpha(activation: ActivationName | null): number {
  return activation === 'leakyRelu' ? 0.01 : activation === 'elu' ? 1 : 0;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Rejects any key of `raw` not in `allowed`, naming it (`${at}.${key}`). */
export function onlyFields(raw: Record<string, unknown>, allowed: readonly string[], at: string, what: string): void {
  for (const key of Object.keys(raw)) {
    if (!allowed.includes(key)) throw new SpecError(`${at}.${key}`, `unknown field for ${what}`);
  }
}

export function needImage(inShape: Shape, at: string, type: string): [number, number, number] {
  if (inShape.length !== 3) {
    throw new SpecError(at, `${type} needs a [C, H, W] input but gets [${inShape.join(', ')}]`);
  }
  return [inShape[0]!, inShape[1]!, inShape[2]!];
}

/** Resolves stride and padding and checks that the window fits the (padded) input. */
export function windowOf(
  h: number,
  w: number,
  kh: number,
  kw: number,
  raw: Record<string, unknown>,
  at: string,
  kernelField: 'kernelSize' | 'poolSize',
  pooling: boolean,
): Window2d {
  const [sh, sw] = raw.stride === undefined ? (pooling ? [kh, kw] : [1, 1]) : size2(raw.stride, `${at}.stride`);
  const padding = paddingOf(raw.padding, `${at}.padding`);
  if (pooling && typeof padding === 'number') {
    const half = Math.floor(Math.min(kh, kw) / 2);
    if (padding > half) {
      throw new SpecError(`${at}.padding`, `${padding} exceeds half the pool size (at most ${half}, as in PyTorch)`);
    }
  }
  for (const [k, n, axis] of [
    [kh, h, 'height'],
    [kw, w, 'width'],
  ] as const) {
    if (padding === 'same') continue;
    const p = padding === 'valid' ? 0 : padding;
    if (k > n + 2 * p) {
      const detail = p === 0 ? `input ${axis} ${n}` : `padded input ${axis} ${n + 2 * p} (${n} + 2 * padding ${p})`;
      throw new SpecError(`${at}.${kernelField}`, `${k} exceeds ${detail}`);
    }
  }
  const y = axisWindow(h, kh, sh, padding);
  const x = axisWindow(w, kw, sw, padding);
  return { kh, kw, sh, sw, padTop: y.padBefore, padBottom: y.padAfter, padLeft: x.padBefore, padRight: x.padAfter };
}

export function axisOut(n: number, k: number, s: number, before: number, after: number): number {
  return Math.floor((n + before + after - k) / s) + 1;
}

export function positiveInt(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new SpecError(field, `must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

/** A number in [min, max) (or [min, max] when `maxIncluded`), or `dflt` when absent. */
export function numberIn(v: unknown, field: string, dflt: number, min: number, max: number, maxIncluded: boolean): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (maxIncluded ? v > max : v >= max)) {
    throw new SpecError(field, `must be a number in [${min}, ${max}${maxIncluded ? ']' : ')'}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function size2(v: unknown, field: string): [number, number] {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw new SpecError(field, `must be n or [height, width], got ${JSON.stringify(v)}`);
    return [positiveInt(v[0], `${field}[0]`), positiveInt(v[1], `${field}[1]`)];
  }
  const n = positiveInt(v, field);
  return [n, n];
}

export function paddingOf(v: unknown, field: string): Padding {
  if (v === undefined || v === 'valid') return 'valid';
  if (v === 'same') return 'same';
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  throw new SpecError(field, `must be "valid", "same" or a non-negative integer, got ${JSON.stringify(v)}`);
}

export function optionalBool(v: unknown, field: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new SpecError(field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

export function optionalActivation(v: unknown, field: string): ActivationName | null {
  if (v === undefined) return null;
  if (typeof v !== 'string' || !(ACTIVATION_NAMES as readonly string[]).includes(v)) {
    throw new SpecError(field, `unknown activation ${JSON.stringify(v)} (expected one of ${ACTIVATION_NAMES.join(', ')})`);
  }
  return v as ActivationName;
}

export function optionalInit(v: unknown, field: string): InitName | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(INIT_NAMES as readonly string[]).includes(v)) {
    throw new SpecError(field, `unknown initialiser ${JSON.stringify(v)} (expected one of ${INIT_NAMES.join(', ')})`);
  }
  return v as InitName;
}

/** alpha is allowed only with leakyRelu or elu, and must be >= 0 (backward reads the slope from the output). */
export function alphaFor(v: unknown, field: string, activation: ActivationName | null): number {
  if (v === undefined) return defaultAlpha(activation);
  if (activation !== 'leakyRelu' && activation !== 'elu') {
    throw new SpecError(field, 'applies only to a leakyRelu or elu activation');
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new SpecError(field, `must be a finite number >= 0, got ${JSON.stringify(v)}`);
  }
  return v;
}
