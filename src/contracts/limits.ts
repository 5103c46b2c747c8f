// Hard bounds written into the HTTP schemas (and so into openapi.yaml). They stop absurd values at
// the door; the tighter, deployment-specific quotas (parameters, FLOPs, samples, runtime) live in
// src/config.ts and are checked by the semantic validation (src/server/validate.ts).
export const LIMITS = {
  channels: 64,
  side: 1024,
  kernelSize: 64,
  padding: 64,
  filters: 4096,
  units: 65_536,
  layers: 256,
  epochs: 10_000,
  batchSize: 4096,
  learningRate: 10,
  seed: 2 ** 32 - 1,
  datasetSize: 10_000_000,
  inlineSamples: 100_000,
  classes: 256, // labels are stored as bytes (src/datasets MAX_CLASSES)
  pixel: 1e6,
  maxRuntimeSeconds: 7 * 24 * 3600,
  patience: 10_000,
  priority: 2_097_152, // BullMQ's maximum priority
  nameLength: 200,
  idLength: 64,
  tensors: 1024,
  predictInputs: 1024,
  metadataPairs: 16, // as OpenAI and SageMaker allow
  metadataKeyLength: 64,
  metadataValueLength: 512,
  /** Levels of nesting in a JSON body: residual blocks nest (two levels each), the schema validator recurses per level. */
  jsonDepth: 64,
} as const;
