/**
 * The six released GLM repositories (test-fixtures/hub/<name>: file list, config.json and
 * tokenizer_config.json as those repositories have them): which files are fetched, the config each
 * gives, and the tokenizer family their remote-code tokenizer configs map to, with its command ids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { selectFiles } from './select.js';
import { parseConfig } from '../model/config.js';
import { hubTokenizerClass } from '../tokenizer/hub-class.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { bertUncasedVocab, gpt2Files } from '../tokenizer/vocab-files.js';
import { SentencePieceModel } from '../tokenizer/sentencepiece/model.js';
import { repoRoot } from '../testing/helpers.js';

const FIX = path.join(repoRoot(), 'test-fixtures', 'hub');
const read = (name: string, f: string): unknown => JSON.parse(fs.readFileSync(path.join(FIX, name, f), 'utf8'));

interface Expect { cls: string; layers: number; hidden: number; heads: number; P: number; V: number; vocabFiles: string[] }
const RELEASED: Record<string, Expect> = {
  'glm-large': { cls: 'GLMBertTokenizer', layers: 24, hidden: 1024, heads: 16, P: 512, V: 30592, vocabFiles: ['vocab.txt'] },
  'glm-roberta-large': { cls: 'GLMRobertaTokenizer', layers: 24, hidden: 1024, heads: 16, P: 512, V: 50304, vocabFiles: ['merges.txt', 'vocab.json'] },
  'glm-2b': { cls: 'GLMGPT2Tokenizer', layers: 36, hidden: 2048, heads: 32, P: 1024, V: 50304, vocabFiles: ['added_tokens.json', 'merges.txt', 'special_tokens_map.json', 'vocab.json'] },
  'glm-10b': { cls: 'GLMGPT2Tokenizer', layers: 48, hidden: 4096, heads: 64, P: 1024, V: 50304, vocabFiles: ['added_tokens.json', 'merges.txt', 'special_tokens_map.json', 'vocab.json'] },
  'glm-large-chinese': { cls: 'GLMChineseTokenizer', layers: 24, hidden: 1024, heads: 16, P: 1024, V: 50048, vocabFiles: ['cog-pretrain.model'] },
  'glm-10b-chinese': { cls: 'GLMChineseTokenizer', layers: 48, hidden: 4096, heads: 64, P: 1024, V: 50048, vocabFiles: ['cog-pretrain.model'] },
};

test('each released repository: config, weights and tokenizer files are fetched, never the remote code', () => {
  for (const [name, want] of Object.entries(RELEASED)) {
    const files = read(name, 'files.json') as string[];
    const sel = selectFiles(`THUDM/${name}`, files);
    assert.deepEqual(sel.files.slice(0, 2), ['config.json', 'pytorch_model.bin'], name);
    assert.deepEqual(sel.files.slice(2).sort(), ['tokenizer_config.json', ...want.vocabFiles].sort(), name);
    assert.ok(!sel.files.some((f) => f.endsWith('.py') || f === 'README.md' || f === '.gitattributes'), name);
    const cfg = parseConfig(read(name, 'config.json'), name);
    assert.deepEqual([cfg.num_layers, cfg.hidden_size, cfg.num_attention_heads, cfg.max_sequence_length, cfg.vocab_size], [want.layers, want.hidden, want.heads, want.P, want.V], name);
    assert.equal(cfg.gelu, 'erf', `${name}: hub checkpoints run the erf GELU`);
    assert.equal(hubTokenizerClass(read(name, 'tokenizer_config.json') as Record<string, unknown>), want.cls, name);
  }
});

test('the class comes from auto_map when tokenizer_class is absent or generic; foreign classes are kept', () => {
  assert.equal(hubTokenizerClass({ auto_map: { AutoTokenizer: ['tokenization_glm.GLMChineseTokenizer', null] } }), 'GLMChineseTokenizer');
  assert.equal(hubTokenizerClass({ tokenizer_class: 'GLMTokenizer', auto_map: { AutoTokenizer: 'tokenization_glm.GLMGPT2Tokenizer' } }), 'GLMGPT2Tokenizer');
  assert.equal(hubTokenizerClass({ tokenizer_class: 'GLMTokenizer' }), '');
  assert.equal(hubTokenizerClass({}), '');
  assert.equal(hubTokenizerClass({ tokenizer_class: 'ChatGLMTokenizer' }), 'ChatGLMTokenizer');
});

/** A folder with the repository's tokenizer_config.json and vocabulary files standing in for the real ones. */
function tokenizerDir(name: string, vocab: Record<string, Uint8Array | string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `glm-hub-tok-${name}-`));
  fs.copyFileSync(path.join(FIX, name, 'tokenizer_config.json'), path.join(dir, 'tokenizer_config.json'));
  for (const [f, b] of Object.entries(vocab)) fs.writeFileSync(path.join(dir, f), b);
  return dir;
}

