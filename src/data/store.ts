/**
 * The binary token store: a tokenised corpus on disk, read back by chunks so corpora larger than
 * memory work.
 *
 *   <dir>/tokens.bin  every document's tokens (prompt + text), back to back, little-endian
 *                     uint16 (vocabularies ≤ 65,536 ids) or uint32
 *   <dir>/docs.bin    per document two little-endian uint32: token count, prompt token count
 *   <dir>/meta.json   format, dtype, counts, the sha256 of both binaries, and the caller's
 *                     metadata (tokenizer and corpus fingerprints, sources)
 *
 * A store is written into a temporary folder and renamed into place when complete, so a crash
 * never leaves a half-written store behind; opening one checks sizes against meta.json.
 * Documents hold no eos: the sampler appends it (spec §1.1).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import type { DocumentSource } from './sampler.js';

export const STORE_FORMAT = 'glm-ts-token-store';
export const STORE_VERSION = 1;

export type TokenDType = 'uint16' | 'uint32';

export interface StoreMeta {
  format: typeof STORE_FORMAT;
  version: number;
  dtype: TokenDType;
  numTokens: number;
  numDocs: number;
  vocabSize: number;
  tokensSha256: string;
  docsSha256: string;
  /** Free-form provenance (tokenizer / corpus fingerprints, source list). */
  info: Record<string, unknown>;
}

/** Streams documents into a new store folder (atomically created on finish()). */
export class TokenStoreWriter {
  readonly dtype: TokenDType;
  private readonly tmp: string;
  private readonly fd: number;
  private buf: Uint16Array | Uint32Array;
  private used = 0;
  private docs = new Uint32Array(2 * 1024);
  private numDocs = 0;
  private numTokens = 0;
  private readonly hash = crypto.createHash('sha256');
  private done = false;

  constructor(readonly dir: string, readonly vocabSize: number) {
    this.dtype = vocabSize <= 65536 ? 'uint16' : 'uint32';
    this.tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    fs.mkdirSync(this.tmp, { recursive: true });
    this.fd = fs.openSync(path.join(this.tmp, 'tokens.bin'), 'w');
    this.buf = this.dtype === 'uint16' ? new Uint16Array(1 << 20) : new Uint32Array(1 << 20);
  }

  /** Appends one document (prompt tokens first). */
  addDocument(tokens: ArrayLike<number>, promptLength = 0): void {
    if (promptLength > tokens.length) throw new Error(`prompt length ${promptLength} exceeds document length ${tokens.length}`);
    // Check the whole document first so a bad id leaves nothing half-written.
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (!(t >= 0 && t < this.vocabSize) || !Number.isInteger(t)) {
        throw new GlmError('E_DATA_TOKEN_ID', `token id ${t} at position ${i} of document ${this.numDocs} is outside the vocabulary [0, ${this.vocabSize})`);
      }
    }
    for (let i = 0; i < tokens.length; i++) {
      if (this.used === this.buf.length) this.flush();
      this.buf[this.used++] = tokens[i]!;
    }
    if (2 * this.numDocs + 2 > this.docs.length) {
      const grown = new Uint32Array(this.docs.length * 2);
      grown.set(this.docs);
      this.docs = grown;
    }
    this.docs[2 * this.numDocs] = tokens.length;
    this.docs[2 * this.numDocs + 1] = promptLength;
    this.numDocs++;
    this.numTokens += tokens.length;
  }

  get documents(): number {
    return this.numDocs;
  }

  get tokens(): number {
    return this.numTokens;
  }

  private flush(): void {
    if (this.used === 0) return;
    const bytes = new Uint8Array(this.buf.buffer, 0, this.used * this.buf.BYTES_PER_ELEMENT);
    this.hash.update(bytes);
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(this.fd, bytes, off, bytes.length - off);
    this.used = 0;
  }

  /** Writes docs.bin and meta.json, fsyncs, and renames the folder into place. */
  finish(info: Record<string, unknown> = {}): StoreMeta {
    if (this.done) throw new Error('TokenStoreWriter.finish called twice');
    this.done = true;
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    const docsBytes = new Uint8Array(this.docs.buffer, 0, this.numDocs * 8);
    writeSynced(path.join(this.tmp, 'docs.bin'), docsBytes);
    const meta: StoreMeta = {
      format: STORE_FORMAT, version: STORE_VERSION, dtype: this.dtype, numTokens: this.numTokens, numDocs: this.numDocs,
      vocabSize: this.vocabSize, tokensSha256: this.hash.digest('hex'), docsSha256: crypto.createHash('sha256').update(docsBytes).digest('hex'), info,
    };
    writeSynced(path.join(this.tmp, 'meta.json'), Buffer.from(JSON.stringify(meta, null, 2) + '\n'));
    if (fs.existsSync(this.dir)) {
      // Another process finished the same store first: keep theirs.
      fs.rmSync(this.tmp, { recursive: true, force: true });
    } else {
      fs.renameSync(this.tmp, this.dir);
    }
    return meta;
  }

  /** Removes the temporary folder (after an error). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

function writeSynced(file: string, data: Uint8Array): void {
  const fd = fs.openSync(file, 'w');
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads meta.json of a store folder, or null when there is no complete store there. */
export function readStoreMeta(dir: string): StoreMeta | null {
  const file = path.join(dir, 'meta.json');
  if (!fs.existsSync(file)) return null;
  let meta: StoreMeta;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8')) as StoreMeta;
  } catch (e) {
    throw new GlmError('E_DATA_STORE', `meta.json is not valid JSON: ${(e as Error).message}`, { path: file });
  }
  if (meta.format !== STORE_FORMAT || meta.version !== STORE_VERSION) {
    throw new GlmError('E_DATA_STORE', `not a ${STORE_FORMAT} v${STORE_VERSION} (format ${String(meta.format)}, version ${String(meta.version)})`, { path: file });
  }
  return meta;
}

