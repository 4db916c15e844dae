/** safetensors: scalar float16 / bfloat16 conversions (exact, round-to-nearest-even). The format and the error contract: ../safetensors.ts. */


export const f32Scratch = new Float32Array(1);
export const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** IEEE binary16 bits -> binary32 bits (exact; handles subnormals, inf, NaN payloads). */
export function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0; // inf / NaN (payload kept)
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0; // normal
  if (mant === 0) return sign >>> 0; // +-0
  // subnormal: value = mant * 2^-24; normalise into a binary32 normal number.
  let e = 113; // biased f32 exponent for 2^-14, before normalising
  let m = mant;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

export let F16_TABLE: Uint32Array | undefined;
export function f16Table(): Uint32Array {
  if (F16_TABLE === undefined) {
    F16_TABLE = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) F16_TABLE[h] = f16BitsToF32Bits(h);
  }
  return F16_TABLE;
}

/** Decode IEEE binary16 bits to a number. */
export function f16BitsToF32(h: number): number {
  u32Scratch[0] = f16BitsToF32Bits(h & 0xffff);
  return f32Scratch[0]!;
}

/** Decode bfloat16 bits to a number. */
export function bf16BitsToF32(h: number): number {
  u32Scratch[0] = (h & 0xffff) << 16;
  return f32Scratch[0]!;
}

/** binary32 bits -> binary16 bits, round-to-nearest-even; overflow -> inf, NaN stays NaN. */
export function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) {
    // inf, or NaN: keep the top payload bits and force a quiet NaN so it never becomes inf.
    return mant === 0 ? sign | 0x7c00 : sign | 0x7e00 | (mant >>> 13);
  }
  const he = exp - 112; // binary16 biased exponent
  if (he >= 0x1f) return sign | 0x7c00; // too large: inf
  if (he <= 0) {
    // result is subnormal (or zero) in binary16
    if (he < -10) return sign; // below half the smallest subnormal: +-0
    const m = mant | 0x800000; // 24-bit significand (exp > 0 here, so the implicit bit is set)
    const shift = 14 - he; // 14..24
    let hm = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (hm & 1) === 1)) hm++; // may carry into the smallest normal: correct
    return sign | hm;
  }
  let r = sign | (he << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) === 1)) r++; // carry may reach inf: correct
  return r;
}

/** binary32 bits -> bfloat16 bits, round-to-nearest-even; NaN stays NaN. */
export function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Encode a number (rounded to float32 first) as IEEE binary16 bits, round-to-nearest-even. */
export function f32ToF16Bits(v: number): number {
  f32Scratch[0] = v;
  return f32BitsToF16Bits(u32Scratch[0]!);
}

/** Encode a number (rounded to float32 first) as bfloat16 bits, round-to-nearest-even. */
export function f32ToBf16Bits(v: number): number {
  f32Scratch[0] = v;
  return f32BitsToBf16Bits(u32Scratch[0]!);
}
