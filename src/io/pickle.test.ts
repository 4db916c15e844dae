/** The restricted unpickler: opcode coverage on Python-written pickles, and refusal of everything that could run code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BufferSource, PyTuple, unpickle, type PyValue } from './pickle.js';
import { torchGlobals } from './torch.js';
import { GlmError } from '../util/errors.js';
import { repoRoot } from '../testing/helpers.js';
import { expectGlmError as expectCode } from '../testing/helpers.js';

const fx = (...p: string[]): string => path.join(repoRoot(), 'test-fixtures', 'torch', ...p);
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

test('plain containers pickled with protocols 0, 2, 4, 5 read back the same', () => {
  const toJs = (v: PyValue): unknown => {
    if (v instanceof PyTuple) return { tuple: v.items.map(toJs) };
    if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), toJs(x)]));
    if (v instanceof Set) return { set: [...v].map(toJs).sort() };
    if (Array.isArray(v)) return v.map(toJs);
    if (v instanceof Uint8Array) return { bytes: [...v] };
    if (typeof v === 'bigint') return { big: v.toString() };
    return v;
  };
  const results = [0, 2, 4, 5].map((p) => toJs(unpickle(new BufferSource(fs.readFileSync(fx(`containers_p${p}.pkl`))), { findGlobal: torchGlobals('x', new Set()) })));
  for (const r of results.slice(1)) assert.deepEqual(r, results[0]);
  const r = results[0] as Record<string, unknown>;
  assert.deepEqual(r['ints'], [0, 1, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31, 2 ** 62 > Number.MAX_SAFE_INTEGER ? { big: (2n ** 62n).toString() } : 2 ** 62, { big: (2n ** 70n).toString() }, { big: (-(2n ** 70n)).toString() }]);
  assert.deepEqual(r['strs'], ['', 'ascii', 'ünïcödé', '中文', 'line\nbreak']);
  assert.deepEqual(r['bytes'], { bytes: [0, 1, 255] });
  assert.deepEqual(r['set'], { set: [1, 2, 3] });
  assert.deepEqual(r['ordered'], { z: 1, a: 2 });
  assert.deepEqual(r['tuples'], [{ tuple: [] }, { tuple: [1] }, { tuple: [1, 2] }, { tuple: [1, 2, 3] }, { tuple: [1, 2, 3, 4] }]);
});

test('hand-written pickles: memo, DUP, POP_MARK, protocol-0 text opcodes', () => {
  const none = { findGlobal: () => undefined };
  // protocol 0: (lp0\nI1\naI2\na.  → [1, 2]
  assert.deepEqual(unpickle(new BufferSource(bytes('(lp0\nI1\naI2\na.')), none), [1, 2]);
  // memo: a list put in the memo and fetched twice gives the same object
  const v = unpickle(new BufferSource(bytes('\x80\x02]q\x00h\x00\x86q\x01.')), none) as PyTuple;
  assert.ok(v instanceof PyTuple && v.items[0] === v.items[1]);
  assert.deepEqual(unpickle(new BufferSource(bytes('\x80\x02K\x05(K\x01K\x021.')), none), 5); // POP_MARK drops the marked items
  assert.deepEqual(unpickle(new BufferSource(bytes('\x80\x02K\x072\x86.')), none), new PyTuple([7, 7])); // DUP
  assert.equal(unpickle(new BufferSource(bytes("S'a\\nb'\n.")), none), 'a\nb');
  assert.equal(unpickle(new BufferSource(bytes('F2.5\n.')), none), 2.5);
  assert.equal(unpickle(new BufferSource(bytes('\x80\x02\x8a\x02\xff\x7f.')), none), 0x7fff);
});

test('every global outside the allow-list is refused by name; code-running opcodes are refused', () => {
  const allow = { findGlobal: torchGlobals('x', new Set()) };
  expectCode(() => unpickle(new BufferSource(bytes('\x80\x02cbuiltins\neval\nX\x05\x00\x00\x001+1\x85R.')), allow), 'E_PICKLE_GLOBAL', /builtins\.eval/);
  expectCode(() => unpickle(new BufferSource(bytes('\x80\x04\x8c\x02os\x8c\x06system\x93.')), allow), 'E_PICKLE_GLOBAL', /os\.system/);
  expectCode(() => unpickle(new BufferSource(bytes('(ios\nsystem\nX\x01\x00\x00\x00x.')), allow), 'E_PICKLE_GLOBAL', /os\.system/); // INST
  expectCode(() => unpickle(new BufferSource(bytes('\x80\x02\x82\x01.')), allow), 'E_PICKLE_UNSUPPORTED', /extension registry/);
  // REDUCE on something that is not an allow-listed global (a string) is refused.
  expectCode(() => unpickle(new BufferSource(bytes('\x80\x02X\x01\x00\x00\x00x)R.')), allow), 'E_PICKLE_CALL');
  // A storage type is allowed as a marker but cannot be called.
  expectCode(() => unpickle(new BufferSource(bytes('\x80\x02ctorch\nFloatStorage\n)R.')), allow), 'E_PICKLE_CALL');
  expectCode(() => unpickle(new BufferSource(bytes('\x80\x02X\x10\x00\x00\x00short')), allow), 'E_PICKLE_TRUNCATED');
  expectCode(() => unpickle(new BufferSource(bytes('\x80\x02\xff.')), allow), 'E_PICKLE_CORRUPT', /opcode 0xff/);
});
