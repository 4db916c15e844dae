/** Special-token ids of every family match spec §3.2; command tokens are cut out of raw text first (§3.1). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTokenizer, BUILTIN_TOKENIZERS } from './load.js';
import { chineseCommands, chineseNumTokens, specialFromCommands } from './families.js';
import { padVocabSize } from './glm-tokenizer.js';
import { GlmError } from '../util/errors.js';
import { repoRoot } from '../testing/helpers.js';
import type { SpecialTokenIdMap } from './types.js';
import { expectGlmError as expectCode } from '../testing/helpers.js';

const SP_MODEL = (): string => path.join(repoRoot(), 'test-fixtures', 'sentencepiece', 'zh-unigram.model');

test('BERT families (glm-base/large/doc/410m/515m, bert-base-uncased): spec §3.2 column 1', () => {
  for (const name of ['bert-base-uncased', 'glm-base', 'glm-large', 'glm-doc', 'glm-410m', 'glm-515m']) {
    const t = loadTokenizer(name);
    assert.equal(t.family, 'bert');
    const want: SpecialTokenIdMap = { pad: 0, eos: 0, cls: 101, mask: 103, sep: 102, unk: 100, sop: 30522, eop: 30523 };
    assert.deepEqual(t.special, want, name);
    assert.equal(t.numTokens, 30524);
    assert.equal(t.paddedVocabSize, 30592);
  }
});

test('GPT-2 families (glm-2b, glm-10b, gpt2): spec §3.2 column 3', () => {
  for (const name of ['gpt2', 'glm-2b', 'glm-10b']) {
    const t = loadTokenizer(name);
    assert.deepEqual(t.special, { pad: 50256, eos: 50256, cls: 50259, mask: 50260, sep: 50261, unk: 50262, sop: 50257, eop: 50258, gMask: 50263, sMask: 50264, dBlock: 50265 }, name);
    assert.equal(t.numTokens, 50266);
    assert.equal(t.paddedVocabSize, 50304);
  }
});

test('Chinese SentencePiece ids for the 50,000-piece model: spec §3.2 columns 4 and 5 (gMASK rule)', () => {
  const fixed = specialFromCommands(chineseCommands(50000, { fixCommandToken: true }));
  assert.deepEqual(fixed, { pad: 50000, eos: 50000, sep: 50001, cls: 50002, mask: 50003, unk: 50004, sop: 50006, eop: 50007, sMask: 50008, gMask: 50009 });
  const orig = specialFromCommands(chineseCommands(50000, { fixCommandToken: false }));
  assert.deepEqual(orig, { pad: 50000, eos: 50000, sep: 50001, cls: 50002, mask: 50003, unk: 50004, sop: 50006, eop: 50007, gMask: 50007, sMask: 50008, dBlock: 50009 });
  assert.equal(padVocabSize(chineseNumTokens(50000, { fixCommandToken: true })), 50048);
  assert.equal(padVocabSize(chineseNumTokens(50000, { fixCommandToken: false })), 50048);
});

test('glm-large-chinese / glm-10b-chinese over a SentencePiece model: ids relative to its size, gMASK rule behind an option', () => {
  const n = 2600; // pieces in the fixture model
  const large = loadTokenizer('glm-large-chinese', { spModel: SP_MODEL() });
  assert.equal(large.family, 'sentencepiece');
  assert.deepEqual(large.special, { pad: n, eos: n, sep: n + 1, cls: n + 2, mask: n + 3, unk: n + 4, sop: n + 6, eop: n + 7, sMask: n + 8, gMask: n + 9 });
  const hub = loadTokenizer('glm-10b-chinese', { spModel: SP_MODEL() });
  assert.equal(hub.special.gMask, n + 9);
  assert.deepEqual(hub.encode('天[gMASK]'), [...hub.encode('天'), n + 9]);
  const orig = loadTokenizer('glm-10b-chinese', { spModel: SP_MODEL(), chineseGMask: 'original' });
  assert.equal(orig.special.gMask, n + 7);
  assert.equal(orig.special.eop, n + 7);
  assert.equal(orig.special.dBlock, n + 9);
  assert.deepEqual(orig.encode('天[gMASK]'), [...orig.encode('天'), n + 7]);
  // The layout option picks the rule when it is not given explicitly.
  assert.equal(loadTokenizer('glm-10b-chinese', { spModel: SP_MODEL(), layout: 'original' }).special.gMask, n + 7);
  // A 7-eop id decodes as eop (the first role declared for it).
  assert.equal(orig.idToToken(n + 7), '<|endofpiece|>');
});

test('RoBERTa (glm-roberta-large) needs the user files; ids follow spec §3.2 column 2', () => {
  expectCode(() => loadTokenizer('glm-roberta-large'), 'E_TOKENIZER_FILES_REQUIRED', /vocab\.json and merges\.txt/);
  expectCode(() => loadTokenizer('glm-large-chinese'), 'E_TOKENIZER_FILES_REQUIRED', /cog-pretrain\.model/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-roberta-'));
  // A synthetic vocabulary with RoBERTa's layout: <s> 0, <pad> 1, </s> 2, <unk> 3, …, <mask> 50264.
  const vocab: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
  const base = ['a', 'b', 'Ġ', 'Ġb', 'ab'];
  base.forEach((t, i) => (vocab[t] = 4 + i));
  for (let i = 4 + base.length; i < 50264; i++) vocab[`tok${i}`] = i;
  vocab['<mask>'] = 50264;
  fs.writeFileSync(path.join(dir, 'vocab.json'), JSON.stringify(vocab));
  fs.writeFileSync(path.join(dir, 'merges.txt'), '#version: 0.2\na b\nĠ b\n');
  const t = loadTokenizer('glm-roberta-large', { vocabFile: path.join(dir, 'vocab.json'), mergesFile: path.join(dir, 'merges.txt') });
  assert.deepEqual(t.special, { pad: 2, eos: 2, sep: 2, cls: 0, mask: 50264, unk: 3, sop: 50265, eop: 50266 });
  assert.equal(t.numTokens, 50267);
  assert.equal(t.paddedVocabSize, 50304);
  assert.deepEqual(t.encode('ab [MASK] b'), [vocab['ab'], 50264, vocab['Ġb']]);
  fs.writeFileSync(path.join(dir, 'merges.txt'), '#version: 0.2\na b c\n');
  expectCode(() => loadTokenizer('glm-roberta-large', { vocabFile: path.join(dir, 'vocab.json'), mergesFile: path.join(dir, 'merges.txt') }), 'E_TOKENIZER_FILE', /line 2/);
});

test('command tokens are cut out before subword tokenisation, masks eat the space on their left', () => {
  const g = loadTokenizer('glm-10b');
  // Verified vectors of data-sources.md §5.3.
  assert.deepEqual(g.encode('a [MASK] b'), [64, 50260, 275]);
  assert.deepEqual(g.encode('Tsinghua [gMASK]'), [51, 12215, 33061, 50263]);
  assert.deepEqual(g.encode('x<|startofpiece|> y<|endofpiece|>'), [87, 50257, 331, 50258]);
  assert.deepEqual(g.encode('[sMASK][MASK]'), [50264, 50260]);
  assert.deepEqual(g.encode('a <|endoftext|>'), [64, 220, 50256]); // no lstrip: the space stays text
  assert.deepEqual(g.encode('   '), []); // whitespace-only text gives no ids, as in the original
  assert.equal(g.decode(g.encode('a [MASK] b')), 'a [MASK] b');
  assert.equal(g.decode(g.encode('a [MASK] b'), { skipSpecial: true }), 'a b');
  const b = loadTokenizer('glm-large');
  assert.deepEqual(b.encode('hello [MASK] world<|startofpiece|>'), [7592, 103, 2088, 30522]);
  assert.deepEqual(b.encode('[CLS] x [SEP]'), [101, 1060, 102]);
  assert.equal(b.decode([7592, 103, 2088, 30522]), 'hello [MASK] world <|startofpiece|>');
  assert.equal(b.idToToken(30523), '<|endofpiece|>');
  assert.equal(b.tokenToId('strawberry'), 16876);
  assert.throws(() => b.decode([40000]), (e: unknown) => e instanceof GlmError && e.code === 'E_TOKEN_ID');
});

test('every built-in name loads or names the file it needs', () => {
  for (const name of BUILTIN_TOKENIZERS) {
    try {
      const t = loadTokenizer(name);
      assert.equal(t.paddedVocabSize % 128, 0);
    } catch (e) {
      assert.ok(e instanceof GlmError && e.code === 'E_TOKENIZER_FILES_REQUIRED', `${name}: ${String(e)}`);
    }
  }
  expectCode(() => loadTokenizer('no-such-model'), 'E_TOKENIZER_UNKNOWN', /glm-10b-chinese/);
  expectCode(() => loadTokenizer('/nonexistent/dir'), 'E_TOKENIZER_NOT_FOUND');
});
