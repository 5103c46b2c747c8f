// Seeded randomness: the only source of randomness in the engine.
//
// Rng is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128 bits of state,
// period >= 2^32, passes PractRand): fast in JavaScript because it needs only 32-bit integer ops.
// Its state is four uint32s, so a checkpoint can save it and resume the exact stream.
//
// hashSeed(...ints) mixes integers (seed, step, layer, sample, ...) into one 32-bit seed
// (MurmurHash3's block mixing and finaliser over 32-bit words). Counter-based streams built
// from it, e.g. new Rng(hashSeed(seed, step, layer, sample)), depend only on those integers,
// never on which thread or in which order the work ran.

/** The serialisable state of an Rng: four uint32 words. */
export type RngState = [number, number, number, number];

export class Rng {
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;

  /** Seeds from any safe integer (or restores a saved state). */
  constructor(seed: number | RngState) {
    if (Array.isArray(seed)) {
      this.setState(seed);
      return;
    }
    this.a = hashSeed(seed, 0x51ed);
    this.b = hashSeed(seed, 0x2705);
    this.c = hashSeed(seed, 0xb5ad);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1) with 32 random bits. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A standard normal sample (Box-Muller; the second value is dropped so the state stays 4 words). */
  normal(): number {
    const u1 = (this.nextUint32() + 1) / 4294967297; // (0, 1): log never sees 0
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** An integer in [0, n), unbiased (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) throw new RangeError(`Rng.int: bad bound ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Shuffles in place (Fisher-Yates). */
  shuffle<T extends { length: number; [i: number]: unknown }>(array: T): T {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  getState(): RngState {
    return [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0];
  }

  setState(state: RngState): void {
    if (state.length !== 4 || !state.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new RangeError('Rng state must be four uint32 words');
    }
    [this.a, this.b, this.c, this.d] = state.map((w) => w | 0) as RngState;
  }
}

/**
 * Mixes safe integers into a uint32. Each integer contributes its low and high 32-bit words,
 * so seeds above 2^32 and negative numbers are distinct from their truncations.
 */
export function hashSeed(...ints: number[]): number {
  let h = 0x9e3779b9;
  let words = 0;
  for (const v of ints) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`hashSeed: ${v} is not a safe integer`);
    const lo = v >>> 0;
    const hi = Math.floor(v / 4294967296) >>> 0;
    h = mixWord(h, lo);
    h = mixWord(h, hi);
    words += 2;
  }
  h ^= words;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixWord(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
