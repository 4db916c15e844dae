/**
 * The per-batch objective mixture of GLM pretraining (spec §1.2, §1.6–§1.8), ported from the
 * original `ConstructBlockStrategy.construct_blocks`:
 *
 *   - token-level blank infilling ("bert": Poisson(λ) spans until ≥ 15 %, [MASK]);
 *   - sentence-level ("sentence": whole sentences until ≥ 15 %, [sMASK] with task masks);
 *   - document-level ("gpt": one long span, suffix with no [eop] or a single infill, [gMASK]);
 *   - extras: short-sequence splitting, single-span batches, [dBLOCK] corruption;
 *   - ablations: no span shuffling, no block positions, sentinel tokens, masked LM, causal LM.
 *
 * Batch k uses a `PyRandom` seeded with the key words [k] (or [k, seed] for seed ≠ 0): with
 * seed 0 it is exactly the original's `random.Random(count)` for one worker on one rank.
 */
import { GlmError } from '../util/errors.js';
import { type BlockExample, type RawSample, type Span, makeBlockData, makeMaskedData, sampleSpansInDocument, type MakeBlockOptions } from './blocks.js';
import { PyRandom } from './pyrandom.js';
import type { BlockVocab } from './vocab.js';

export type ObjectiveMode = 'bert' | 'sentence' | 'gpt' | 'causal';

/** Options of the objective mixture; names follow the original's arguments (spec §1.10). */
export interface ObjectiveOptions {
  /** Samples are at most this long (the sequence length P of the raw text). */
  maxSeqLength: number;
  /** P(token-level blank infilling) per batch. Default 1. */
  bertProb: number;
  /** P(sentence-level) per batch. Default 0. gpt gets 1 − bertProb − gapSentenceProb. */
  gapSentenceProb: number;
  /** P(suffix branch) for single-document samples in gpt mode (spec §1.7). Default 0.5. */
  gptInfillProb: number;
  /** G ≥ int(gptMinRatio · min_len). Default 0.5. */
  gptMinRatio: number;
  /** Masked fraction for token-level spans. Default 0.15. */
  bertRatio: number;
  /** Masked fraction for sentence-level spans. Default 0.15. */
  gapSentenceRatio: number;
  /** Poisson λ of span lengths. Default 3. */
  averageBlockLength: number;
  /** Lengths 1..maxBlockLength−1. Default 40. */
  maxBlockLength: number;
  /** [dBLOCK] corruption of Part-B inputs (token level). Default 0. */
  blockMaskProb: number;
  /** P(split every sample of the batch into short pieces), spec §1.8. Default 0. */
  shortSeqProb: number;
  /** P(one span per sample, token level), spec §1.2. Default 0. */
  singleSpanProb: number;
  /** [sMASK]/[gMASK] in Part A (the vocabulary's sMask/gMask already encode this). */
  taskMask: boolean;
  /** Ablation switches. */
  shuffleBlocks: boolean;
  blockPositionEncoding: boolean;
  sentinelToken: boolean;
  randomPosition: boolean;
  maskedLm: boolean;
  /** Causal LM baseline: every batch is plain left-to-right LM (no blanks, sep = 0). */
  causalLm: boolean;
  /** Mixed into every batch seed (0 = the original's seeding). */
  seed: number;
}

export const DEFAULT_OBJECTIVE: Omit<ObjectiveOptions, 'maxSeqLength'> = {
  bertProb: 1.0, gapSentenceProb: 0.0, gptInfillProb: 0.5, gptMinRatio: 0.5,
  bertRatio: 0.15, gapSentenceRatio: 0.15, averageBlockLength: 3, maxBlockLength: 40,
  blockMaskProb: 0, shortSeqProb: 0, singleSpanProb: 0, taskMask: false,
  shuffleBlocks: true, blockPositionEncoding: true, sentinelToken: false, randomPosition: false,
  maskedLm: false, causalLm: false, seed: 0,
};

/** A constructed batch before padding. */
export interface ExampleBatch {
  mode: ObjectiveMode;
  examples: BlockExample[];
  /** Samples dropped because their spans did not fit (spec §1.3 step 7). */
  dropped: number;
  /** gpt mode: the batch's generation length G (spec §1.7). */
  generationLength?: number;
  /** gpt mode: per example, whether the suffix branch (A) was taken. */
  suffix?: boolean[];
}

