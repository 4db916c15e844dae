/**
 * Text-infilling evaluation (spec §5.5, after the Yahoo-Answers blank-LM setup): words are
 * masked at a ratio r, a model fills the blanks, and the filled text is scored with BLEU against
 * the original, separately for each mask ratio.
 *
 * Masking follows `BlankLMDataset`: choose ⌊n·r⌋ of the n whitespace words uniformly without
 * replacement, and merge runs of consecutive masked words into a single [MASK].
 */
import { GlmError } from '../../util/errors.js';
import type { Rng } from '../../util/rng.js';
import { corpusBleu, type BleuOptions, type BleuResult } from './bleu.js';

export interface MaskedText {
  /** The text with each masked run replaced by `maskToken`, words joined by single spaces. */
  masked: string;
  /** The original words of each blank, in order. */
  spans: string[];
  /** Number of masked words (⌊n·r⌋). */
  maskedWords: number;
}

/** Masks ⌊n·ratio⌋ words of `text` (n = its whitespace words). */
export function maskWords(text: string, ratio: number, rng: Rng, maskToken = '[MASK]'): MaskedText {
  if (!(ratio >= 0 && ratio <= 1)) throw new GlmError('E_INFILL_RATIO', `mask ratio must be in [0, 1], got ${ratio}`);
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const n = words.length;
  const k = Math.floor(n * ratio);
  // Partial Fisher–Yates: the first k entries of a uniform permutation.
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(n - i);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const masked = new Uint8Array(n);
  for (let i = 0; i < k; i++) masked[idx[i]!] = 1;
  const out: string[] = [], spans: string[] = [];
  for (let i = 0; i < n; ) {
    if (!masked[i]) {
      out.push(words[i]!);
      i++;
      continue;
    }
    let j = i;
    while (j < n && masked[j]) j++;
    out.push(maskToken);
    spans.push(words.slice(i, j).join(' '));
    i = j;
  }
  return { masked: out.join(' '), spans, maskedWords: k };
}

/** Puts answers back into a masked text, left to right (one answer per mask token). */
export function fillBlanks(masked: string, answers: readonly string[], maskToken = '[MASK]'): string {
  const parts = masked.split(maskToken);
  if (parts.length - 1 !== answers.length) {
    throw new GlmError('E_INFILL_ANSWERS', `the text has ${parts.length - 1} blanks but ${answers.length} answers were given`);
  }
  let s = parts[0]!;
  for (let i = 0; i < answers.length; i++) s += answers[i]! + parts[i + 1]!;
  return s;
}

export interface InfillResult {
  ratio: number;
  /** The model's filled-in text. */
  hypothesis: string;
  /** The original text. */
  reference: string;
}

/**
 * Default BLEU for infilling: 13a tokens, no smoothing (multi-bleu.perl on tokenised text, as
 * the paper's setup), case-sensitive.
 */
export const INFILL_BLEU_DEFAULTS: BleuOptions = { tokenize: '13a', smooth: 'none' };

/** Corpus BLEU per mask ratio, ratios in ascending order. */
export function infillingBleu(results: readonly InfillResult[], opts: BleuOptions = INFILL_BLEU_DEFAULTS): { ratio: number; n: number; bleu: BleuResult }[] {
  const byRatio = new Map<number, InfillResult[]>();
  for (const r of results) {
    const list = byRatio.get(r.ratio) ?? [];
    list.push(r);
    byRatio.set(r.ratio, list);
  }
  return [...byRatio.keys()].sort((a, b) => a - b).map((ratio) => {
    const list = byRatio.get(ratio)!;
    return { ratio, n: list.length, bleu: corpusBleu(list.map((r) => r.hypothesis), [list.map((r) => r.reference)], opts) };
  });
}
