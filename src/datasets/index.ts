// src/datasets: the compact dataset type, builtins with a binary cache, upload parsers,
// the Redis encoding and the batch helper. See README.md.
export * from './types.js';
export { encodeDataset, decodeDataset, readDatasetHeader, encodedSize, DATASET_FORMAT_VERSION } from './codec.js';
export { parseIdx, parseIdxDataset, encodeIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from './idx.js';
export { parseCsvDataset, type CsvOptions, type PixelMode } from './csv.js';
export { isGzip, maybeGunzip, DEFAULT_MAX_BYTES } from './gzip.js';
export { parseUpload, datasetFromArrays, type UploadInput, type UploadOptions } from './upload.js';
export { balancedOrder, gather, sliceDataset, applySplit, type SplitOptions, type Splits } from './split.js';
export { toFloatBatch, gatherLabels } from './batch.js';
export {
  loadBuiltin,
  buildFromPackage,
  defaultCacheDir,
  trainPerClass,
  BUILTINS,
  BUILTIN_NAMES,
  type BuiltinName,
  type BuiltinInfo,
  type BuiltinSplits,
  type LoadBuiltinOptions,
} from './builtin.js';
