// Named tensors <-> a model's flat weight vector.
//
// Every parameter has a name, `layers.{i}.weight` or `layers.{i}.bias` (i = index in
// the spec's layer list), and a shape in PyTorch's layout (conv [out, in, kh, kw],
// dense [out, in], bias [out]); `model.params` lists them with their offset and size
// in `model.weights`. Exporting copies each slice out; loading checks every name and
// shape first and only then copies, so a bad file never leaves a half-loaded model.
import type { ParamInfo } from './model.js';
import type { NamedTensor } from './safetensors.js';

/** What these functions need of a model: its parameter table and its flat weights. */
export interface WeightsOwner {
  readonly params: readonly ParamInfo[];
  readonly weights: Float32Array;
}

export class WeightsError extends Error {
  override readonly name = 'WeightsError';
}

/** Every parameter as a named tensor, in `model.params` order; each `data` is a copy. */
export function exportWeights(model: WeightsOwner): NamedTensor[] {
  return model.params.map(({ name, shape, offset, size }) => ({
    name,
    shape: [...shape],
    data: model.weights.slice(offset, offset + size),
  }));
}

/**
 * Copies named tensors into the model's weights (in place, so bound views such as a
 * SharedArrayBuffer stay valid). Needs exactly the model's parameters: a missing,
 * unknown or repeated name, a shape that differs or data of the wrong length throws
 * a WeightsError naming the tensor, before any weight is written.
 */
export function loadWeights(model: WeightsOwner, tensors: readonly NamedTensor[]): void {
  const byName = new Map(model.params.map((p) => [p.name, p]));
  const seen = new Set<string>();
  for (const { name, shape, data } of tensors) {
    const param = byName.get(name);
    if (param === undefined) {
      throw new WeightsError(`unknown tensor '${name}': the model's parameters are ${listNames(model.params)}`);
    }
    if (seen.has(name)) throw new WeightsError(`tensor '${name}' appears twice`);
    seen.add(name);
    if (!sameShape(shape, param.shape)) {
      throw new WeightsError(`tensor '${name}' has shape [${shape.join(', ')}], the model expects [${param.shape.join(', ')}]`);
    }
    if (data.length !== param.size) {
      throw new WeightsError(`tensor '${name}' holds ${data.length} values, its shape [${shape.join(', ')}] needs ${param.size}`);
    }
  }
  const missing = model.params.filter((p) => !seen.has(p.name));
  if (missing.length > 0) throw new WeightsError(`missing tensor${missing.length > 1 ? 's' : ''} ${listNames(missing)}`);
  for (const { name, data } of tensors) model.weights.set(data, byName.get(name)!.offset);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function listNames(params: readonly ParamInfo[]): string {
  return params.map((p) => `'${p.name}'`).join(', ');
}
