/**
 * The pretraining data stream: sample assembly (sampler.ts) + the objective mixture
 * (objectives.ts) + padding (batch.ts), addressed by a batch position so that a run can stop
 * and resume anywhere: batch `p` always holds samples p·B … p·B + B − 1 with the objective rng
 * of batch p. The validation set is a fixed list of batches from the validation documents.
 */
import { GlmError } from '../util/errors.js';
import { type PaddedBatch, padBatch } from './batch.js';
import { BlockStrategy, type ObjectiveMode, type ObjectiveOptions } from './objectives.js';
import { BlockSampler, type DocumentSource, type SamplerOptions } from './sampler.js';
import type { BlockVocab } from './vocab.js';

export interface PipelineOptions {
  batchSize: number;
  /** Raw sample length (tokens incl. [CLS]); the model's max_sequence_length must be ≥ this. */
  seqLength: number;
  objective?: Partial<ObjectiveOptions>;
  sampler?: Omit<SamplerOptions, 'maxSeqLength' | 'seed'>;
  seed?: number;
}

export interface DataBatch {
  batch: PaddedBatch;
  mode: ObjectiveMode;
  /** The position to read next. */
  next: number;
  /** Samples dropped because their spans did not fit. */
  dropped: number;
}

/** Validation batches are built with objective-rng indices far away from training ones. */
const VALID_BATCH_BASE = 2 ** 40;

export class PretrainData {
  readonly train: BlockSampler;
  readonly valid: BlockSampler | null;
  readonly strategy: BlockStrategy;
  readonly opts: PipelineOptions;

  constructor(source: DocumentSource, vocab: BlockVocab, split: { train: Int32Array; valid: Int32Array }, opts: PipelineOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new GlmError('E_DATA_OPTION', `batch size must be a positive integer, got ${opts.batchSize}`);
    this.opts = opts;
    const seed = opts.seed ?? 0;
    const samplerOpts = { ...(opts.sampler ?? {}), maxSeqLength: opts.seqLength, seed };
    this.train = new BlockSampler(source, vocab, samplerOpts, split.train);
    this.valid = split.valid.length ? new BlockSampler(source, vocab, samplerOpts, split.valid) : null;
    this.strategy = new BlockStrategy(vocab, { ...(opts.objective ?? {}), maxSeqLength: opts.seqLength, seed });
  }

  /** The batch at `position` (skipping any batch whose samples were all dropped). */
  trainBatch(position: number): DataBatch {
    const B = this.opts.batchSize;
    let dropped = 0;
    for (let p = position; p < position + 1000; p++) {
      const samples = Array.from({ length: B }, (_, j) => this.train.sample(p * B + j));
      const r = this.strategy.constructBlocks(samples, p);
      dropped += r.dropped;
      if (r.examples.length) return { batch: padBatch(r.examples), mode: r.mode, next: p + 1, dropped };
    }
    throw new GlmError('E_DATA_DROPPED', `1000 batches in a row had every sample dropped: the spans never fit; the sequence length (${this.opts.seqLength}) is probably too short`);
  }

  /** `count` fixed validation batches (the same every call). */
  validBatches(count: number): PaddedBatch[] {
    if (!this.valid) return [];
    const B = this.opts.batchSize;
    const out: PaddedBatch[] = [];
    for (let k = 0; out.length < count && k < count * 100; k++) {
      const samples = Array.from({ length: B }, (_, j) => this.valid!.sample(k * B + j));
      const r = this.strategy.constructBlocks(samples, VALID_BATCH_BASE + k);
      if (r.examples.length) out.push(padBatch(r.examples));
    }
    return out;
  }
}