/**
 * A store opened for reading. Tokens are read on demand through an LRU cache of fixed-size
 * chunks (positioned reads), so memory stays bounded whatever the corpus size; the document
 * table (8 bytes per document) is loaded whole.
 */
export class TokenStore implements DocumentSource {
  readonly meta: StoreMeta;
  private readonly fd: number;
  private readonly lengths: Uint32Array;
  private readonly prompts: Uint32Array;
  /** Token offset of each document (exact in float64 up to 2^53 tokens). */
  private readonly offsets: Float64Array;
  private readonly elem: number;
  private readonly chunkBytes: number;
  private readonly maxChunks: number;
  private readonly chunks = new Map<number, Uint8Array>();

  private constructor(readonly dir: string, meta: StoreMeta, opts: { chunkBytes?: number; maxChunks?: number }) {
    this.meta = meta;
    this.elem = meta.dtype === 'uint16' ? 2 : 4;
    this.chunkBytes = opts.chunkBytes ?? 1 << 20;
    this.maxChunks = opts.maxChunks ?? 64;
    if (this.chunkBytes % 4 !== 0) throw new Error('chunkBytes must be a multiple of 4');
    const tokensFile = path.join(dir, 'tokens.bin'), docsFile = path.join(dir, 'docs.bin');
    for (const f of [tokensFile, docsFile]) if (!fs.existsSync(f)) throw new GlmError('E_DATA_STORE', `missing ${path.basename(f)}`, { path: dir });
    const tokSize = fs.statSync(tokensFile).size;
    if (tokSize !== meta.numTokens * this.elem) {
      throw new GlmError('E_DATA_STORE', `tokens.bin has ${tokSize} bytes, meta.json says ${meta.numTokens} ${meta.dtype} tokens (${meta.numTokens * this.elem} bytes)`, { path: tokensFile });
    }
    const docBuf = fs.readFileSync(docsFile);
    if (docBuf.length !== meta.numDocs * 8) throw new GlmError('E_DATA_STORE', `docs.bin has ${docBuf.length} bytes, expected ${meta.numDocs * 8}`, { path: docsFile });
    const table = new Uint32Array(docBuf.buffer.slice(docBuf.byteOffset, docBuf.byteOffset + docBuf.length));
    this.lengths = new Uint32Array(meta.numDocs);
    this.prompts = new Uint32Array(meta.numDocs);
    this.offsets = new Float64Array(meta.numDocs);
    let acc = 0;
    for (let i = 0; i < meta.numDocs; i++) {
      this.lengths[i] = table[2 * i]!;
      this.prompts[i] = table[2 * i + 1]!;
      this.offsets[i] = acc;
      acc += table[2 * i]!;
    }
    if (acc !== meta.numTokens) throw new GlmError('E_DATA_STORE', `docs.bin sums to ${acc} tokens, meta.json says ${meta.numTokens}`, { path: docsFile });
    this.fd = fs.openSync(tokensFile, 'r');
  }

