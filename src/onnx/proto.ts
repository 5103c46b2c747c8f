// The ONNX protobuf messages this export writes, typed, and their encoding by protobufjs from the
// vendored schema (onnx.proto, loaded from its generated JSON descriptor: no file is read at run
// time). Field names are the .proto's (`op_type`, `raw_data`), so this file reads like the ONNX
// IR documentation. Only the fields the export sets are typed; protobufjs checks them against the
// schema before encoding.
import protobuf from 'protobufjs/light.js';
import { ONNX_SCHEMA } from './onnx-schema.generated.js';

const root = protobuf.Root.fromJSON(ONNX_SCHEMA);
const ModelProto = root.lookupType('onnx.ModelProto');
const AttributeType = root.lookupEnum('onnx.AttributeProto.AttributeType').values;
const DataType = root.lookupEnum('onnx.TensorProto.DataType').values;

/** TensorProto.DataType FLOAT: every tensor the engine has is float32. */
export const FLOAT = DataType.FLOAT!;

export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  ints?: number[];
}

export interface OnnxNode {
  name: string;
  op_type: string;
  input: string[];
  output: string[];
  attribute: OnnxAttribute[];
}

/** An initializer: float32 values, little-endian, in `raw_data`. */
export interface OnnxTensor {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

/** A dimension: a number, or a name for one fixed per run (the batch size). */
export type OnnxDim = { dim_value: number } | { dim_param: string };

export interface OnnxValueInfo {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: OnnxDim[] } } };
}

export interface OnnxGraph {
  name: string;
  doc_string?: string;
  node: OnnxNode[];
  initializer: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}

export interface OnnxModel {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  doc_string?: string;
  graph: OnnxGraph;
}

export const attr = {
  float: (name: string, f: number): OnnxAttribute => ({ name, type: AttributeType.FLOAT!, f }),
  int: (name: string, i: number): OnnxAttribute => ({ name, type: AttributeType.INT!, i }),
  ints: (name: string, ints: number[]): OnnxAttribute => ({ name, type: AttributeType.INTS!, ints }),
};

/** A float tensor's type and shape, for the graph's inputs and outputs. */
export function floatValue(name: string, dims: (number | string)[]): OnnxValueInfo {
  const dim = dims.map((d): OnnxDim => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: FLOAT, shape: { dim } } } };
}

/** The model's bytes: an ONNX file. Throws when a field does not fit the schema. */
export function encodeModel(model: OnnxModel): Uint8Array {
  const problem = ModelProto.verify(model);
  if (problem) throw new Error(`ONNX model does not fit onnx.proto: ${problem}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** An ONNX file read back as plain objects (int64 fields as numbers), for tests and tools. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, defaults: false, arrays: true }) as OnnxModel;
}
