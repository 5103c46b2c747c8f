// Drift between the HTTP schema and the engine's ModelSpec fails this test: it type-checks
// spec-types.check.ts with the project's compiler options, plus a deliberately drifted copy that
// must NOT type-check (so the check itself is proven able to fail).
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');

function diagnosticsFor(files: Record<string, string>): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error('cannot read tsconfig.json');
  const options = { ...config.options, noEmit: true, incremental: false };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) =>
    name in files ? ts.createSourceFile(name, files[name]!, lang) : getSourceFile(name, lang, onError, create);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name in files || fileExists(name);
  const program = ts.createProgram(Object.keys(files), options, host);
  const out = new Map<string, string[]>();
  for (const name of Object.keys(files)) {
    const sf = program.getSourceFile(name);
    out.set(
      name,
      ts.getPreEmitDiagnostics(program, sf).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    );
  }
  return out;
}

describe('ModelSpec schema vs engine types', () => {
  it('are mutually assignable, layer by layer, and a drifted copy is caught', () => {
    const checkPath = join(here, 'spec-types.check.ts');
    const source = readFileSync(checkPath, 'utf8');
    // The drifted copy: the engine's layer gains an optional field the schema does not have.
    const driftPath = join(here, 'spec-types.drift.ts');
    const drifted = source.replace(
      "import type { LayerSpec as EngineLayer, ModelSpec as EngineModel } from '../../src/engine/spec.js';",
      "import type { LayerSpec as RealLayer, ModelSpec as EngineModel } from '../../src/engine/spec.js';\n" +
        "type EngineLayer = Exclude<RealLayer, { type: 'maxPool2d' | 'avgPool2d' }> | (Extract<RealLayer, { type: 'maxPool2d' | 'avgPool2d' }> & { dilation?: number });",
    );
    expect(drifted).not.toBe(source);
    const result = diagnosticsFor({ [checkPath]: source, [driftPath]: drifted });
    expect(result.get(checkPath)).toEqual([]);
    expect(result.get(driftPath)!.length).toBeGreaterThan(0);
  });
});
