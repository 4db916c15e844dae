/**
 * Text-infilling evaluation (spec §5.5, after the Yahoo-Answers blank-LM setup): words are
 * masked at a ratio r, a model fills the blanks, and the filled text is scored with BLEU against
 * the original, separately for each mask ratio.
 *
 * Masking follows `BlankLMDataset`: choose ⌊n·r⌋ of the n whitespace words uniformly without
 * replacement, and merge runs of consecutive masked words into a single [MASK].
 *
 * maskWords itself lives in src/tasks/mask-words.ts (the task data is built with it); it is re-exported here.
 */
import { GlmError } from '../../util/errors.js';
export { maskWords, type MaskedText } from '../../tasks/mask-words.js';
import { corpusBleu, type BleuOptions, type BleuResult } from './bleu.js';

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