test('the remote-code tokenizer configs load as our families with the spec §3.2 command ids, no family named', () => {
  const dirs: string[] = [];
  try {
    const gpt2 = gpt2Files();
    const merges = '#version: 0.2\n' + gpt2.merges.join('\n') + '\n';
    const bert = tokenizerDir('glm-large', { 'vocab.txt': bertUncasedVocab().join('\n') + '\n' });
    dirs.push(bert);
    const t1 = loadTokenizer(bert);
    assert.deepEqual([t1.family, t1.special.cls, t1.special.mask, t1.special.sop, t1.special.eop, t1.paddedVocabSize], ['bert', 101, 103, 30522, 30523, 30592]);
    for (const name of ['glm-2b', 'glm-10b']) {
      const d = tokenizerDir(name, { 'vocab.json': JSON.stringify(gpt2.vocab), 'merges.txt': merges });
      dirs.push(d);
      const t = loadTokenizer(d);
      assert.deepEqual([t.family, t.special.eos, t.special.sop, t.special.mask, t.special.gMask, t.paddedVocabSize], ['gpt2', 50256, 50257, 50260, 50263, 50304], name);
    }
    // A RoBERTa-shaped vocabulary (fairseq order: <s> <pad> </s> <unk>, text, <mask>) built from GPT-2's.
    const rob: Record<string, number> = { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3 };
    for (const [t, id] of Object.entries(gpt2.vocab)) if (t !== '<|endoftext|>') rob[t] = id + 4;
    rob['<mask>'] = Object.keys(rob).length;
    const r = tokenizerDir('glm-roberta-large', { 'vocab.json': JSON.stringify(rob), 'merges.txt': merges });
    dirs.push(r);
    const t2 = loadTokenizer(r);
    assert.deepEqual([t2.family, t2.special.cls, t2.special.eos, t2.special.mask, t2.special.sop], ['roberta', 0, 2, rob['<mask>'], rob['<mask>']! + 1]);
    // The Chinese repositories: a SentencePiece model stands in for cog-pretrain.model.
    const spBytes = fs.readFileSync(path.join(repoRoot(), 'test-fixtures', 'sentencepiece', 'zh-unigram.model'));
    const n = SentencePieceModel.fromFile(path.join(repoRoot(), 'test-fixtures', 'sentencepiece', 'zh-unigram.model')).size;
    for (const name of ['glm-large-chinese', 'glm-10b-chinese']) {
      const d = tokenizerDir(name, { 'cog-pretrain.model': spBytes });
      dirs.push(d);
      const t = loadTokenizer(d);
      // The hub tokenizers of both use the fix_command_token ids ([gMASK] n+9, spec §3.2).
      assert.deepEqual([t.family, t.special.eos, t.special.cls, t.special.mask, t.special.sop, t.special.eop, t.special.sMask, t.special.gMask], ['sentencepiece', n, n + 2, n + 3, n + 6, n + 7, n + 8, n + 9], name);
    }
  } finally {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  }
});
