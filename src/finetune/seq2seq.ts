/**
 * Seq2seq fine-tuning and generation (spec §5.3, §4.4).
 *
 * Training row: tokens = source (srcLen, pad-padded, pads inside Part A) + [sop] + target[:-1];
 * sep = srcLen; positions 0…srcLen−1, then the mask position (1) repeated; block positions
 * 1…|target|; the generation slots predict `target` (… + eop); loss = token-mean CE with label
 * smoothing ε = 0.1 over the full vocabulary.
 *
 * Generation: beam search from src/generate on the same padded source (the blank is the mask at
 * position 1), decoded text without eop / pads.
 */
import type { GLMModel } from '../model/glm.js';
import { blankRow, packRows } from '../model/rows.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import type { TrainBatch } from '../train/step.js';
import { infill, type InfillOptions } from '../generate/index.js';
import type { GenerationTokens } from '../generate/tokens.js';
import type { EncodedSeq2Seq } from '../tasks/encode.js';
import { GlmError } from '../util/errors.js';

/** GLM's label smoothing for seq2seq fine-tuning (spec §5.3). */
export const SEQ2SEQ_LABEL_SMOOTHING = 0.1;

/**
 * Default decoding for short summaries, after GLM's XSum settings (spec §4.4: 4–6 beams, length
 * penalty 1.0, trigram blocking) with a minimum length scaled down to one-line targets. Without a
 * length penalty or minimum, beam search prefers the empty answer of an undertrained model
 * (log p(eop) alone beats any sum over ten tokens).
 */
export const SEQ2SEQ_DECODING = { numBeams: 4, lengthPenalty: 1, minLength: 2, noRepeatNgram: 3 } as const;

/** The training batch of spec §5.3 for encoded examples (targets padded to the longest). */
export function seq2seqBatch(batch: readonly EncodedSeq2Seq[], tokens: GenerationTokens): TrainBatch {
  if (batch.length === 0) throw new GlmError('E_FINETUNE_EMPTY', 'empty seq2seq batch');
  const B = batch.length;
  const src = batch[0]!.source.length;
  if (batch.some((e) => e.source.length !== src)) throw new GlmError('E_FINETUNE_OPTION', 'every source in a batch must be padded to the same srcLen');
  const T = Math.max(...batch.map((e) => e.target.length));
  const pad = tokens.pad ?? tokens.eos;
  const rows = batch.map((e) => {
    const inputs = [tokens.sop, ...e.target.slice(0, -1)];
    // Part B runs to T slots for every row: padding slots continue the block positions (they are
    // causal and never scored).
    const partB = Array.from({ length: T }, (_, t) => (t < inputs.length ? inputs[t]! : pad));
    const targets = [...new Array<number>(src).fill(pad), ...e.target];
    const lossMask = [...new Array<number>(src).fill(0), ...e.target.map(() => 1)];
    return blankRow(e.source, partB, e.maskPosition, { targets, lossMask });
  });
  return packRows(rows, { padId: pad, targetPad: pad });
}

export interface BeamOptions {
  /** Beams per source. Default 4 (SEQ2SEQ_DECODING). */
  numBeams?: number;
  /** Most generated tokens (eop not counted). Default 32. */
  maxLength?: number;
  /** Fewest generated tokens (eop banned before). Default 2. */
  minLength?: number;
  /** Finished score = Σ log p / len^lengthPenalty. Default 1. */
  lengthPenalty?: number;
  /** Default 3 (every GLM summarisation script). */
  noRepeatNgram?: number;
  /** Sources decoded together. Default 8. */
  batchSize?: number;
}

/**
 * Beam-search outputs (detokenised) for encoded sources, decoded `batchSize` at a time.
 * `onProgress(done, total)` after each batch.
 */
export function generateSummaries(model: GLMModel, tok: GlmTokenizer, tokens: GenerationTokens, sources: readonly EncodedSeq2Seq[], opts: BeamOptions = {}, onProgress?: (done: number, total: number) => void): string[] {
  const bs = opts.batchSize ?? 8;
  const P = model.config.max_sequence_length;
  const maxLength = Math.min(opts.maxLength ?? 32, P - 1);
  const io: InfillOptions = {
    strategy: 'beam', numBeams: opts.numBeams ?? SEQ2SEQ_DECODING.numBeams, maxLength,
    minLength: Math.min(opts.minLength ?? SEQ2SEQ_DECODING.minLength, maxLength),
    lengthPenalty: opts.lengthPenalty ?? SEQ2SEQ_DECODING.lengthPenalty, noRepeatNgram: opts.noRepeatNgram ?? SEQ2SEQ_DECODING.noRepeatNgram,
  };
  const out: string[] = [];
  for (let at = 0; at < sources.length; at += bs) {
    const chunk = sources.slice(at, at + bs);
    const res = infill(model, chunk.map((e) => e.source), tokens, io);
    for (const r of res) {
      // The blank at position 1 is the only one (the source has no other mask).
      const ids = r.blanks[0]?.tokens ?? [];
      out.push(tok.decode(ids.filter((t) => t !== tokens.eop && t !== (tokens.pad ?? tokens.eos)), { skipSpecial: true }).trim());
    }
    onProgress?.(Math.min(at + bs, sources.length), sources.length);
  }
  return out;
}
