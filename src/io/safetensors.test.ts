import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { fileURLToPath } from 'node:url';

import { GlmError, isGlmError } from '../util/errors.js';
import {
  SafetensorsReader,
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  readAll,
  readSafetensorsHeader,
  readSafetensorsTensor,
  withSafetensors,
  writeSafetensors,
  type SafetensorsTensorInput,
} from './safetensors.js';

// ---------------------------------------------------------------------------
// paths

function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}
const REPO_ROOT = findRepoRoot();
const GOLDEN_DIR = path.resolve(REPO_ROOT, '../shared/golden');
const FORWARD = path.join(GOLDEN_DIR, 'tiny', 'forward.safetensors');

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-safetensors-test-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));
let tmpCounter = 0;
function tmpFile(label: string): string {
  return path.join(TMP, `${label}-${tmpCounter++}.safetensors`);
}

/** Write a hand-made safetensors file: header (object or raw string), data bytes. */
function craft(label: string, header: unknown, data: Uint8Array | number, headerLenOverride?: bigint): string {
  const json =
    header instanceof Uint8Array ? Buffer.from(header) : Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(headerLenOverride ?? BigInt(json.length));
  const p = tmpFile(label);
  fs.writeFileSync(p, Buffer.concat([prefix, json, body]));
  return p;
}

function expectCode(fn: () => unknown, code: string, messageIncludes: (string | RegExp)[] = []): GlmError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, `expected GlmError ${code}, nothing was thrown`);
  assert.ok(caught instanceof GlmError, `expected GlmError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `wrong code; message: ${caught.message}`);
  for (const m of messageIncludes) {
    if (typeof m === 'string') assert.ok(caught.message.includes(m), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(m)}`);
    else assert.match(caught.message, m);
  }
  return caught;
}

// ---------------------------------------------------------------------------
// golden file

test('golden forward.safetensors: header facts', () => {
  const h = readSafetensorsHeader(FORWARD);
  assert.equal(h.fileSize, fs.statSync(FORWARD).size);
  assert.equal(h.dataStart % 8, 0);
  assert.equal(h.dataStart, 8 + h.headerLength);
  assert.deepEqual(h.metadata, {});
  const ids = h.tensors.get('input_ids');
  assert.ok(ids);
  assert.equal(ids.dtype, 'I64');
  assert.deepEqual(ids.shape, [3, 28]);
  assert.equal(ids.end - ids.begin, 3 * 28 * 8);
  const logits = h.tensors.get('logits_erf');
  assert.ok(logits);
  assert.equal(logits.dtype, 'F32');
  assert.deepEqual(logits.shape, [3, 28, 160]);
  const loss = h.tensors.get('loss_erf');
  assert.ok(loss);
  assert.deepEqual(loss.shape, []);
  assert.equal(loss.numel, 1);
  // tensors are reported in data-offset order and tile the data section
  let pos = 0;
  for (const t of h.tensors.values()) {
    assert.equal(t.begin, pos);
    pos = t.end;
  }
  assert.equal(h.dataStart + pos, h.fileSize);
});

test('golden forward.safetensors: tensor values', () => {
  withSafetensors(FORWARD, (r) => {
    assert.deepEqual([...r.readInt32('sep')], [19, 15, 8]);
    const sep = r.read('sep');
    assert.equal(sep.dtype, 'I64');
    assert.ok(sep.data instanceof Int32Array);
    assert.deepEqual(sep.shape, [3]);

    const raw = r.readRaw('sep');
    assert.equal(raw.byteLength, 24);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    assert.deepEqual([0, 1, 2].map((i) => dv.getBigInt64(i * 8, true)), [19n, 15n, 8n]);

    const ids = r.readInt32('input_ids', { shape: [3, 28] });
    assert.equal(ids.length, 84);
    assert.ok(ids.every((v) => v >= 0 && v < 160), 'token ids within the tiny vocab');

    const logits = r.readFloat32('logits_erf');
    assert.equal(logits.length, 3 * 28 * 160);
    assert.ok(logits.every(Number.isFinite));
    assert.ok(logits.some((v) => v !== 0));

    const loss = r.read('loss_erf');
    assert.deepEqual(loss.shape, []);
    assert.equal(loss.data.length, 1);
    assert.ok(Number.isFinite(loss.data[0]) && loss.data[0]! > 0);

    expectCode(() => r.readFloat32('input_ids'), 'E_SAFETENSORS_DTYPE_MISMATCH', ['input_ids', 'I64']);
    expectCode(() => r.readInt32('logits_erf'), 'E_SAFETENSORS_DTYPE_MISMATCH');
    expectCode(() => r.readFloat32('logits_erf', { shape: [3, 28, 161] }), 'E_SAFETENSORS_SHAPE_MISMATCH', ['[3, 28, 160]']);
    expectCode(() => r.readFloat32('logits_erf', { out: new Float32Array(5) }), 'E_SAFETENSORS_SHAPE_MISMATCH');
    const into = new Float32Array(3 * 28 * 160);
    assert.equal(r.readFloat32('logits_erf', { out: into }), into);
    assert.deepEqual(into, logits);

    const e = expectCode(() => r.read('logits'), 'E_SAFETENSORS_TENSOR_NOT_FOUND', ['"logits"', 'logits_erf']);
    assert.equal(e.path, FORWARD);
    expectCode(() => r.read('transformer.final_layernorm.weight'), 'E_SAFETENSORS_TENSOR_NOT_FOUND', [
      'grad.transformer.final_layernorm.weight',
    ]);
  });
  assert.deepEqual([...readSafetensorsTensor(FORWARD, 'sep').data], [19, 15, 8]);
});

