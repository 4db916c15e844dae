/** `glm tokenizer train`: WordPiece, byte-level BPE and unigram vocabularies with GLM command tokens appended. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { trainTokenizer } from './train.js';
import { trainMerges } from './merge-trainer.js';
import { loadTokenizer } from '../load.js';
import { GlmError } from '../../util/errors.js';
import { repoRoot } from '../../testing/helpers.js';
import { expectGlmError as expectCode } from '../../testing/helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-toktrain-'));
const hasSpm = spawnSync('spm_train', ['--help']).error === undefined;

/** A deterministic English-like corpus (Zipf-ish word choice from a fixed list). */
function corpus(): string {
  const words = 'the of and to in a is that for it as was with be by on not he this are or his from at which but have an they you were her she there been one all we their has would when if so no will more other its into time only could new them man some these then two first may any like now my such make over our even most me state after also made many did must before back see through way much where your well down should because each just those people how too little good very world still own long here'.split(' ');
  let s = 12345;
  const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const lines: string[] = [];
  for (let l = 0; l < 1500; l++) {
    const n = 5 + Math.floor(rnd() * 12);
    const ws: string[] = [];
    for (let i = 0; i < n; i++) ws.push(words[Math.floor(words.length * rnd() ** 2.5)]!);
    ws[0] = ws[0]![0]!.toUpperCase() + ws[0]!.slice(1);
    lines.push(ws.join(' ') + (rnd() < 0.3 ? ', ' + (l % 97) + ' times.' : '.'));
  }
  return lines.join('\n') + '\n';
}

const dataFile = path.join(tmp, 'corpus.txt');
fs.writeFileSync(dataFile, corpus());

test('merge trainer: most frequent pair first, ties broken by string, counts updated incrementally', () => {
  const words = new Map([['hug', 10], ['pug', 5], ['pun', 12], ['bun', 4], ['hugs', 5]]);
  // The worked example of the HF course: ug (20) … then un (16), then h+ug (15).
  const { merges, alphabet } = trainMerges(words, (w) => [...w], 3, { minCount: 1 });
  assert.deepEqual(merges, [['u', 'g'], ['u', 'n'], ['h', 'ug']]);
  assert.deepEqual(alphabet, ['u', 'g', 'p', 'n', 'h', 's', 'b']); // by symbol frequency
});

test('wordpiece: text vocabulary of the requested size, command tokens appended, padded to 128, loads back', () => {
  const out = path.join(tmp, 'wp');
  const { tokenizer, report } = trainTokenizer({ type: 'wordpiece', vocabSize: 300, data: [dataFile], out });
  assert.equal(report.textVocabSize, 300);
  assert.deepEqual(tokenizer.special, { pad: 300, eos: 300, cls: 301, sep: 302, mask: 303, unk: 0, sop: 304, eop: 305, gMask: 306, sMask: 307, dBlock: 308 });
  assert.equal(tokenizer.numTokens, 309);
  assert.equal(tokenizer.paddedVocabSize, 384);
  const loaded = loadTokenizer(out);
  const s = 'The people of the world, 42 times. [MASK] Zebra!';
  assert.deepEqual(loaded.encode(s), tokenizer.encode(s));
  assert.equal(loaded.encode('the')[0], loaded.tokenToId('the'), 'a frequent word is one token');
  assert.equal(loaded.encode('the').length, 1);
  assert.ok(loaded.encode(s).includes(303));
  assert.equal(loaded.decode(loaded.encode('the people of the world')), 'the people of the world');
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'glm_tokenizer.json'), 'utf8'));
  assert.deepEqual(cfg.special_token_ids, { PAD: 300, CLS: 301, eos: 300, MASK: 303, sep: 302, unk: 0, sop: 304, eop: 305, sMASK: 307, gMASK: 306, dBLOCK: 308 });
});

