/**
 * Language-modelling evaluation of a GLMModel (spec §5.4): LAMBADA-style last-word accuracy and
 * windowed perplexity, computed with one `model.forward` per batch under a `sep` mask
 * (rows laid out by ./lm-inputs.ts). Log-probabilities are taken in float64 from the float32 logits.
 */
import { GlmError } from '../util/errors.js';
import type { GLMModel } from '../model/glm.js';
import { noGrad } from '../tensor/tensor.js';
import { perplexityFromNll, type PerplexityResult } from './metrics/perplexity.js';
import { batchRows, lastWordRow, perplexityWindows, type LmMode, type LmRow, type LmSpecialTokens } from './lm-inputs.js';

export interface LastWordExample {
  /** Context token ids (no [CLS]). */
  context: number[];
  /** Token ids of the last word, e.g. tokens(" " + word). */
  answer: number[];
}

export interface LastWordOptions {
  special: LmSpecialTokens;
  /** 'bi' (default) or 'uni'. */
  mode?: LmMode;
  /** Longest row; default the model's max_sequence_length. */
  maxLength?: number;
  /** Rows per forward pass. Default 4. */
  batchSize?: number;
}

export interface LastWordExampleResult {
  /** True iff the argmax at every answer position is the answer token. */
  correct: boolean;
  /** Σ log p(answer token) over the answer. */
  logProb: number;
}

export interface LastWordResult {
  accuracy: number;
  correct: number;
  total: number;
  /** Perplexity over the answer tokens of all examples. */
  answerPerplexity: number;
  examples: LastWordExampleResult[];
}

/** Per scored position: log p(target), the argmax (first maximum) and whether the target is it. */
export interface Scored {
  logProb: number;
  isArgmax: boolean;
  argmax: number;
}

/** Runs rows through the model in batches; returns, per row, the scored positions in order. */
export function scoreRows(model: GLMModel, rows: readonly LmRow[], batchSize: number, padId: number): Scored[][] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new GlmError('E_LM_INPUT', `batch size must be a positive integer, got ${batchSize}`);
  const V = model.config.vocab_size;
  const out: Scored[][] = [];
  for (let at = 0; at < rows.length; at += batchSize) {
    const chunk = rows.slice(at, at + batchSize);
    const { input, seqLen: S } = batchRows(chunk, padId);
    const logits = noGrad(() => model.forward(input, { train: false }).logits).f32;
    chunk.forEach((row, b) => {
      const scored: Scored[] = [];
      row.targets.forEach((t, s) => {
        if (t < 0) return;
        const base = (b * S + s) * V;
        let max = -Infinity, arg = 0;
        for (let v = 0; v < V; v++) {
          const x = logits[base + v]!;
          if (x > max) { max = x; arg = v; }
        }
        let sum = 0;
        for (let v = 0; v < V; v++) sum += Math.exp(logits[base + v]! - max);
        scored.push({ logProb: logits[base + t]! - max - Math.log(sum), isArgmax: arg === t, argmax: arg });
      });
      out.push(scored);
    });
  }
  return out;
}

/** LAMBADA-style last-word accuracy (and the answers' log-probabilities). */
export function evaluateLastWord(model: GLMModel, examples: readonly LastWordExample[], opts: LastWordOptions): LastWordResult {
  if (examples.length === 0) throw new GlmError('E_LM_INPUT', 'no examples to evaluate');
  const mode = opts.mode ?? 'bi';
  const maxLength = opts.maxLength ?? model.config.max_sequence_length;
  const rows = examples.map((ex, i) => {
    try {
      return lastWordRow(ex.context, ex.answer, opts.special, mode, maxLength);
    } catch (e) {
      if (e instanceof GlmError) throw new GlmError(e.code, `example ${i}: ${e.message}`);
      throw e;
    }
  });
  const scored = scoreRows(model, rows, opts.batchSize ?? 4, opts.special.eos);
  let correct = 0, nll = 0, tokens = 0;
  const results = scored.map((s) => {
    const ok = s.every((x) => x.isArgmax);
    if (ok) correct++;
    const logProb = s.reduce((a, x) => a + x.logProb, 0);
    nll -= logProb;
    tokens += s.length;
    return { correct: ok, logProb };
  });
  return { accuracy: correct / examples.length, correct, total: examples.length, answerPerplexity: Math.exp(nll / tokens), examples: results };
}

export interface WindowPerplexityOptions {
  special: LmSpecialTokens;
  mode?: LmMode;
  /** Tokens per window, W. Default max_sequence_length − 1 (spec: seq_length − 1). */
  windowTokens?: number;
  /** New tokens scored per later window. Default ⌊W / 4⌋ (spec: 256 of 1023). */
  stride?: number;
  /** Rows per forward pass. Default 1 (windows are long). */
  batchSize?: number;
  /** Whitespace word count of the raw text, for the word-level adjusted perplexity. */
  words?: number;
}

export interface WindowPerplexityResult extends PerplexityResult {
  windows: number;
  /** −log p of each document token (NaN for token 0, which is never scored). */
  tokenNll: Float64Array;
}

/** Perplexity of one tokenised document with overlapping windows; every token after the first is scored once. */
export function evaluatePerplexity(model: GLMModel, ids: readonly number[], opts: WindowPerplexityOptions): WindowPerplexityResult {
  const W = opts.windowTokens ?? model.config.max_sequence_length - 1;
  const stride = opts.stride ?? Math.max(1, Math.floor(W / 4));
  const windows = perplexityWindows(ids, opts.special, opts.mode ?? 'bi', W, stride);
  const scored = scoreRows(model, windows.map((w) => w.row), opts.batchSize ?? 1, opts.special.eos);
  const tokenNll = new Float64Array(ids.length).fill(NaN);
  let nll = 0, count = 0;
  windows.forEach((w, k) => {
    // Scored slots are the last ones of Part B, so align from the end.
    const s = scored[k]!, idx = w.docIndex.slice(w.docIndex.length - s.length);
    s.forEach((x, i) => {
      tokenNll[idx[i]!] = -x.logProb;
      nll -= x.logProb;
      count++;
    });
  });
  return { ...perplexityFromNll(nll, count, opts.words), windows: windows.length, tokenNll };
}
