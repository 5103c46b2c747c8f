// A graph under construction: nodes in execution order and the initializers they read. Each
// node's single output value is named after the node (`layers.3`, `layers.0.relu`), and each
// initializer keeps its name from the weights file (`layers.0.weight`), so a value or a weight in
// the ONNX file is found under the same name as in the spec and the safetensors file.
import type { NamedTensor } from '../engine/safetensors.js';
import { FLOAT, type OnnxAttribute, type OnnxNode, type OnnxTensor } from './proto.js';

/** The spec and the weights file do not go together (a tensor missing, unused or of another shape). */
export class OnnxExportError extends Error {
  override readonly name = 'OnnxExportError';
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  private readonly tensors: Map<string, NamedTensor>;

  constructor(tensors: readonly NamedTensor[]) {
    this.tensors = new Map(tensors.map((t) => [t.name, t]));
  }

  /** Appends a node; returns its output value's name, which is the node's name. */
  node(name: string, opType: string, input: string[], attribute: OnnxAttribute[] = []): string {
    this.nodes.push({ name, op_type: opType, input, output: [name], attribute });
    return name;
  }

  /**
   * The weights file's tensor `name`, checked against the shape the spec gives it, as an initializer.
   * A buffer with a `start` value (batch norm's running statistics) that the file lacks holds that
   * value throughout: files written before the workers saved running statistics (/predict refuses
   * those with a 422; the export still gives the graph a user can fill in).
   */
  weight(name: string, shape: readonly number[], start?: number): string {
    const size = shape.reduce((a, b) => a * b, 1);
    const t =
      this.tensors.get(name) ?? (start === undefined ? undefined : { name, shape: [...shape], data: new Float32Array(size).fill(start) });
    if (!t) throw new OnnxExportError(`the weights have no tensor '${name}'`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new OnnxExportError(`tensor '${name}' has shape [${t.shape.join(', ')}], the spec gives [${shape.join(', ')}]`);
    }
    this.tensors.delete(name);
    this.initializers.push({ name, dims: [...shape], data_type: FLOAT, raw_data: littleEndianBytes(t.data) });
    return name;
  }

  /** A constant of the graph's own (not from the weights file) as an initializer. */
  constant(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push({ name, dims, data_type: FLOAT, raw_data: littleEndianBytes(data) });
    return name;
  }

  /** Names of the weights no layer took: a file of another model. */
  unused(): string[] {
    return [...this.tensors.keys()];
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** float32 values as ONNX stores them in raw_data: little-endian, whatever the host's order. */
function littleEndianBytes(data: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(4 * i, data[i]!, true);
  return bytes;
}