test('golden: readAll and byte-identical re-write (header layout matches the reference writer)', () => {
  const all = readAll(FORWARD);
  assert.equal(Object.keys(all).length, readSafetensorsHeader(FORWARD).tensors.size);
  assert.deepEqual([...all['sep']!.data], [19, 15, 8]);
  assert.deepEqual(all['position_ids']!.shape, [3, 2, 28]);

  // Copy every tensor's exact bytes through the writer: the output must equal the original file.
  const tensors = new Map<string, SafetensorsTensorInput>();
  withSafetensors(FORWARD, (r) => {
    for (const name of r.names()) {
      const info = r.info(name);
      tensors.set(name, { dtype: info.dtype, shape: info.shape, raw: r.readRaw(name) });
    }
  });
  const out = tmpFile('golden-copy');
  writeSafetensors(out, tensors);
  assert.ok(fs.readFileSync(out).equals(fs.readFileSync(FORWARD)), 'rewritten golden file differs from the original');

  // Value-level re-write (I64 from Int32Array, F32 from Float32Array) is also byte-identical.
  const byValue: Record<string, SafetensorsTensorInput> = {};
  for (const [name, t] of Object.entries(all)) byValue[name] = { dtype: t.dtype, shape: t.shape, data: t.data };
  const out2 = tmpFile('golden-values');
  writeSafetensors(out2, byValue);
  assert.ok(fs.readFileSync(out2).equals(fs.readFileSync(FORWARD)), 'value re-write differs from the original');
});

// ---------------------------------------------------------------------------
// conversions

test('F16: every bit pattern survives f16 -> f32 -> f16; known values', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = f16BitsToF32(h);
    if (Number.isNaN(v)) {
      assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(v))), `NaN pattern ${h.toString(16)} lost`);
      continue;
    }
    assert.equal(f32ToF16Bits(v), h, `bits 0x${h.toString(16)} (${v})`);
  }
  assert.equal(f16BitsToF32(0x3c00), 1);
  assert.equal(f16BitsToF32(0xc000), -2);
  assert.equal(f16BitsToF32(0x7bff), 65504);
  assert.equal(f16BitsToF32(0x0400), 2 ** -14); // smallest normal
  assert.equal(f16BitsToF32(0x0001), 2 ** -24); // smallest subnormal
  assert.equal(f16BitsToF32(0x03ff), 1023 * 2 ** -24); // largest subnormal
  assert.equal(f16BitsToF32(0x7c00), Infinity);
  assert.equal(f16BitsToF32(0xfc00), -Infinity);
  assert.ok(Number.isNaN(f16BitsToF32(0x7e00)));
  assert.ok(Object.is(f16BitsToF32(0x8000), -0));
});

