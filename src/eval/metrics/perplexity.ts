/**
 * Perplexity from summed negative log-likelihoods (natural log), including the word-level
 * "adjusted" perplexity of GLM's WikiText evaluation (spec §5.4):
 *   ppl          = exp(Σ nll / N_scored)
 *   adjusted ppl = exp(Σ nll / N_scored · N_scored / (N_words − 1)) = exp(Σ nll / (N_words − 1))
 * where N_words is the number of whitespace-separated words of the raw text (its first word is
 * never predicted, like the first token).
 */
import { GlmError } from '../../util/errors.js';

export interface PerplexityResult {
  /** Σ −log p over the scored tokens. */
  nll: number;
  /** Number of scored tokens. */
  tokens: number;
  /** exp(nll / tokens). */
  perplexity: number;
  /** Mean NLL per token (nats). */
  meanNll: number;
  /** Word-level perplexity, present when the word count was given. */
  adjustedPerplexity?: number;
}

export function perplexityFromNll(nll: number, tokens: number, words?: number): PerplexityResult {
  if (!(tokens > 0)) throw new GlmError('E_METRIC_INPUT', `perplexity needs at least one scored token, got ${tokens}`);
  if (!Number.isFinite(nll)) throw new GlmError('E_METRIC_INPUT', `summed NLL is not finite (${nll})`);
  const out: PerplexityResult = { nll, tokens, perplexity: Math.exp(nll / tokens), meanNll: nll / tokens };
  if (words !== undefined) {
    if (!(words > 1)) throw new GlmError('E_METRIC_INPUT', `adjusted perplexity needs more than one word, got ${words}`);
    out.adjustedPerplexity = Math.exp(nll / (words - 1));
  }
  return out;
}