test('bpe: byte-level, lossless on any text, deterministic', () => {
  const out = path.join(tmp, 'bpe');
  const { tokenizer, report } = trainTokenizer({ type: 'bpe', vocabSize: 400, data: [dataFile], out });
  assert.equal(report.textVocabSize, 400);
  assert.deepEqual(tokenizer.special, { pad: 400, eos: 400, cls: 401, sep: 402, mask: 403, unk: 404, sop: 405, eop: 406, gMask: 407, sMask: 408, dBlock: 409 });
  assert.equal(tokenizer.paddedVocabSize, 512);
  const loaded = loadTokenizer(out);
  for (const s of ['The people of the world.', 'unseen: Zürich 清华 😀 \t x', '  spaces  ']) {
    assert.equal(loaded.decode(loaded.encode(s)), s, JSON.stringify(s));
  }
  assert.equal(loaded.encode(' the').length, 1);
  assert.deepEqual(loaded.encode('a [gMASK] b'), [...loaded.encode('a'), 407, ...loaded.encode(' b')]);
  const again = path.join(tmp, 'bpe2');
  trainTokenizer({ type: 'bpe', vocabSize: 400, data: [dataFile], out: again });
  assert.equal(fs.readFileSync(path.join(again, 'tokenizer.json'), 'utf8'), fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8'));
});

test('unigram: trained by spm_train, ids equal spm_encode, command tokens after the pieces', { skip: hasSpm ? false : 'spm_train not installed (apt-get install sentencepiece)' }, () => {
  const out = path.join(tmp, 'uni');
  const zh = path.join(repoRoot(), 'test-fixtures', 'sentencepiece', 'zh-train.txt');
  const { tokenizer, report } = trainTokenizer({ type: 'unigram', vocabSize: 2500, data: [zh], out });
  const n = report.textVocabSize;
  assert.ok(n > 1000 && n <= 2500, String(n));
  assert.equal(tokenizer.special.unk, 0);
  assert.equal(tokenizer.special.pad, n);
  assert.equal(tokenizer.special.sop, n + 4);
  const loaded = loadTokenizer(out);
  const text = '清华大学的研究人员提出了一种通用语言模型。';
  const r = spawnSync('spm_encode', [`--model=${path.join(out, 'spm.model')}`, '--output_format=id'], { input: text + '\n', encoding: 'utf8' });
  assert.deepEqual(loaded.encode(text), r.stdout.trim().split(' ').map(Number));
  assert.deepEqual(loaded.encode(text + '[gMASK]').slice(-1), [tokenizer.special.gMask]);
});

test('bad training input gives named errors', () => {
  expectCode(() => trainTokenizer({ type: 'bpe', vocabSize: 100, data: [dataFile], out: path.join(tmp, 'x') }), 'E_TOKENIZER_TRAIN', /256 byte symbols/);
  expectCode(() => trainTokenizer({ type: 'wordpiece', vocabSize: 300, data: [path.join(tmp, 'missing.txt')], out: path.join(tmp, 'x') }), 'E_TOKENIZER_TRAIN', /missing\.txt/);
  expectCode(() => trainTokenizer({ type: 'nope' as 'bpe', vocabSize: 300, data: [dataFile], out: path.join(tmp, 'x') }), 'E_TOKENIZER_TRAIN', /wordpiece, bpe or unigram/);
  expectCode(() => trainTokenizer({ type: 'unigram', vocabSize: 300, data: [dataFile], out: path.join(tmp, 'x'), spmTrain: 'no-such-spm-train' }), 'E_TOKENIZER_TRAIN_TOOL', /apt-get install sentencepiece/);
  const empty = path.join(tmp, 'empty.txt');
  fs.writeFileSync(empty, '\n\n');
  expectCode(() => trainTokenizer({ type: 'wordpiece', vocabSize: 300, data: [empty], out: path.join(tmp, 'x') }), 'E_TOKENIZER_TRAIN', /no words/);
});