test('F16: round-to-nearest-even against a brute-force reference', () => {
  // Reference: the nearest finite f16 (ties to the even bit pattern), inf beyond 65520.
  const finite: number[] = [];
  for (let h = 0; h < 0x7c00; h++) finite.push(f16BitsToF32(h));
  const ref = (x: number): number => {
    const a = Math.abs(x);
    const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
    if (a >= 65520) return sign | 0x7c00;
    let lo = 0;
    let hi = finite.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (finite[mid]! <= a) lo = mid;
      else hi = mid - 1;
    }
    if (finite[lo] === a || lo === finite.length - 1) return sign | lo;
    const dLo = a - finite[lo]!;
    const dHi = finite[lo + 1]! - a;
    const pick = dLo < dHi ? lo : dHi < dLo ? lo + 1 : lo % 2 === 0 ? lo : lo + 1;
    return sign | pick;
  };
  const f = new Float32Array(1);
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (let i = 0; i < 50000; i++) {
    f[0] = (rnd() - 0.5) * 2 ** (Math.floor(rnd() * 44) - 28); // spans subnormal .. overflow
    const x = f[0]!;
    assert.equal(f32ToF16Bits(x), ref(x), `value ${x}`);
  }
  // exact ties and edges
  const cases: [number, number][] = [
    [1 + 2 ** -11, 0x3c00], // tie -> even (down)
    [1 + 3 * 2 ** -11, 0x3c02], // tie -> even (up)
    [65519, 0x7bff],
    [65520, 0x7c00], // rounds to inf
    [1e6, 0x7c00],
    [-1e6, 0xfc00],
    [2 ** -25, 0x0000], // half the smallest subnormal: tie -> 0
    [2 ** -25 * 1.5, 0x0001],
    [1.5 * 2 ** -24, 0x0002], // tie between 1 and 2 units -> even
    [2.5 * 2 ** -24, 0x0002],
    [2 ** -14 - 2 ** -25, 0x0400], // rounds up into the smallest normal
    [2 ** -30, 0x0000],
    [-0, 0x8000],
  ];
  for (const [x, bits] of cases) assert.equal(f32ToF16Bits(x), bits, `value ${x}`);
  assert.equal(f32ToF16Bits(NaN) & 0x7c00, 0x7c00);
  assert.notEqual(f32ToF16Bits(NaN) & 0x3ff, 0);
});

test('BF16: exact values, ties to even, specials', () => {
  for (let h = 0; h < 0x10000; h++) {
    const v = bf16BitsToF32(h);
    if (Number.isNaN(v)) assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(v))));
    else assert.equal(f32ToBf16Bits(v), h, `bits 0x${h.toString(16)}`);
  }
  assert.equal(f32ToBf16Bits(1), 0x3f80);
  assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80); // tie -> even (down)
  assert.equal(f32ToBf16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie -> even (up)
  assert.equal(f32ToBf16Bits(1 + 2 ** -8 + 2 ** -20), 0x3f81); // above the tie
  assert.equal(f32ToBf16Bits(3.4028234663852886e38), 0x7f80); // max f32 rounds to inf
  assert.equal(f32ToBf16Bits(-Infinity), 0xff80);
  const nan = f32ToBf16Bits(NaN);
  assert.ok(Number.isNaN(bf16BitsToF32(nan)));
  // a NaN whose payload sits only in the low 16 bits must stay NaN (not become inf)
  const f = new Float32Array(1);
  new Uint32Array(f.buffer)[0] = 0x7f800001;
  assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(f[0]!))));
  assert.equal(bf16BitsToF32(0x0001), 2 ** -133); // bf16 subnormal
});

// ---------------------------------------------------------------------------
// round trips

