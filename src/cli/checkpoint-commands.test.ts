/** The CLI of issue 3: glm tokenize, glm tokenizer train, glm convert, glm inspect (run as a user would). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { estimateMemory } from './inspect.js';
import { makeConfig, PRESETS } from '../model/config.js';
import { goldenDir, repoRoot } from '../testing/helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-cli3-'));
const main = (): string => path.join(repoRoot(), 'dist', 'cli', 'main.js');

function glm(...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main(), ...args], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

test('glm tokenize prints ids and tokens; --layout builds the model input; --decode goes back', () => {
  const a = glm('tokenize', '--tokenizer', 'gpt2', 'Hello, world! I like strawberries.');
  assert.equal(a.status, 0, a.err);
  assert.deepEqual(JSON.parse(a.out), { ids: [15496, 11, 995, 0, 314, 588, 36973, 13], tokens: ['Hello', ',', 'Ġworld', '!', 'ĠI', 'Ġlike', 'Ġstrawberries', '.'] });
  const b = glm('tokenize', '--tokenizer', 'glm-large', '--layout', 'hub', 'hello [MASK] world');
  assert.deepEqual(JSON.parse(b.out).ids, [101, 7592, 103, 2088, 102]);
  const c = glm('tokenize', '--tokenizer', 'glm-large', '--layout', 'original', 'hello [MASK] world');
  assert.deepEqual(JSON.parse(c.out).ids, [101, 7592, 103, 2088, 0]);
  const d = glm('tokenize', '--tokenizer', 'glm-10b', '--decode', '[50259, 51, 12215, 33061, 50263]');
  assert.equal(JSON.parse(d.out).text, '[CLS]Tsinghua [gMASK]');
  const e = glm('tokenize', '--tokenizer', 'glm-roberta-large', 'x');
  assert.equal(e.status, 2);
  assert.match(e.err, /glm: error: .*vocab\.json and merges\.txt/);
  const f = glm('tokenize', '--tokenizer', 'gpt2', '--decode', '12', 'x');
  assert.equal(f.status, 2);
  assert.match(f.err, /expects token ids/);
});

test('glm tokenizer train → glm tokenize --tokenizer DIR', () => {
  const data = path.join(tmp, 'd.txt');
  fs.writeFileSync(data, 'one two three four five six seven.\n'.repeat(40));
  const out = path.join(tmp, 'tok');
  const r = glm('tokenizer', 'train', '--type', 'bpe', '--vocab-size', '300', '--data', data, '--out', out);
  assert.equal(r.status, 0, r.err);
  const rep = JSON.parse(r.out);
  assert.equal(rep.paddedVocabSize % 128, 0);
  const t = glm('tokenize', '--tokenizer', out, 'one two [MASK]');
  assert.equal(t.status, 0, t.err);
  assert.equal(JSON.parse(t.out).ids.at(-1), rep.textVocabSize + 3);
  const bad = glm('tokenizer', 'train', '--type', 'bpe', '--vocab-size', 'many', '--data', data, '--out', out);
  assert.equal(bad.status, 2);
  assert.match(bad.err, /--vocab-size must be a positive integer/);
});

test('glm convert and glm inspect', () => {
  const out = path.join(tmp, 'conv');
  const r = glm('convert', goldenDir('tiny'), out, '--dtype', 'bf16');
  assert.equal(r.status, 0, r.err);
  assert.equal(JSON.parse(r.out).dtype, 'bf16');
  const i = glm('inspect', out, '--json');
  assert.equal(i.status, 0, i.err);
  const info = JSON.parse(i.out);
  assert.equal(info.parameters, 160 * 64 + 2 * 49 * 64 + 2 * (12 * 64 * 64 + 13 * 64) + 2 * 64);
  assert.deepEqual(info.dtypes, { BF16: 29 });
  assert.equal(info.tokenizer.source, 'guess');
  const text = glm('inspect', path.join(repoRoot(), 'test-fixtures', 'torch', 'megatron'));
  assert.match(text.out, /2 layers, hidden 16, 2 heads, vocab 64/);
  assert.match(text.out, /F16 × 29/);
  const missing = glm('inspect', path.join(tmp, 'nope'));
  assert.equal(missing.status, 2);
  assert.match(missing.err, /no such checkpoint/);
});

test('memory estimates: GLM-Large and GLM-10B (float32)', () => {
  const large = estimateMemory(makeConfig(PRESETS['large']!));
  assert.equal(large.weights, 4 * (30592 * 1024 + 2 * 513 * 1024 + 24 * (12 * 1024 * 1024 + 13 * 1024) + 2 * 1024));
  assert.ok(large.train > 4 * large.weights && large.run > large.weights);
  const ten = estimateMemory(makeConfig(PRESETS['10b']!));
  assert.ok(ten.weights > 39e9 && ten.weights < 41e9, String(ten.weights));
  assert.ok(ten.notes.some((n) => /cannot hold this model/.test(n)));
});
