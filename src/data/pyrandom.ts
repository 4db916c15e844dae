/**
 * Bit-exact ports of the two random generators the original GLM data pipeline uses (spec §9):
 *
 * - `PyRandom`: CPython's `random.Random` (MT19937 seeded by `init_by_array` over the seed's
 *   32-bit words) with its `random()`, `getrandbits`, `randrange`, `randint`, `shuffle` and
 *   weighted `choices` algorithms (CPython 3.11).
 * - `NumpyRandomState`: numpy's legacy `RandomState` seeded from an array of uint32 words,
 *   with `randint(high)` (masked rejection) and `random_sample()`.
 *
 * Matching them draw for draw means a seed here reproduces the original code's span choices,
 * which the parity tests check against outputs recorded from CPython and numpy. Both generators
 * expose their full state so a trainer can checkpoint and restore it.
 */

const N = 624;
const M = 397;

/** The MT19937 core shared by both front ends. */
export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;

  /** init_genrand(s). */
  initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, in uint32 arithmetic.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = N;
  }

  /** init_by_array(key): how CPython seeds from an int and numpy from an array. */
  initByArray(key: ArrayLike<number>): void {
    const mt = this.mt;
    this.initGenrand(19650218);
    let i = 1, j = 0;
    const len = key.length;
    for (let k = N > len ? N : len; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1664525)) + (key[j]! >>> 0) + j) >>> 0;
      i++; j++;
      if (i >= N) { mt[0] = mt[N - 1]!; i = 1; }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = ((mt[i]! ^ Math.imul(prev, 1566083941)) - i) >>> 0;
      i++;
      if (i >= N) { mt[0] = mt[N - 1]!; i = 1; }
    }
    mt[0] = 0x80000000;
    this.mti = N;
  }

  /** genrand_uint32. */
  nextU32(): number {
    const mt = this.mt;
    if (this.mti >= N) {
      if (this.mti === N + 1) this.initGenrand(5489);
      let kk = 0;
      for (; kk < N - M; kk++) {
        const y = (mt[kk]! & 0x80000000) | (mt[kk + 1]! & 0x7fffffff);
        mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      for (; kk < N - 1; kk++) {
        const y = (mt[kk]! & 0x80000000) | (mt[kk + 1]! & 0x7fffffff);
        mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      const y = (mt[N - 1]! & 0x80000000) | (mt[0]! & 0x7fffffff);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      this.mti = 0;
    }
    let y = mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** genrand_res53: a double in [0, 1) from two draws (CPython random(), numpy random_sample()). */
  nextDouble(): number {
    const a = this.nextU32() >>> 5, b = this.nextU32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** The 624 state words followed by the index. */
  getState(): number[] {
    return [...this.mt, this.mti];
  }

  setState(state: readonly number[]): void {
    if (state.length !== N + 1) throw new Error(`MT19937 state must have ${N + 1} entries, got ${state.length}`);
    for (let i = 0; i < N; i++) this.mt[i] = state[i]! >>> 0;
    this.mti = state[N]!;
  }
}

/** The 32-bit words of a non-negative integer seed, least significant first ([0] for 0). */
export function seedWords(seed: number | bigint | readonly number[]): number[] {
  if (Array.isArray(seed)) return (seed as readonly number[]).map((w) => w >>> 0);
  let n = BigInt(seed as number | bigint);
  if (n < 0n) n = -n;
  if (n === 0n) return [0];
  const words: number[] = [];
  while (n > 0n) {
    words.push(Number(n & 0xffffffffn));
    n >>= 32n;
  }
  return words;
}

/** CPython's random.Random. */
export class PyRandom {
  readonly mt = new MT19937();

  /**
   * `seed` is an integer (as `random.Random(seed)`) or explicit 32-bit key words (least
   * significant first, i.e. the integer Σ words[i]·2^(32i)).
   */
  constructor(seed: number | bigint | readonly number[] = 0) {
    this.mt.initByArray(seedWords(seed));
  }

  random(): number {
    return this.mt.nextDouble();
  }

  /** getrandbits(k) for 0 < k ≤ 53 (enough for every range the pipeline draws from). */
  getrandbits(k: number): number {
    if (k <= 32) return this.mt.nextU32() >>> (32 - k);
    if (k > 53) throw new Error(`getrandbits: k = ${k} exceeds 53 bits`);
    const lo = this.mt.nextU32();
    const hi = this.mt.nextU32() >>> (64 - k);
    return hi * 4294967296 + lo;
  }

  /** _randbelow_with_getrandbits(n): uniform in [0, n), n ≥ 1. */
  randbelow(n: number): number {
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** randrange(stop) or randrange(start, stop). */
  randrange(start: number, stop?: number): number {
    if (stop === undefined) {
      if (start <= 0) throw new Error(`randrange: empty range for randrange(${start})`);
      return this.randbelow(start);
    }
    const width = stop - start;
    if (width <= 0) throw new Error(`randrange: empty range (${start}, ${stop})`);
    return start + this.randbelow(width);
  }

  /** randint(a, b): uniform in [a, b], both inclusive. */
  randint(a: number, b: number): number {
    return this.randrange(a, b + 1);
  }

  /** In-place Fisher–Yates as random.shuffle. */
  shuffle<T>(x: T[]): void {
    for (let i = x.length - 1; i > 0; i--) {
      const j = this.randbelow(i + 1);
      const t = x[i]!;
      x[i] = x[j]!;
      x[j] = t;
    }
  }

  /** choices(range(len(cum)), cum_weights=cum, k=1)[0]: bisect_right(cum, random()·total). */
  choiceIndex(cumWeights: Float64Array | readonly number[]): number {
    const total = cumWeights[cumWeights.length - 1]!;
    return bisectRight(cumWeights, this.random() * total, 0, cumWeights.length - 1);
  }

  getState(): number[] {
    return this.mt.getState();
  }

  setState(state: readonly number[]): void {
    this.mt.setState(state);
  }
}

/** numpy.random.RandomState (legacy), seeded from an array of uint32 words. */
export class NumpyRandomState {
  readonly mt = new MT19937();

  constructor(seed: number | readonly number[]) {
    if (typeof seed === 'number') this.mt.initGenrand(seed);
    else this.mt.initByArray(seed);
  }

  /** randint(high) = randint(0, high): masked rejection sampling, high ≤ 2^32. */
  randint(high: number): number {
    if (!(high >= 1)) throw new Error(`randint: high must be ≥ 1, got ${high}`);
    const rng = high - 1;
    if (rng === 0) return 0;
    if (rng > 0xffffffff) return this.randint64(rng);
    if (rng === 0xffffffff) return this.mt.nextU32();
    const mask = genMask(rng);
    let v: number;
    while ((v = (this.mt.nextU32() & mask) >>> 0) > rng);
    return v;
  }

  /** Ranges above 32 bits (corpora over 4G tokens): 64-bit masked draws, hi word first. */
  private randint64(rng: number): number {
    const rb = BigInt(rng);
    let mask = rb;
    for (let s = 1n; s <= 32n; s <<= 1n) mask |= mask >> s;
    for (;;) {
      const hi = BigInt(this.mt.nextU32()), lo = BigInt(this.mt.nextU32());
      const v = ((hi << 32n) | lo) & mask;
      if (v <= rb) return Number(v);
    }
  }

  /** random_sample(): a double in [0, 1). */
  random(): number {
    return this.mt.nextDouble();
  }
}

function genMask(max: number): number {
  let mask = max >>> 0;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  return mask >>> 0;
}

export function bitLength(n: number): number {
  if (n <= 0) return 0;
  if (n < 4294967296) return 32 - Math.clz32(n);
  return 64 - Math.clz32(Math.floor(n / 4294967296));
}

/** Python's bisect.bisect_right(a, x, lo, hi). */
export function bisectRight(a: ArrayLike<number>, x: number, lo = 0, hi = a.length): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < a[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