test('round trip: every dtype, specials, empty and 0-d tensors, metadata', () => {
  const p = tmpFile('roundtrip');
  const f16Exact = new Float32Array([
    0, -0, 1, -2.5, 65504, -65504, 2 ** -14, 2 ** -24, 3 * 2 ** -24, 1023 * 2 ** -24, 0.333251953125, Infinity, -Infinity, NaN,
  ]);
  const bf16Exact = new Float32Array([0, -0, 1, -2.5, 3.3895313892515355e38, 2 ** -126, 2 ** -133, 0.333984375, Infinity, -Infinity, NaN]);
  const f32Vals = new Float32Array([0, -0, 1.1, -3.4028234663852886e38, 1.401298464324817e-45, 1e-40, Infinity, -Infinity, NaN, Math.PI]);
  const f64Vals = new Float64Array([Math.PI, -1e300, 5e-324, NaN, Infinity]);
  const tensors: Record<string, SafetensorsTensorInput> = {
    f32: { dtype: 'F32', shape: [2, 5], data: f32Vals },
    f32_from_numbers: { dtype: 'F32', shape: [3], data: [0.5, -1.25, 1e-3] },
    f16: { dtype: 'F16', shape: [f16Exact.length], data: f16Exact },
    f16_rounding: { dtype: 'F16', shape: [2], data: new Float32Array([1 + 2 ** -11, 1 + 3 * 2 ** -11]) },
    bf16: { dtype: 'BF16', shape: [bf16Exact.length], data: bf16Exact },
    bf16_rounding: { dtype: 'BF16', shape: [1, 2], data: [1 + 2 ** -8, 1 + 3 * 2 ** -8] },
    f64: { dtype: 'F64', shape: [5], data: f64Vals },
    i32: { dtype: 'I32', shape: [2, 2], data: new Int32Array([-2147483648, 2147483647, 0, -7]) },
    i32_from_numbers: { dtype: 'I32', shape: [3], data: [1, -1, 123456789] },
    i64: { dtype: 'I64', shape: [4], data: new Int32Array([-2147483648, 2147483647, -1, 42]) },
    i64_from_numbers: { dtype: 'I64', shape: [2, 2], data: [5, -5, 2 ** 31 - 1, -(2 ** 31)] },
    i8: { dtype: 'I8', shape: [3], data: [-128, 127, 0] },
    u8: { dtype: 'U8', shape: [3], data: new Uint8Array([0, 255, 7]) },
    bool: { dtype: 'BOOL', shape: [2], data: [1, 0] },
    empty: { dtype: 'F32', shape: [0], data: new Float32Array(0) },
    empty_3d: { dtype: 'I64', shape: [2, 0, 3], data: [] },
    empty_f16: { dtype: 'F16', shape: [0, 4], data: [] },
    scalar: { dtype: 'F32', shape: [], data: [3.5] },
    scalar_i64: { dtype: 'I64', shape: [], data: [-9] },
    scalar_bf16: { dtype: 'BF16', shape: [], data: [-0.5] },
  };
  // awkward names survive too (JSON escaping, prototype keys, non-ASCII)
  Object.defineProperty(tensors, '__proto__', {
    value: { dtype: 'I32', shape: [1], data: [11] },
    enumerable: true,
  });
  tensors['we"ird\\name ✓'] = { dtype: 'I32', shape: [1], data: [12] };
  const metadata = { format: 'pt', 'ünïcödé': 'välue ✓', empty: '' };
  writeSafetensors(p, tensors, metadata);
  assert.deepEqual(
    fs.readdirSync(TMP).filter((n) => n.includes('.tmp-')),
    [],
    'temporary file left behind',
  );

  const h = readSafetensorsHeader(p);
  assert.deepEqual(h.metadata, metadata);
  assert.equal(h.dataStart % 8, 0);
  // written in name order
  assert.deepEqual([...h.tensors.keys()].filter((n) => h.tensors.get(n)!.end > h.tensors.get(n)!.begin), Object.keys(tensors).sort().filter((n) => !n.startsWith('empty')));
  // header padding is spaces
  const head = fs.readFileSync(p).subarray(8, h.dataStart).toString('utf8');
  assert.match(head, /^\{"__metadata__":\{.*\} *$/);

  const all = readAll(p);
  assert.deepEqual(Object.keys(all).sort(), Object.keys(tensors).sort());
  for (const [name, t] of Object.entries(tensors)) {
    assert.equal(all[name]!.dtype, t.dtype, name);
    assert.deepEqual(all[name]!.shape, [...t.shape], name);
  }
  const same = (a: ArrayLike<number>, b: ArrayLike<number>, name: string): void => {
    assert.equal(a.length, b.length, name);
    for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${name}[${i}]: ${a[i]} !== ${b[i]}`);
  };
  same(all['f32']!.data, f32Vals, 'f32');
  same(all['f32_from_numbers']!.data, new Float32Array([0.5, -1.25, 1e-3]), 'f32_from_numbers');
  same(all['f16']!.data, f16Exact, 'f16');
  same(all['f16_rounding']!.data, [1, 1 + 2 ** -9], 'f16_rounding');
  same(all['bf16']!.data, bf16Exact, 'bf16');
  same(all['bf16_rounding']!.data, [1, 1 + 2 ** -6], 'bf16_rounding');
  assert.ok(all['f64']!.data instanceof Float64Array);
  same(all['f64']!.data, f64Vals, 'f64');
  same(all['i32']!.data, [-2147483648, 2147483647, 0, -7], 'i32');
  same(all['i32_from_numbers']!.data, [1, -1, 123456789], 'i32_from_numbers');
  same(all['i64']!.data, [-2147483648, 2147483647, -1, 42], 'i64');
  same(all['i64_from_numbers']!.data, [5, -5, 2 ** 31 - 1, -(2 ** 31)], 'i64_from_numbers');
  assert.ok(all['i8']!.data instanceof Int8Array);
  same(all['i8']!.data, [-128, 127, 0], 'i8');
  same(all['u8']!.data, [0, 255, 7], 'u8');
  same(all['bool']!.data, [1, 0], 'bool');
  same(all['empty']!.data, [], 'empty');
  same(all['empty_3d']!.data, [], 'empty_3d');
  same(all['empty_f16']!.data, [], 'empty_f16');
  same(all['scalar']!.data, [3.5], 'scalar');
  same(all['scalar_i64']!.data, [-9], 'scalar_i64');
  same(all['scalar_bf16']!.data, [-0.5], 'scalar_bf16');
  same(Object.getOwnPropertyDescriptor(all, '__proto__')!.value.data, [11], '__proto__');
  same(all['we"ird\\name ✓']!.data, [12], 'weird name');
  assert.equal(Object.getPrototypeOf(all), Object.prototype);

  withSafetensors(p, (r) => {
    // F16 raw bits are what we expect
    const f16raw = r.readRaw('f16_rounding');
    assert.deepEqual([...new Uint16Array(f16raw.buffer, f16raw.byteOffset, 2)], [0x3c00, 0x3c02]);
    // narrow integer types widen through readInt32
    assert.deepEqual([...r.readInt32('i8')], [-128, 127, 0]);
    assert.deepEqual([...r.readInt32('u8')], [0, 255, 7]);
    // F64 narrows through readFloat32
    assert.equal(r.readFloat32('f64')[0], Math.fround(Math.PI));
  });
  // I64 values beyond int32 are exact on disk (readRaw); reading them as int32 fails with the tensor name
  const pBig = tmpFile('i64-big');
  writeSafetensors(pBig, { i64_big: { dtype: 'I64', shape: [3], data: [2 ** 40, -(2 ** 53) + 1, 2 ** 53 - 1] } });
  withSafetensors(pBig, (r) => {
    const raw = r.readRaw('i64_big');
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    assert.deepEqual([0, 1, 2].map((i) => dv.getBigInt64(i * 8, true)), [2n ** 40n, -(2n ** 53n) + 1n, 2n ** 53n - 1n]);
    expectCode(() => r.readInt32('i64_big'), 'E_SAFETENSORS_INT_RANGE', ['i64_big', '1099511627776']);
    expectCode(() => r.read('i64_big'), 'E_SAFETENSORS_INT_RANGE');
  });
  expectCode(() => readAll(pBig), 'E_SAFETENSORS_INT_RANGE', ['i64_big']);

  // a closed reader refuses to read
  const r = SafetensorsReader.open(p);
  r.close();
  r.close();
  expectCode(() => r.readRaw('f32'), 'E_SAFETENSORS_CLOSED');

  // overwrite in place (atomic replace) with different content
  writeSafetensors(p, { only: { dtype: 'I32', shape: [1], data: [7] } });
  assert.deepEqual(Object.keys(readAll(p)), ['only']);
  assert.deepEqual(readSafetensorsHeader(p).metadata, {});
});

test('I64 out of int32 range is reported with the tensor name (both signs)', () => {
  const p = tmpFile('i64-range');
  writeSafetensors(p, {
    ok: { dtype: 'I64', shape: [2], data: [2147483647, -2147483648] },
    too_big: { dtype: 'I64', shape: [3], data: [0, 1, 2147483648] },
    too_small: { dtype: 'I64', shape: [1], data: [-2147483649] },
  });
  withSafetensors(p, (r) => {
    assert.deepEqual([...r.readInt32('ok')], [2147483647, -2147483648]);
    const e = expectCode(() => r.readInt32('too_big'), 'E_SAFETENSORS_INT_RANGE', ['"too_big"', 'element 2', '2147483648']);
    assert.equal(e.details?.['tensor'], 'too_big');
    expectCode(() => r.readInt32('too_small'), 'E_SAFETENSORS_INT_RANGE', ['"too_small"', '-2147483649']);
  });
});

test('writer rejects bad input and leaves no file behind', () => {
  const p = tmpFile('bad-write');
  expectCode(() => writeSafetensors(p, { a: { dtype: 'F32', shape: [2, 2], data: [1, 2, 3] } }), 'E_SAFETENSORS_INVALID_TENSOR', ['"a"', '4']);
  expectCode(() => writeSafetensors(p, { a: { dtype: 'I32', shape: [2], data: [1, 2.5] } }), 'E_SAFETENSORS_INVALID_TENSOR', ['2.5']);
  expectCode(() => writeSafetensors(p, { a: { dtype: 'I32', shape: [1], data: [2 ** 31] } }), 'E_SAFETENSORS_INVALID_TENSOR');
  expectCode(() => writeSafetensors(p, { a: { dtype: 'I64', shape: [1], data: [2 ** 60] } }), 'E_SAFETENSORS_INVALID_TENSOR');
  expectCode(() => writeSafetensors(p, { a: { dtype: 'U8', shape: [1], data: [-1] } }), 'E_SAFETENSORS_INVALID_TENSOR');
  expectCode(() => writeSafetensors(p, { a: { dtype: 'F32', shape: [-1], data: [] } }), 'E_SAFETENSORS_INVALID_TENSOR');
  expectCode(
    () => writeSafetensors(p, { a: { dtype: 'Q8' as unknown as 'F32', shape: [1], data: [1] } }),
    'E_SAFETENSORS_INVALID_TENSOR',
    ['Q8'],
  );
  expectCode(() => writeSafetensors(p, { __metadata__: { dtype: 'F32', shape: [1], data: [1] } }), 'E_SAFETENSORS_INVALID_TENSOR');
  expectCode(
    () => writeSafetensors(p, { a: { dtype: 'F32', shape: [1], data: [1] } }, { k: 5 as unknown as string }),
    'E_SAFETENSORS_INVALID_TENSOR',
  );
  // a failure after the file was started (bad value in the 2nd tensor) removes the temp file
  expectCode(
    () =>
      writeSafetensors(p, {
        a: { dtype: 'F32', shape: [1], data: [1] },
        b: { dtype: 'I32', shape: [1], data: [NaN] },
      }),
    'E_SAFETENSORS_INVALID_TENSOR',
  );
  assert.equal(fs.existsSync(p), false);
  assert.deepEqual(
    fs.readdirSync(TMP).filter((n) => n.includes('.tmp-')),
    [],
  );
  expectCode(
    () => writeSafetensors(path.join(TMP, 'no-such-dir', 'x.safetensors'), { a: { dtype: 'F32', shape: [1], data: [1] } }),
    'E_SAFETENSORS_WRITE_FAILED',
  );
});

// ---------------------------------------------------------------------------
// corruption

test('corrupt: truncated golden copy reports expected vs actual sizes', () => {
  const size = fs.statSync(FORWARD).size;
  const p = tmpFile('truncated');
  fs.copyFileSync(FORWARD, p);
  fs.truncateSync(p, size - 100);
  const e = expectCode(() => readSafetensorsHeader(p), 'E_SAFETENSORS_TRUNCATED', [
    /truncated/,
    size.toLocaleString('en-US'),
    (size - 100).toLocaleString('en-US'),
  ]);
  assert.equal(e.details?.['expectedFileSize'], size);
  assert.equal(e.details?.['actualFileSize'], size - 100);
  assert.equal(e.path, p);
  expectCode(() => SafetensorsReader.open(p), 'E_SAFETENSORS_TRUNCATED');
  expectCode(() => readAll(p), 'E_SAFETENSORS_TRUNCATED');

  // cut inside the header: the header length now points beyond the file
  fs.truncateSync(p, 1000);
  expectCode(() => readSafetensorsHeader(p), 'E_SAFETENSORS_HEADER_BEYOND_FILE', ['1,000 bytes']);
  // cut inside the length prefix
  fs.truncateSync(p, 5);
  expectCode(() => readSafetensorsHeader(p), 'E_SAFETENSORS_TOO_SMALL');
  // extra bytes after the data are not silently accepted either
  fs.copyFileSync(FORWARD, p);
  fs.appendFileSync(p, Buffer.alloc(16));
  expectCode(() => readSafetensorsHeader(p), 'E_SAFETENSORS_TRAILING_DATA');
});

test('corrupt: header length beyond the file / absurdly large', () => {
  const hdr = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
  expectCode(() => readSafetensorsHeader(craft('beyond', hdr, 4, 5000n)), 'E_SAFETENSORS_HEADER_BEYOND_FILE', ['5000']);
  expectCode(() => readSafetensorsHeader(craft('beyond-huge', hdr, 4, 2n ** 63n)), 'E_SAFETENSORS_HEADER_BEYOND_FILE');
  // a 101 MB sparse file whose header length is 100 MB + 1
  const p = tmpFile('huge-header');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(100_000_001n);
  fs.writeFileSync(p, prefix);
  fs.truncateSync(p, 101_000_000);
  expectCode(() => readSafetensorsHeader(p), 'E_SAFETENSORS_HEADER_TOO_LARGE');
});

test('corrupt: garbage JSON, non-object JSON, bad UTF-8', () => {
  expectCode(() => readSafetensorsHeader(craft('garbage', '{"a": {"dtype": "F32", ', 0)), 'E_SAFETENSORS_BAD_JSON', ['not valid JSON']);
  expectCode(() => readSafetensorsHeader(craft('array', '[1,2,3]', 0)), 'E_SAFETENSORS_BAD_JSON', ['array']);
  const p = craft('bad-utf8', new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), 0); // {"\xff\xfe":1}
  expectCode(() => readSafetensorsHeader(p), 'E_SAFETENSORS_BAD_JSON', ['UTF-8']);
  // random bytes: a text file is not a safetensors file
  const txt = tmpFile('text');
  fs.writeFileSync(txt, 'hello world, this is not a tensor file\n');
  expectCode(() => readSafetensorsHeader(txt), 'E_SAFETENSORS_HEADER_BEYOND_FILE', ['not a safetensors file']);
});

test('corrupt: unknown dtype', () => {
  expectCode(
    () => readSafetensorsHeader(craft('dtype', { w: { dtype: 'Q7', shape: [2], data_offsets: [0, 8] } }, 8)),
    'E_SAFETENSORS_UNKNOWN_DTYPE',
    ['"w"', 'Q7', 'F32'],
  );
  expectCode(
    () => readSafetensorsHeader(craft('dtype-u16', { w: { dtype: 'U16', shape: [2], data_offsets: [0, 4] } }, 4)),
    'E_SAFETENSORS_UNKNOWN_DTYPE',
    ['not support'],
  );
  expectCode(
    () => readSafetensorsHeader(craft('dtype-num', { w: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, 4)),
    'E_SAFETENSORS_UNKNOWN_DTYPE',
  );
});

test('corrupt: shape/offset mismatches and malformed entries', () => {
  expectCode(
    () => readSafetensorsHeader(craft('shape', { w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, 20)),
    'E_SAFETENSORS_OFFSET_MISMATCH',
    ['"w"', '24 bytes', '20 bytes'],
  );
  expectCode(
    () => readSafetensorsHeader(craft('backwards', { w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, 8)),
    'E_SAFETENSORS_OFFSET_MISMATCH',
  );
  expectCode(
    () => readSafetensorsHeader(craft('offs', { w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, 4)),
    'E_SAFETENSORS_OFFSET_MISMATCH',
  );
  expectCode(
    () => readSafetensorsHeader(craft('neg', { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4)),
    'E_SAFETENSORS_BAD_SHAPE',
  );
  expectCode(
    () => readSafetensorsHeader(craft('frac', { w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 6] } }, 6)),
    'E_SAFETENSORS_BAD_SHAPE',
  );
  expectCode(() => readSafetensorsHeader(craft('missing', { w: { dtype: 'F32', shape: [1] } }, 4)), 'E_SAFETENSORS_BAD_HEADER', [
    'data_offsets',
  ]);
  expectCode(
    () => readSafetensorsHeader(craft('meta', { __metadata__: { a: 1 }, w: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 4)),
    'E_SAFETENSORS_BAD_HEADER',
  );
  // offsets past the end of the data section
  expectCode(
    () => readSafetensorsHeader(craft('past-end', { w: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 8)),
    'E_SAFETENSORS_TRUNCATED',
  );
});

test('corrupt: overlapping tensors', () => {
  const hdr = {
    a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] },
    b: { dtype: 'F32', shape: [4], data_offsets: [8, 24] },
  };
  expectCode(() => readSafetensorsHeader(craft('overlap', hdr, 24)), 'E_SAFETENSORS_OVERLAP', ['"a"', '"b"']);
  const same = {
    a: { dtype: 'I32', shape: [2], data_offsets: [0, 8] },
    b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  };
  expectCode(() => readSafetensorsHeader(craft('overlap-same', same, 8)), 'E_SAFETENSORS_OVERLAP');
  // empty tensors anywhere do not overlap anything
  const ok = {
    a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
    e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] },
  };
  assert.equal(readSafetensorsHeader(craft('empty-inside', ok, 8)).tensors.size, 2);
});

test('not a file / missing / too small', () => {
  expectCode(() => readSafetensorsHeader(TMP), 'E_SAFETENSORS_NOT_A_FILE');
  expectCode(() => SafetensorsReader.open(path.join(TMP, 'nope.safetensors')), 'E_SAFETENSORS_FILE_NOT_FOUND', ['nope.safetensors']);
  const p = tmpFile('small');
  fs.writeFileSync(p, Buffer.from([1, 2, 3]));
  const e = expectCode(() => readSafetensorsHeader(p), 'E_SAFETENSORS_TOO_SMALL', ['3 bytes']);
  assert.ok(isGlmError(e, 'E_SAFETENSORS_TOO_SMALL'));
  assert.ok(e instanceof Error);
  assert.equal(e.name, 'GlmError');
});

// ---------------------------------------------------------------------------
// streaming / memory

function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  return () => {
    gc();
    gc();
  };
}

test('streamed: reading one tensor of a ~64 MB file allocates about that tensor only', () => {
  const gc = exposeGc();
  const MB = 1024 * 1024;
  const N = (16 * MB) / 4; // 16 MB of F32 per tensor
  const names = ['t0', 't1', 't2', 't3'];
  const p = tmpFile('big');
  {
    const tensors: Record<string, SafetensorsTensorInput> = {};
    for (let k = 0; k < names.length; k++) {
      const a = new Float32Array(N);
      for (let i = 0; i < N; i += 997) a[i] = k * 1000 + i;
      tensors[names[k]!] = { dtype: 'F32', shape: [N / 1024, 1024], data: a };
    }
    const bf = new Float32Array(N / 2); // 8 MB on disk as BF16, 8 MB as F32 in memory
    for (let i = 0; i < bf.length; i += 101) bf[i] = i % 256;
    tensors['bf'] = { dtype: 'BF16', shape: [bf.length], data: bf };
    const i64 = new Int32Array(N / 4); // 8 MB on disk as I64
    for (let i = 0; i < i64.length; i += 89) i64[i] = -i;
    tensors['ids'] = { dtype: 'I64', shape: [i64.length], data: i64 };

    gc();
    const before = process.memoryUsage().arrayBuffers;
    writeSafetensors(p, tensors);
    const grew = process.memoryUsage().arrayBuffers - before;
    assert.ok(grew < 8 * MB, `writing grew arrayBuffers by ${(grew / MB).toFixed(1)} MB; the writer must stream`);
  }
  const fileSize = fs.statSync(p).size;
  assert.ok(fileSize > 64 * MB && fileSize < 90 * MB);

  const r = SafetensorsReader.open(p);
  try {
    const check = (name: string, read: () => Float32Array | Int32Array, verify: (a: Float32Array | Int32Array) => void): void => {
      gc();
      const m0 = process.memoryUsage();
      const data = read();
      const m1 = process.memoryUsage();
      const bytes = data.byteLength;
      const dAb = m1.arrayBuffers - m0.arrayBuffers;
      const dRss = m1.rss - m0.rss;
      assert.ok(dAb >= bytes * 0.9, `${name}: arrayBuffers grew ${(dAb / MB).toFixed(1)} MB, result alone is ${(bytes / MB).toFixed(1)} MB`);
      assert.ok(dAb <= bytes * 1.5, `${name}: arrayBuffers grew ${(dAb / MB).toFixed(1)} MB for a ${(bytes / MB).toFixed(1)} MB tensor`);
      assert.ok(dRss <= bytes * 1.5, `${name}: rss grew ${(dRss / MB).toFixed(1)} MB for a ${(bytes / MB).toFixed(1)} MB tensor`);
      verify(data);
    };
    for (let k = 0; k < names.length; k++) {
      check(names[k]!, () => r.readFloat32(names[k]!), (a) => {
        assert.equal(a.length, N);
        assert.equal(a[997 * 5], k * 1000 + 997 * 5);
        assert.equal(a[1], 0);
      });
    }
    check('bf', () => r.readFloat32('bf'), (a) => {
      assert.equal(a.length, N / 2);
      assert.equal(a[101 * 7], (101 * 7) % 256);
    });
    check('ids', () => r.readInt32('ids'), (a) => {
      assert.equal(a.length, N / 4);
      assert.equal(a[89 * 3], -89 * 3);
    });
  } finally {
    r.close();
  }
});