/** Poisson(λ) pmf for k = 1..max−1, the unnormalised span-length weights. */
export function spanLengthWeights(lambda: number, maxBlockLength: number): number[] {
  const w: number[] = [];
  for (let k = 1; k < maxBlockLength; k++) {
    let logFact = 0;
    for (let j = 2; j <= k; j++) logFact += Math.log(j);
    w.push(Math.exp(k * Math.log(lambda) - lambda - logFact));
  }
  return w;
}

/** Validates mixture probabilities and sizes; a bad value gets a GlmError naming it. */
export function resolveObjective(o: Partial<ObjectiveOptions> & { maxSeqLength: number }): ObjectiveOptions {
  const r: ObjectiveOptions = { ...DEFAULT_OBJECTIVE, ...o };
  const probs: (keyof ObjectiveOptions)[] = ['bertProb', 'gapSentenceProb', 'gptInfillProb', 'gptMinRatio', 'bertRatio', 'gapSentenceRatio', 'blockMaskProb', 'shortSeqProb', 'singleSpanProb'];
  for (const k of probs) {
    const v = r[k] as number;
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new GlmError('E_DATA_OPTION', `objective option ${k} must be in [0, 1], got ${String(v)}`);
  }
  if (r.bertProb + r.gapSentenceProb > 1 + 1e-10) {
    throw new GlmError('E_DATA_OPTION', `bert prob ${r.bertProb} + gap-sentence prob ${r.gapSentenceProb} exceeds 1 (the rest goes to gpt mode)`);
  }
  if (!Number.isInteger(r.maxSeqLength) || r.maxSeqLength < 8) throw new GlmError('E_DATA_OPTION', `max sequence length must be an integer ≥ 8, got ${r.maxSeqLength}`);
  if (!(r.averageBlockLength > 0)) throw new GlmError('E_DATA_OPTION', `average block length must be > 0, got ${r.averageBlockLength}`);
  if (!Number.isInteger(r.maxBlockLength) || r.maxBlockLength < 2) throw new GlmError('E_DATA_OPTION', `max block length must be an integer ≥ 2, got ${r.maxBlockLength}`);
  if (r.shortSeqProb > 0 && r.maxSeqLength < 34) throw new GlmError('E_DATA_OPTION', `short-sequence splitting needs max sequence length ≥ 34, got ${r.maxSeqLength}`);
  return r;
}

/** Python-style index: negative counts from the end (the original relies on tokens[-1]). */
function at(a: readonly number[], i: number): number {
  return a[i < 0 ? a.length + i : i]!;
}

export class BlockStrategy {
  readonly opts: ObjectiveOptions;
  readonly vocab: BlockVocab;
  /** Cumulative span-length weights for `choices`. */
  private readonly cum: number[];

  constructor(vocab: BlockVocab, opts: Partial<ObjectiveOptions> & { maxSeqLength: number }) {
    this.opts = resolveObjective(opts);
    this.vocab = vocab;
    const w = spanLengthWeights(this.opts.averageBlockLength, this.opts.maxBlockLength);
    this.cum = [];
    let acc = 0;
    for (const x of w) this.cum.push((acc += x));
  }

  /** The rng of batch k (see the module comment). */
  batchRng(batchIndex: number): PyRandom {
    return new PyRandom(BigInt(batchIndex) + (BigInt(this.opts.seed >>> 0) << 64n));
  }

  private isSentenceEnd(id: number): boolean {
    return this.vocab.sentenceEnd[id] === 1;
  }

  /** One span length from the truncated Poisson. */
  drawSpanLength(rng: PyRandom): number {
    return rng.choiceIndex(this.cum) + 1;
  }

  private blockOpts(task: MakeBlockOptions['task'], blockMaskRng?: PyRandom): MakeBlockOptions {
    const o = this.opts;
    const m: MakeBlockOptions = {
      task, shuffleBlocks: o.shuffleBlocks, blockPositionEncoding: o.blockPositionEncoding,
      sentinelToken: o.sentinelToken, randomPosition: o.randomPosition, maxSeqLength: o.maxSeqLength,
      blockMaskProb: o.blockMaskProb,
    };
    if (blockMaskRng) m.blockMaskRng = blockMaskRng;
    return m;
  }