  /** Opens a complete store folder. */
  static open(dir: string, opts: { chunkBytes?: number; maxChunks?: number; verify?: boolean } = {}): TokenStore {
    const meta = readStoreMeta(dir);
    if (!meta) throw new GlmError('E_DATA_STORE', 'no token store here (meta.json missing)', { path: dir });
    const store = new TokenStore(dir, meta, opts);
    if (opts.verify) store.verify();
    return store;
  }

  get numDocs(): number {
    return this.meta.numDocs;
  }

  get numTokens(): number {
    return this.meta.numTokens;
  }

  docLength(i: number): number {
    return this.lengths[i]!;
  }

  promptLength(i: number): number {
    return this.prompts[i]!;
  }

  private chunk(k: number): Uint8Array {
    const hit = this.chunks.get(k);
    if (hit) {
      // Refresh LRU order.
      this.chunks.delete(k);
      this.chunks.set(k, hit);
      return hit;
    }
    const total = this.meta.numTokens * this.elem;
    const start = k * this.chunkBytes;
    const len = Math.min(this.chunkBytes, total - start);
    const buf = new Uint8Array(len);
    let off = 0;
    while (off < len) {
      const n = fs.readSync(this.fd, buf, off, len - off, start + off);
      if (n === 0) throw new GlmError('E_DATA_STORE', `tokens.bin ended early at byte ${start + off}`, { path: this.dir });
      off += n;
    }
    if (this.chunks.size >= this.maxChunks) this.chunks.delete(this.chunks.keys().next().value!);
    this.chunks.set(k, buf);
    return buf;
  }

  /** Tokens [from, from + count) of the whole store. */
  readTokens(from: number, count: number): Uint32Array {
    const out = new Uint32Array(count);
    const e = this.elem;
    let done = 0;
    while (done < count) {
      const byte = (from + done) * e;
      const k = Math.floor(byte / this.chunkBytes);
      const c = this.chunk(k);
      const within = byte - k * this.chunkBytes;
      const n = Math.min(count - done, (c.length - within) / e);
      const view = e === 2 ? new Uint16Array(c.buffer, c.byteOffset + within, n) : new Uint32Array(c.buffer, c.byteOffset + within, n);
      out.set(view, done);
      done += n;
    }
    return out;
  }

  readDoc(i: number): Uint32Array {
    if (!(i >= 0 && i < this.meta.numDocs)) throw new RangeError(`document ${i} out of range [0, ${this.meta.numDocs})`);
    return this.readTokens(this.offsets[i]!, this.lengths[i]!);
  }

  /** Recomputes the sha256 of tokens.bin (streamed) and compares it with meta.json. */
  verify(): void {
    const h = crypto.createHash('sha256');
    const total = this.meta.numTokens * this.elem;
    const buf = new Uint8Array(Math.min(total, 1 << 22) || 1);
    for (let off = 0; off < total; ) {
      const n = fs.readSync(this.fd, buf, 0, Math.min(buf.length, total - off), off);
      h.update(buf.subarray(0, n));
      off += n;
    }
    const got = h.digest('hex');
    if (got !== this.meta.tokensSha256) throw new GlmError('E_DATA_STORE_CORRUPT', `tokens.bin checksum ${got.slice(0, 12)}… does not match meta.json ${this.meta.tokensSha256.slice(0, 12)}…`, { path: this.dir });
  }

  close(): void {
    fs.closeSync(this.fd);
    this.chunks.clear();
  }
}
