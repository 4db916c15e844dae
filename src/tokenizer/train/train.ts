/**
 * `glm tokenizer train`: own vocabularies for from-scratch pretraining (WordPiece, byte-level BPE,
 * or unigram via Debian's spm_train). The text vocabulary comes first, the GLM command tokens are
 * appended after it (families.ts customCommands), and the model's vocab_size is their total
 * rounded up to a multiple of 128. The folder written loads with loadTokenizer(dir).
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Tokenizer } from '@huggingface/tokenizers';
import { GlmError } from '../../util/errors.js';
import { bertTokenizerJson, byteLevelBpeTokenizerJson, HfTextModel } from '../hf-model.js';
import { customCommands, specialFromCommands } from '../families.js';
import { LoadedTokenizer } from '../load.js';
import { saveTokenizer } from '../save.js';
import { SentencePieceModel } from '../sentencepiece/model.js';
import { PieceType } from '../sentencepiece/proto.js';
import { expandDataFiles, forEachLine } from './corpus.js';
import { trainMerges } from './merge-trainer.js';
import type { CommandTokenInfo } from '../types.js';
import type { TextModel } from '../text-model.js';

export type TrainerType = 'wordpiece' | 'bpe' | 'unigram';

export interface TrainTokenizerOptions {
  type: TrainerType;
  /** Size of the text vocabulary (before command tokens and padding). */
  vocabSize: number;
  /** Text files, or folders of *.txt files. */
  data: string[];
  /** Output folder. */
  out: string;
  /** WordPiece only: lower-case and strip accents like bert-base-uncased (default true). */
  lowercase?: boolean;
  /** Merges need at least this many occurrences (default 2). */
  minFrequency?: number;
  /** Unigram only: spm_train's --character_coverage (default 0.9995). */
  characterCoverage?: number;
  /** Unigram only: the spm_train executable (default "spm_train" on PATH). */
  spmTrain?: string;
}

export interface TrainReport {
  type: TrainerType;
  files: number;
  bytes: number;
  /** Distinct pre-tokenized words (wordpiece / bpe). */
  words?: number;
  textVocabSize: number;
  numTokens: number;
  paddedVocabSize: number;
  seconds: number;
  written: string[];
}

function commandAddedTokens(commands: readonly CommandTokenInfo[]): Record<string, unknown>[] {
  const seen = new Set<number>();
  return commands.filter((c) => !seen.has(c.id) && seen.add(c.id)).map((c) => ({ id: c.id, content: c.token, special: true, normalized: false, lstrip: c.lstrip, rstrip: false, single_word: false }));
}

function countWords(files: string[], preTokenize: (line: string) => string[]): { words: Map<string, number>; bytes: number } {
  const words = new Map<string, number>();
  const { bytes } = forEachLine(files, (line) => {
    for (const w of preTokenize(line)) words.set(w, (words.get(w) ?? 0) + 1);
  });
  return { words, bytes };
}

function trainWordPiece(files: string[], o: TrainTokenizerOptions): { json: Record<string, unknown>; words: number; bytes: number; textSize: number } {
  const base = new Tokenizer(bertTokenizerJson(['[UNK]'], { lowercase: o.lowercase ?? true }), {});
  const norm = base.normalizer!, pre = base.pre_tokenizer!;
  const { words, bytes } = countWords(files, (line) => pre.pre_tokenize(norm.normalize(line)));
  for (const w of words.keys()) if ([...w].length > 100) words.delete(w); // such words are [UNK] anyway
  const split = (w: string): string[] => [...w].map((c, i) => (i === 0 ? c : '##' + c));
  const budget = o.vocabSize - 1; // [UNK] first
  const { merges, alphabet } = trainMerges(words, split, Number.MAX_SAFE_INTEGER, { minCount: o.minFrequency ?? 2, continuingPrefix: '##' });
  // The alphabet (most frequent first) always goes in; rare characters beyond the budget become [UNK].
  const vocab = ['[UNK]', ...alphabet.slice(0, budget)];
  const have = new Set(vocab);
  for (const [a, b] of merges) {
    if (vocab.length >= o.vocabSize) break;
    const t = a + (b.startsWith('##') ? b.slice(2) : b);
    if (!have.has(t)) {
      have.add(t);
      vocab.push(t);
    }
  }
  const json = bertTokenizerJson(vocab, { lowercase: o.lowercase ?? true });
  const commands = customCommands(vocab.length, 0);
  json['added_tokens'] = commandAddedTokens(commands);
  return { json, words: words.size, bytes, textSize: vocab.length };
}

/** GPT-2's byte → printable-character table (bytes_to_unicode), in GPT-2's id order. */
function byteAlphabet(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const chars = bs.map((b) => String.fromCodePoint(b));
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) chars.push(String.fromCodePoint(256 + n++));
  return chars;
}

function trainByteLevelBpe(files: string[], o: TrainTokenizerOptions): { json: Record<string, unknown>; words: number; bytes: number; textSize: number; vocab: Record<string, number>; merges: string[] } {
  if (o.vocabSize < 257) throw new GlmError('E_TOKENIZER_TRAIN', `a byte-level BPE vocabulary needs more than the 256 byte symbols, got --vocab-size ${o.vocabSize}`);
  const base = new Tokenizer(byteLevelBpeTokenizerJson({}, []), {});
  const pre = base.pre_tokenizer!;
  const { words, bytes } = countWords(files, (line) => pre.pre_tokenize(line));
  const alphabet = byteAlphabet();
  const { merges } = trainMerges(words, (w) => [...w], o.vocabSize - alphabet.length, { minCount: o.minFrequency ?? 2 });
  const vocab: Record<string, number> = Object.create(null);
  alphabet.forEach((c, i) => (vocab[c] = i));
  const mergeLines: string[] = [];
  for (const [a, b] of merges) {
    const t = a + b;
    if (vocab[t] === undefined) vocab[t] = Object.keys(vocab).length;
    mergeLines.push(`${a} ${b}`);
  }
  const textSize = Object.keys(vocab).length;
  const commands = customCommands(textSize, undefined);
  const json = byteLevelBpeTokenizerJson(vocab, mergeLines);
  json['added_tokens'] = commandAddedTokens(commands);
  return { json, words: words.size, bytes, textSize, vocab, merges: mergeLines };
}

