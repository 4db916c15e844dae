/**
 * Raw sample assembly (spec §1.1), ported from the original `BlockDataset.__getitem__`:
 * pick a document with probability proportional to its length, crop long documents at a random
 * sentence-aligned start, prepend [CLS], and pack short ones as `[CLS] doc eos [CLS] doc eos …`
 * up to the sequence length, right-stripping the last one at a sentence end.
 *
 * Sample i is a pure function of (i, seed): its generators are `random.Random(i)` feeding a
 * numpy `RandomState` as in the original (seed 0 reproduces the original's draws exactly), so
 * resuming a run only needs the sample counter.
 */
import { GlmError } from '../util/errors.js';
import type { RawSample } from './blocks.js';
import { NumpyRandomState, PyRandom, bisectRight } from './pyrandom.js';
import type { BlockVocab } from './vocab.js';

/** Read access to tokenised documents (the token store implements it). */
export interface DocumentSource {
  readonly numDocs: number;
  /** Tokens of document i (prompt + text, without eos). */
  docLength(i: number): number;
  /** Prompt tokens at the start of document i (they carry no loss). */
  promptLength(i: number): number;
  /** The tokens of document i (prompt + text, without eos). */
  readDoc(i: number): ArrayLike<number>;
}

export interface SamplerOptions {
  /** Raw sample length: the sequence length before Part B is appended. */
  maxSeqLength: number;
  /** Pack several short documents into one sample (default true, as released models). */
  sampleAcrossDoc?: boolean;
  /** Probability of keeping a random (non sentence-aligned) start when cropping. Default 0. */
  nonSentenceStart?: number;
  /** Mixed into every sample's seed (0 = the original's seeding). */
  seed?: number;
}

function at(a: readonly number[], i: number): number {
  return a[i < 0 ? a.length + i : i]!;
}

export class BlockSampler {
  private readonly cum: Float64Array;
  readonly totalTokens: number;
  private readonly maxSeqLength: number;
  private readonly sampleAcrossDoc: boolean;
  private readonly nonSentenceStart: number;
  private readonly seed: number;
  private readonly sentenceEnd: Uint8Array;

  /** `docs` restricts sampling to a subset (a train or validation split); default all. */
  constructor(readonly source: DocumentSource, readonly vocab: BlockVocab, opts: SamplerOptions, readonly docs: Int32Array | null = null) {
    this.maxSeqLength = opts.maxSeqLength;
    this.sampleAcrossDoc = opts.sampleAcrossDoc ?? true;
    this.nonSentenceStart = opts.nonSentenceStart ?? 0;
    this.seed = opts.seed ?? 0;
    this.sentenceEnd = vocab.cropSentenceEnd ?? vocab.sentenceEnd;
    const n = docs ? docs.length : source.numDocs;
    this.cum = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) this.cum[i] = acc += source.docLength(docs ? docs[i]! : i);
    this.totalTokens = acc;
    if (acc === 0) throw new GlmError('E_DATA_EMPTY', 'no tokens to sample from: every document in this split is empty');
    if (!Number.isInteger(this.maxSeqLength) || this.maxSeqLength < 4) throw new GlmError('E_DATA_OPTION', `sample length must be an integer ≥ 4, got ${this.maxSeqLength}`);
  }

  private isEnd(t: number): boolean {
    return this.sentenceEnd[t] === 1;
  }

  /** getidx: document tokens + eos, loss mask 0 on the prompt and 1 on text and eos. */
  private getDoc(rng: NumpyRandomState): { tokens: number[]; loss: number[] } {
    const x = rng.randint(this.totalTokens);
    const k = bisectRight(this.cum, x);
    const id = this.docs ? this.docs[k]! : k;
    const raw = this.source.readDoc(id);
    const p = this.source.promptLength(id);
    const tokens = Array.from(raw);
    tokens.push(this.vocab.eos);
    const loss = new Array<number>(tokens.length).fill(1);
    for (let i = 0; i < p && i < loss.length; i++) loss[i] = 0;
    return { tokens, loss };
  }

  /** right_strip_seq: cut to `len`, moving the cut back to a sentence end unless that leaves < len/2. */
  private rightStrip(tokens: number[], loss: number[], len: number): [number[], number[]] {
    let strip = tokens.length - len;
    if (strip > 0) {
      while (strip < tokens.length - 1 && !this.isEnd(at(tokens, -strip - 1))) strip++;
      if (tokens.length - strip < Math.floor(len / 2)) strip = tokens.length - len;
      return [tokens.slice(0, tokens.length - strip), loss.slice(0, loss.length - strip)];
    }
    return [tokens, loss];
  }

  /** The per-sample generators of the original: random.Random(i) seeds a numpy RandomState. */
  private sampleRng(index: number): NumpyRandomState {
    const py = new PyRandom(BigInt(index) + (BigInt(this.seed >>> 0) << 64n));
    const words: number[] = [];
    for (let i = 0; i < 16; i++) words.push(py.randint(0, 4294967295));
    return new NumpyRandomState(words);
  }

  /** Sample `index` (spec §1.1). */
  sample(index: number): RawSample {
    const L = this.maxSeqLength;
    const cls = this.vocab.cls;
    const rng = this.sampleRng(index);
    let { tokens, loss } = this.getDoc(rng);
    const toStrip = tokens.length - L + 1;
    if (toStrip > 0) {
      let move = 0;
      let left = rng.randint(toStrip);
      if (rng.random() > this.nonSentenceStart) {
        if (rng.random() < 0.5) {
          while (move < Math.floor(L / 2) && left > 0 && !this.isEnd(at(tokens, left - 1))) {
            left--;
            move++;
          }
        } else {
          while (move < Math.floor(L / 2) && left < tokens.length && !this.isEnd(at(tokens, left - 1))) {
            left++;
            move++;
          }
        }
      }
      tokens = [cls, ...tokens.slice(left)];
      loss = [0, ...loss.slice(left)];
      if (tokens.length === 2 && tokens[1] === this.vocab.eos) {
        // The original empties the sample here; that cannot happen for L ≥ 4 (left stays ≤ len − L/2).
        throw new Error('internal: cropping left only the end-of-document token');
      }
      [tokens, loss] = this.rightStrip(tokens, loss, L);
    } else {
      tokens = [cls, ...tokens];
      loss = [0, ...loss];
      if (this.sampleAcrossDoc) {
        while (tokens.length < L) {
          const d = this.getDoc(rng);
          let nt = [cls, ...d.tokens], nl = [0, ...d.loss];
          const isLast = nt.length >= L - tokens.length;
          [nt, nl] = this.rightStrip(nt, nl, L - tokens.length);
          tokens.push(...nt);
          loss.push(...nl);
          if (isLast) break;
        }
      }
    }
    return { text: tokens, lossMask: loss };
  }
}
