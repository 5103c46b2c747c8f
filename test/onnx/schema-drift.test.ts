// src/onnx/onnx-schema.generated.ts is onnx.proto as a protobufjs descriptor (`npm run onnx:schema`);
// this fails when the vendored .proto and the descriptor the export loads disagree.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { onnxSchemaModule, SCHEMA_FILE } from '../../scripts/onnx-schema.js';

describe('the ONNX schema descriptor', () => {
  it('is generated from the vendored onnx.proto (run `npm run onnx:schema` after replacing it)', () => {
    const generated = onnxSchemaModule();
    expect(generated).toContain('"ModelProto"');
    expect(readFileSync(SCHEMA_FILE, 'utf8') === generated, 'src/onnx/onnx-schema.generated.ts is out of date').toBe(true);
  });
});
