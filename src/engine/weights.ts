// Named tensors <-> a model's flat weight vector (and its buffers).
//
// Every parameter has a name, `layers.{i}.weight` or `layers.{i}.bias` (i = index in
// the spec's layer list; `layers.{i}.layers.{j}.weight`, `layers.{i}.shortcut.weight` inside a
// residual block), and a shape in PyTorch's layout (conv [out, in, kh, kw], dense [out, in],
// bias [out]); `model.params` lists them with their offset and size in `model.weights`.
// Batch norm's running statistics (`layers.{i}.running_mean`, `.running_var`) are buffers:
// `model.buffers` places them in `model.bufferValues`; they travel in the same file, as in a
// PyTorch state_dict. (PyTorch's `num_batches_tracked` is not stored: with a fixed momentum it is
// never read, and torch's BatchNorm fills it in when a state dict lacks it, so the file still
// loads with `strict=True`.)
// Exporting copies each slice out; loading checks every name and shape first and only then
// copies, so a bad file never leaves a half-loaded model.
import type { ParamInfo } from './model.js';
import type { BufferInfo } from './running-stats.js';
import type { NamedTensor } from './safetensors.js';

/** What these functions need of a model: its parameter table and flat weights, and its buffers if any. */
export interface WeightsOwner {
  readonly params: readonly ParamInfo[];
  readonly weights: Float32Array;
  readonly buffers?: readonly BufferInfo[];
  readonly bufferValues?: Float32Array;
}

interface Slot {
  name: string;
  shape: number[];
  offset: number;
  size: number;
  target: Float32Array;
}

/** Every tensor of the file: the parameters, then the buffers, each over the vector that holds it. */
function slots(model: WeightsOwner): Slot[] {
  const params = model.params.map((p) => ({ ...p, target: model.weights }));
  const values = model.bufferValues;
  const buffers = values ? (model.buffers ?? []).map((b) => ({ ...b, target: values })) : [];
  return [...params, ...buffers];
}

export class WeightsError extends Error {
  override readonly name = 'WeightsError';
}

/** Every parameter, then every buffer, as a named tensor (`model.params`, `model.buffers` order); each `data` is a copy. */
export function exportWeights(model: WeightsOwner): NamedTensor[] {
  return slots(model).map(({ name, shape, offset, size, target }) => ({
    name,
    shape: [...shape],
    data: target.slice(offset, offset + size),
  }));
}

/**
 * Copies named tensors into the model's weights (in place, so bound views such as a
 * SharedArrayBuffer stay valid). Needs exactly the model's parameters: a missing,
 * unknown or repeated name, a shape that differs or data of the wrong length throws
 * a WeightsError naming the tensor, before any weight is written.
 */
export function loadWeights(model: WeightsOwner, tensors: readonly NamedTensor[]): void {
  const all = slots(model);
  const byName = new Map(all.map((p) => [p.name, p]));
  const seen = new Set<string>();
  for (const { name, shape, data } of tensors) {
    const param = byName.get(name);
    if (param === undefined) {
      throw new WeightsError(`unknown tensor '${name}': the model's tensors are ${listNames(all)}`);
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
  const missing = all.filter((p) => !seen.has(p.name));
  if (missing.length > 0) throw new WeightsError(`missing tensor${missing.length > 1 ? 's' : ''} ${listNames(missing)}`);
  for (const { name, data } of tensors) {
    const slot = byName.get(name)!;
    slot.target.set(data, slot.offset);
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function listNames(params: readonly { name: string }[]): string {
  return params.map((p) => `'${p.name}'`).join(', ');
}
