/**
 * Corpus → token store, once: the store is cached under a key derived from the corpus content
 * and the tokenizer, so later runs (and resumed runs) reuse it without tokenising again.
 * Also the train/validation split by document.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { type CorpusSpec, corpusDocuments, corpusFingerprint } from './corpus.js';
import { PyRandom } from './pyrandom.js';
import { STORE_VERSION, TokenStore, TokenStoreWriter, readStoreMeta } from './store.js';

/** ~/.cache/glm-ts (or $XDG_CACHE_HOME/glm-ts); GLM_CACHE_DIR overrides. */
export function defaultCacheDir(): string {
  if (process.env['GLM_CACHE_DIR']) return process.env['GLM_CACHE_DIR'];
  const base = process.env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(base, 'glm-ts');
}

/** sha256 over what determines a tokenizer's output: family, sizes, special ids, every token string, a probe encoding. */
export function tokenizerFingerprint(tok: GlmTokenizer): string {
  const h = crypto.createHash('sha256');
  h.update(JSON.stringify({ family: tok.family, numTokens: tok.numTokens, padded: tok.paddedVocabSize, special: tok.special }));
  for (let i = 0; i < tok.numTokens; i++) h.update(`${tok.idToToken(i) ?? ''}\u0000`);
  h.update(JSON.stringify(tok.encode('Hello, World! The quick brown fox: jumps over 13 lazy dogs; naïve café?\nNew line.  Tabs\tand "quotes".')));
  return h.digest('hex');
}

export interface PrepareOptions {
  cacheDir?: string;
  /** corpusFingerprint(spec), when the caller already computed it. */
  corpusHash?: string;
  /** Progress callback, called about every second while tokenising. */
  onProgress?: (p: { docs: number; tokens: number; seconds: number }) => void;
}

export interface PreparedCorpus {
  store: TokenStore;
  key: string;
  dir: string;
  /** True when an existing store was reused. */
  cached: boolean;
  seconds: number;
}

/** Tokenises the corpus into the cache (or reuses the cached store) and opens it. */
export async function prepareCorpus(spec: CorpusSpec, tok: GlmTokenizer, opts: PrepareOptions = {}): Promise<PreparedCorpus> {
  const t0 = performance.now();
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  const corpusHash = opts.corpusHash ?? (await corpusFingerprint(spec));
  const tokHash = tokenizerFingerprint(tok);
  const key = crypto.createHash('sha256').update(`${STORE_VERSION}\n${corpusHash}\n${tokHash}`).digest('hex').slice(0, 24);
  const dir = path.join(cacheDir, `tokens-${key}`);
  if (readStoreMeta(dir)) return { store: TokenStore.open(dir), key, dir, cached: true, seconds: (performance.now() - t0) / 1000 };
  fs.mkdirSync(cacheDir, { recursive: true });
  const writer = new TokenStoreWriter(dir, tok.paddedVocabSize);
  let last = performance.now();
  try {
    for await (const doc of corpusDocuments(spec)) {
      const ids: number[] = doc.prompt ? tok.encode(doc.prompt) : [];
      const promptLength = ids.length;
      if (typeof doc.text === 'string') {
        for (const t of tok.encode(doc.text)) ids.push(t);
      } else {
        for await (const chunk of doc.text) for (const t of tok.encode(chunk)) ids.push(t);
      }
      if (ids.length === 0) continue;
      writer.addDocument(ids, promptLength);
      const now = performance.now();
      if (opts.onProgress && now - last > 1000) {
        last = now;
        opts.onProgress({ docs: writer.documents, tokens: writer.tokens, seconds: (now - t0) / 1000 });
      }
    }
    if (writer.documents === 0) throw new GlmError('E_DATA_EMPTY', `the corpus (${spec.description}) has no text`);
    writer.finish({ corpus: spec.description, corpusSha256: corpusHash, tokenizer: tok.family, tokenizerSha256: tokHash, files: spec.files.length, docSplit: spec.docSplit });
  } catch (e) {
    writer.abort();
    throw e;
  }
  return { store: TokenStore.open(dir), key, dir, cached: false, seconds: (performance.now() - t0) / 1000 };
}

export interface DocSplitResult {
  train: Int32Array;
  valid: Int32Array;
}

/**
 * Train / validation split by document: a seeded permutation of the non-empty documents; the
 * first max(1, round(fraction·n)) go to validation. Fraction 0 gives an empty validation set.
 */
export function splitDocuments(lengths: (i: number) => number, numDocs: number, validFraction: number, seed = 1234): DocSplitResult {
  if (!(validFraction >= 0 && validFraction < 1)) throw new GlmError('E_DATA_OPTION', `validation fraction must be in [0, 1), got ${validFraction}`);
  const ids: number[] = [];
  for (let i = 0; i < numDocs; i++) if (lengths(i) > 0) ids.push(i);
  if (validFraction === 0) return { train: Int32Array.from(ids), valid: new Int32Array(0) };
  if (ids.length < 2) throw new GlmError('E_DATA_SPLIT', `a train/validation split needs at least 2 non-empty documents, the corpus has ${ids.length}; use --doc-split line or blank-line, or more files`);
  new PyRandom(seed).shuffle(ids);
  const nValid = Math.min(ids.length - 1, Math.max(1, Math.round(validFraction * ids.length)));
  const valid = ids.slice(0, nValid).sort((a, b) => a - b), train = ids.slice(nValid).sort((a, b) => a - b);
  return { train: Int32Array.from(train), valid: Int32Array.from(valid) };
}
