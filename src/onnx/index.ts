// A trained model as an ONNX file: the spec's layers as ONNX operators (layers.ts), the
// safetensors weights as initializers under their own names, opset 13.
//
//   input          float [N, C, H, W]  (N: any batch size), the values /predict takes: a job trained on
//                  0-255 pixels (the weights file's `input_scale` metadata) divides by 255 first, as /predict
//   logits         float [N, classes]  the last layer's output
//   probabilities  float [N, classes]  Softmax of the logits: what POST /v1/jobs/{id}/predict answers
//
// Pure computation (no I/O): the API process builds the file per request from the stored spec and
// weights. ONNX Runtime runs it to the same probabilities as the engine (test/onnx/).
import { resolveSpec } from '../engine/describe.js';
import { decodeSafetensors } from '../engine/safetensors.js';
import { GraphBuilder, OnnxExportError } from './graph.js';
import { addLayers } from './layers.js';
import { encodeModel, floatValue, type OnnxModel } from './proto.js';

export { OnnxExportError } from './graph.js';
export { decodeModel, type OnnxModel } from './proto.js';

/** The operator set the file declares: Softmax over one axis and BatchNormalization-9 semantics. */
export const ONNX_OPSET = 13;
/** The IR version that goes with opset 13 (ONNX 1.8), readable by every runtime since. */
export const ONNX_IR_VERSION = 7;

export interface OnnxOptions {
  /** The graph's name, e.g. the job id. */
  name: string;
  doc?: string;
}

/**
 * The ONNX file of a model spec ({ input, layers }) and its safetensors weights. Throws SpecError
 * for a bad spec and OnnxExportError when the weights are not the spec's (a tensor missing,
 * unused or of another shape).
 */
export function toOnnx(spec: unknown, safetensors: Uint8Array, options: OnnxOptions): Uint8Array {
  const resolved = resolveSpec(spec);
  const { tensors, metadata } = decodeSafetensors(safetensors);
  const g = new GraphBuilder(tensors);
  const scale = Number(metadata.input_scale ?? '1') || 1;
  const x = scale === 1 ? 'input' : g.node('scaled', 'Div', ['input', g.constant('input_scale', [], Float32Array.of(scale))]);
  const logits = g.node('logits', 'Identity', [addLayers(g, resolved.layers, x, '')]);
  g.node('probabilities', 'Softmax', [logits]); // opset 13: over the last axis, the classes
  const unused = g.unused();
  if (unused.length > 0) throw new OnnxExportError(`the weights hold tensors the spec has no place for: ${unused.join(', ')}`);
  const [classes] = resolved.outputShape as [number];
  const model: OnnxModel = {
    ir_version: ONNX_IR_VERSION,
    opset_import: [{ domain: '', version: ONNX_OPSET }],
    producer_name: 'convoy',
    ...(options.doc ? { doc_string: options.doc } : {}),
    graph: {
      name: options.name,
      node: g.nodes,
      initializer: g.initializers,
      input: [floatValue('input', ['N', ...resolved.input])],
      output: [floatValue('logits', ['N', classes]), floatValue('probabilities', ['N', classes])],
    },
  };
  return encodeModel(model);
}
