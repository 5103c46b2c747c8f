// The dependency arrows of docs/architecture.md, checked with dependency-cruiser on the sources:
//
//   src/server ──► src/contracts ◄── workers ──► src/engine
//        │                ▲              │
//        └──► src/store ──┘ ◄────────────┘
//
// - the server reaches the engine only for pure spec checks: describe.ts, spec.ts, presets.ts, memory.ts
// - src/onnx (the ONNX export, which the server serves) is pure too: of the engine it reads the
//   spec (describe.ts, spec.ts, shape.ts) and the weights file (safetensors.ts), nothing else of ours
// - the engine imports no Node module and nothing of server, store, workers, contracts, datasets
// - src/store imports only contracts (its datasets.ts also the pure dataset codec, src/datasets)
// - server and workers never import each other; nothing imports the process entry points
// - no runtime cycles anywhere
import { describe, expect, it } from 'vitest';
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser';

const forbidden: IForbiddenRuleType[] = [
  {
    // Runtime cycles. A type-only import back to its importer (routes naming the app's context type)
    // is erased by the compiler and is not one.
    name: 'no-cycles',
    severity: 'error',
    from: {},
    to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
  },
  {
    name: 'server-uses-engine-only-for-spec-checks',
    severity: 'error',
    from: { path: '^src/server/' },
    to: { path: '^src/engine/', pathNot: '^src/engine/(describe|spec|spec-fields|presets|memory)\\.ts$' },
  },
  {
    name: 'onnx-export-reads-only-spec-and-weights-file',
    severity: 'error',
    from: { path: '^src/onnx/' },
    to: { path: '^(src|workers)/', pathNot: '^src/(onnx/|engine/(describe|spec|shape|safetensors)\\.ts$)' },
  },
  {
    name: 'onnx-export-imports-no-node-modules',
    severity: 'error',
    from: { path: '^src/onnx/' },
    to: { dependencyTypes: ['core'] },
  },
  {
    name: 'server-and-workers-apart',
    severity: 'error',
    from: { path: '^src/server/' },
    to: { path: '^workers/' },
  },
  {
    name: 'workers-and-server-apart',
    severity: 'error',
    from: { path: '^workers/' },
    to: { path: '^src/server/' },
  },
  {
    name: 'engine-is-pure',
    severity: 'error',
    from: { path: '^src/engine/' },
    to: { path: '^(src/(server|store|contracts|datasets|config)|workers)(/|\\.ts$)' },
  },
  {
    name: 'engine-imports-no-node-modules',
    severity: 'error',
    from: { path: '^src/engine/' },
    to: { dependencyTypes: ['core'] },
  },
  {
    name: 'store-imports-only-contracts',
    severity: 'error',
    from: { path: '^src/store/', pathNot: '^src/store/datasets\\.ts$' },
    to: { path: '^(src|workers)/', pathNot: '^src/(store|contracts)/' },
  },
  {
    name: 'store-datasets-imports-contracts-and-the-codec',
    severity: 'error',
    from: { path: '^src/store/datasets\\.ts$' },
    to: { path: '^(src|workers)/', pathNot: '^src/(store|contracts|datasets)/' },
  },
  {
    name: 'contracts-import-nothing-of-ours',
    severity: 'error',
    from: { path: '^src/contracts/' },
    to: { path: '^(src|workers)/', pathNot: '^src/contracts/' },
  },
  {
    // The typed client runs in browsers and other programs: nothing of the server, store or engine.
    name: 'client-is-standalone',
    severity: 'error',
    from: { path: '^src/client/' },
    to: { path: '^(src|workers)/', pathNot: '^src/client/' },
  },
  {
    // The convoy CLI is a client of the public API, like any other.
    name: 'cli-talks-to-the-api',
    severity: 'error',
    from: { path: '^src/cli/convoy\\.ts$|^src/cli/(follow-view|images)\\.ts$' },
    to: { path: '^(src|workers)/', pathNot: '^src/(client|cli)/' },
  },
  {
    name: 'nobody-imports-entry-points',
    severity: 'error',
    from: {},
    to: { path: '^(src/main|src/server/main|workers/main)\\.ts$' },
  },
];

describe('architecture', () => {
  it('keeps the dependency arrows pointing one way', async () => {
    const result = await cruise(
      ['src', 'workers'],
      {
        ruleSet: { forbidden },
        validate: true,
        tsPreCompilationDeps: true,
        doNotFollow: { path: 'node_modules' },
        exclude: { path: '\\.(test|generated)\\.ts$' },
        tsConfig: { fileName: 'tsconfig.json' },
      },
      undefined,
      undefined,
    );
    const output = result.output as import('dependency-cruiser').ICruiseResult;
    const violations = output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);
    expect(violations).toEqual([]);
    // it really looked: the known edges exist
    const edges = output.modules.flatMap((m) => m.dependencies.map((d) => `${m.source} -> ${d.resolved}`));
    expect(edges).toContain('workers/thread.ts -> src/engine/index.ts');
    expect(edges).toContain('src/server/validate.ts -> src/engine/describe.ts');
    expect(edges).toContain('src/onnx/index.ts -> src/engine/safetensors.ts');
  });
});