  /**
   * construct_blocks: builds one batch from raw samples (each starting with [CLS]). The samples
   * are not modified. `batchIndex` seeds the batch rng.
   */
  constructBlocks(samplesIn: readonly RawSample[], batchIndex: number): ExampleBatch {
    const o = this.opts;
    if (samplesIn.length === 0) throw new GlmError('E_DATA_EMPTY_BATCH', 'cannot build a batch from zero samples');
    let samples = samplesIn.map((s) => ({ text: [...s.text], lossMask: [...s.lossMask] }));
    for (const s of samples) {
      if (s.text[0] !== this.vocab.cls) throw new GlmError('E_DATA_SAMPLE', `a raw sample must start with [CLS] (${this.vocab.cls}), got ${String(s.text[0])}`);
      if (s.text.length !== s.lossMask.length) throw new GlmError('E_DATA_SAMPLE', `sample text has ${s.text.length} tokens but ${s.lossMask.length} loss-mask entries`);
    }
    if (o.causalLm) return { mode: 'causal', examples: samples.map((s) => this.causalExample(s)), dropped: 0 };
    const rng = this.batchRng(batchIndex);
    // [dBLOCK] draws use their own stream so they stay reproducible (the original's were not).
    const blockMaskRng = o.blockMaskProb > 0 ? new PyRandom(BigInt(batchIndex) + (BigInt(o.seed >>> 0) << 64n) + (0x64424c4bn << 96n)) : undefined;
    if (rng.random() < o.shortSeqProb) samples = this.splitSamples(samples, rng);
    let rand = rng.random();
    const singleSpan = rand < o.singleSpanProb;
    rand = singleSpan ? 0.0 : rng.random();
    if (rand < o.bertProb) return this.tokenLevel(samples, rng, singleSpan, blockMaskRng);
    if (rand < o.bertProb + o.gapSentenceProb) return this.sentenceLevel(samples, rng);
    return this.documentLevel(samples, rng);
  }

  private tokenLevel(samples: RawSample[], rng: PyRandom, singleSpan: boolean, blockMaskRng?: PyRandom): ExampleBatch {
    const o = this.opts;
    const examples: BlockExample[] = [];
    let dropped = 0;
    for (const sample of samples) {
      const lengths: number[] = [];
      let count = 0;
      if (singleSpan) {
        lengths.push(this.drawSpanLength(rng));
        count = lengths[0]!;
      } else {
        const need = Math.floor(o.bertRatio * sample.text.length);
        while (count < need) {
          const l = this.drawSpanLength(rng);
          lengths.push(l);
          count += l;
        }
      }
      const sep = o.maskedLm ? sample.text.length : sample.text.length - count + lengths.length;
      const ex = this.generateBlankData(sample, lengths, rng, 'bert', blockMaskRng);
      if (!ex) {
        dropped++;
        continue;
      }
      if (ex.sep !== sep) throw new Error(`internal: Part A length ${ex.sep} differs from the expected ${sep}`);
      examples.push(ex);
    }
    return { mode: 'bert', examples, dropped };
  }

  /** generate_blank_data: place the spans, then lay out the example (null = spans did not fit). */
  generateBlankData(sample: RawSample, lengths: number[], rng: PyRandom, task: 'bert' | 'generation', blockMaskRng?: PyRandom): BlockExample | null {
    rng.shuffle(lengths);
    const spans = sampleSpansInDocument(sample.text, lengths, rng, this.vocab, this.opts.bertRatio);
    if (spans.length < lengths.length) return null;
    if (this.opts.maskedLm) return makeMaskedData(sample.text, sample.lossMask, spans, this.vocab);
    return makeBlockData(sample.text, spans, rng, this.vocab, this.blockOpts(task, blockMaskRng));
  }

  /** Sentence segmentation of spec §1.6 (eos resets the start; a leading [CLS] is skipped). */
  sentenceSpans(tokens: readonly number[]): Span[] {
    const spans: Span[] = [];
    let last = tokens[0] === this.vocab.cls ? 1 : 0;
    for (let i = 0; i < tokens.length; i++) {
      if (this.isSentenceEnd(tokens[i]!)) {
        if (last < i + 1) spans.push([last, i + 1]);
        last = i + 1;
      } else if (tokens[i] === this.vocab.eos) {
        last = i + 1;
      }
    }
    if (last < tokens.length) spans.push([last, tokens.length]);
    return spans;
  }

  private sentenceLevel(samples: RawSample[], rng: PyRandom): ExampleBatch {
    const o = this.opts;
    const examples: BlockExample[] = [];
    for (const sample of samples) {
      const sentences = this.sentenceSpans(sample.text);
      rng.shuffle(sentences);
      const chosen: Span[] = [];
      let length = 0;
      const need = Math.floor(o.gapSentenceRatio * sample.text.length);
      for (const sp of sentences) {
        chosen.push(sp);
        length += sp[1] - sp[0];
        if (length >= need) break;
      }
      examples.push(makeBlockData(sample.text, chosen, rng, this.vocab, this.blockOpts('gap_sentence')));
    }
    return { mode: 'sentence', examples, dropped: 0 };
  }