function trainUnigram(files: string[], o: TrainTokenizerOptions): { model: SentencePieceModel; bytes: number; written: string[] } {
  const prefix = path.join(o.out, 'spm');
  const exe = o.spmTrain ?? 'spm_train';
  const args = [
    `--input=${files.join(',')}`, `--model_prefix=${prefix}`, `--vocab_size=${o.vocabSize}`, '--model_type=unigram',
    '--unk_id=0', '--bos_id=-1', '--eos_id=-1', '--pad_id=-1', `--character_coverage=${o.characterCoverage ?? 0.9995}`,
    '--hard_vocab_limit=false', '--num_threads=2', '--minloglevel=1',
  ];
  const r = spawnSync(exe, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new GlmError('E_TOKENIZER_TRAIN_TOOL', missing ? `unigram training needs SentencePiece's ${exe} (Debian: apt-get install sentencepiece)` : `cannot run ${exe}: ${r.error.message}`, { cause: r.error });
  }
  if (r.status !== 0) {
    const tail = (r.stderr || '').trim().split('\n').slice(-3).join(' | ');
    throw new GlmError('E_TOKENIZER_TRAIN_TOOL', `${exe} failed (exit ${r.status}): ${tail}`);
  }
  const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0);
  return { model: SentencePieceModel.fromFile(prefix + '.model'), bytes, written: ['spm.model', 'spm.vocab'] };
}

/** HF tokenizer.json for a unigram SentencePiece model (interop only; glm-ts reads spm.model). */
function unigramTokenizerJson(sp: SentencePieceModel, commands: readonly CommandTokenInfo[]): Record<string, unknown> {
  const p = sp.proto;
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: commandAddedTokens(commands),
    normalizer: p.normalizer.precompiledCharsmap.length ? { type: 'Precompiled', precompiled_charsmap: Buffer.from(p.normalizer.precompiledCharsmap).toString('base64') } : null,
    pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: p.normalizer.addDummyPrefix ? 'always' : 'never', split: true },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: p.normalizer.addDummyPrefix ? 'always' : 'never', split: true },
    model: { type: 'Unigram', unk_id: sp.unkId, byte_fallback: p.byteFallback, vocab: p.pieces.map((x) => [x.piece, x.type === PieceType.NORMAL || x.type === PieceType.USER_DEFINED ? x.score : 0]) },
  };
}

/** Trains a tokenizer and writes it to opts.out. */
export function trainTokenizer(o: TrainTokenizerOptions): { tokenizer: LoadedTokenizer; report: TrainReport } {
  const t0 = Date.now();
  if (!['wordpiece', 'bpe', 'unigram'].includes(o.type)) throw new GlmError('E_TOKENIZER_TRAIN', `--type must be wordpiece, bpe or unigram, got ${JSON.stringify(o.type)}`);
  if (!(Number.isInteger(o.vocabSize) && o.vocabSize >= 2)) throw new GlmError('E_TOKENIZER_TRAIN', `--vocab-size must be an integer ≥ 2, got ${o.vocabSize}`);
  const files = expandDataFiles(o.data);
  fs.mkdirSync(o.out, { recursive: true });
  let text: TextModel, commands: CommandTokenInfo[], source: LoadedTokenizer['source'], words: number | undefined, bytes: number, textSize: number;
  const extra: string[] = [];
  if (o.type === 'unigram') {
    const r = trainUnigram(files, o);
    text = r.model;
    commands = customCommands(r.model.size, r.model.unkId);
    source = { kind: 'sentencepiece', bytes: r.model.proto.bytes };
    bytes = r.bytes;
    textSize = r.model.size;
    fs.writeFileSync(path.join(o.out, 'tokenizer.json'), JSON.stringify(unigramTokenizerJson(r.model, commands)) + '\n');
    extra.push(...r.written, 'tokenizer.json');
  } else {
    const r = o.type === 'wordpiece' ? trainWordPiece(files, o) : trainByteLevelBpe(files, o);
    text = new HfTextModel(r.json, {}, { joinWithSpace: o.type === 'wordpiece' });
    commands = customCommands(r.textSize, o.type === 'wordpiece' ? 0 : undefined);
    source = { kind: 'hf-json', json: r.json };
    textSize = r.textSize;
    words = r.words;
    bytes = r.bytes;
    if (words === 0) throw new GlmError('E_TOKENIZER_TRAIN', `the training data has no words (${files.length} file(s), ${bytes} bytes)`);
  }
  const numTokens = Math.max(...commands.map((c) => c.id)) + 1;
  const tokenizer = new LoadedTokenizer({ family: 'custom', text, commands, special: specialFromCommands(commands), numTokens, name: o.out, defaultLayout: 'hub' });
  tokenizer.source = source;
  tokenizer.hubClass = 'GLMTokenizer';
  const written = [...extra, ...saveTokenizer(tokenizer, o.out)];
  return {
    tokenizer,
    report: {
      type: o.type, files: files.length, bytes, ...(words !== undefined ? { words } : {}),
      textVocabSize: textSize, numTokens, paddedVocabSize: tokenizer.paddedVocabSize, seconds: (Date.now() - t0) / 1000, written,
    },
  };
}