  private documentLevel(samples: RawSample[], rng: PyRandom): ExampleBatch {
    const o = this.opts;
    const lens = samples.map((s) => s.text.length);
    const G = rng.randint(Math.floor(o.gptMinRatio * Math.min(...lens)), Math.max(...lens) - 2);
    const examples: BlockExample[] = [];
    const suffix: boolean[] = [];
    for (const sample of samples) {
      const T = sample.text.length;
      const g = Math.min(G, T - 2);
      const sep = T - g + 1;
      const firstEos = sample.text.indexOf(this.vocab.eos);
      const multipleDoc = firstEos !== -1 && firstEos !== T - 1;
      const isSuffix = multipleDoc || rng.random() < o.gptInfillProb;
      suffix.push(isSuffix);
      if (isSuffix) {
        examples.push(this.suffixExample(sample, g));
      } else {
        const ex = this.generateBlankData(sample, [g], rng, 'generation');
        // One span of g ≤ T − 2 always fits the longest document unless the sample is degenerate.
        if (!ex) throw new GlmError('E_DATA_SAMPLE', `a generation span of ${g} tokens does not fit a sample of ${T} tokens`);
        if (ex.sep !== sep) throw new Error(`internal: Part A length ${ex.sep} differs from the expected ${sep}`);
        examples.push(ex);
      }
    }
    return { mode: 'gpt', examples, dropped: 0, generationLength: G, suffix };
  }

  /** The gpt-mode suffix branch (spec §1.7 branch A): [gMASK] [sop] + suffix, no [eop]. */
  suffixExample(sample: RawSample, g: number): BlockExample {
    const T = sample.text.length;
    const division = T - g;
    const src = sample.text.slice(0, division), tgt = sample.text.slice(division);
    const mask = this.vocab.gMask;
    const tokens = [...src, mask, this.vocab.sop, ...tgt.slice(0, -1)];
    const targets = [...src, mask, ...tgt];
    const lossMask = [...new Array<number>(src.length + 1).fill(0), ...sample.lossMask.slice(division)];
    const positions = Array.from({ length: src.length + tgt.length + 1 }, (_, i) => (i <= src.length ? i : src.length));
    const blockPositions = this.opts.blockPositionEncoding
      ? [...new Array<number>(src.length).fill(0), ...Array.from({ length: tgt.length + 1 }, (_, i) => i)]
      : [...new Array<number>(src.length + 1).fill(0), ...new Array<number>(tgt.length).fill(1)];
    return { tokens, targets, lossMask, positions, blockPositions, sep: division + 1 };
  }

  /** The causal-LM ablation: predict token t+1 from tokens ≤ t (sep = 0 gives the causal mask). */
  causalExample(sample: RawSample): BlockExample {
    const T = sample.text.length;
    return {
      tokens: sample.text.slice(0, T - 1),
      targets: sample.text.slice(1),
      lossMask: sample.lossMask.slice(1),
      positions: Array.from({ length: T - 1 }, (_, i) => i),
      blockPositions: new Array<number>(T - 1).fill(0),
      sep: 0,
    };
  }

  /** split_samples (spec §1.8): k random sentence-snapped windows per sample, each with [CLS]. */
  splitSamples(samples: RawSample[], rng: PyRandom): RawSample[] {
    const o = this.opts;
    const targetLength = rng.randrange(32, o.maxSeqLength - 1);
    const numSplits = Math.floor((o.maxSeqLength - 1) / targetLength);
    const eos = this.vocab.eos, cls = this.vocab.cls;
    const out: RawSample[] = [];
    const endsSentence = (t: number): boolean => this.isSentenceEnd(t) || t === eos;
    for (const sample of samples) {
      const tokens = sample.text.slice(1), masks = sample.lossMask.slice(1);
      for (let k = 0; k < numSplits; k++) {
        let nt: number[], nm: number[];
        if (targetLength >= tokens.length) {
          nt = tokens;
          nm = masks;
        } else {
          let start = rng.randrange(0, tokens.length - targetLength);
          while (start > 0 && (tokens[start] === eos || !endsSentence(tokens[start - 1]!))) start--;
          let end = start + targetLength;
          while (end > start && !endsSentence(at(tokens, end - 1))) end--;
          if (end - start < Math.floor(targetLength / 2)) end = start + targetLength;
          nt = tokens.slice(start, end);
          nm = masks.slice(start, end);
        }
        out.push({ text: [cls, ...nt], lossMask: [0, ...nm] });
      }
    }
    return out;
  }
}
