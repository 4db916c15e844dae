/**
 * Word masking for the text-infilling evaluation (spec §5.5), as `BlankLMDataset` does it: choose
 * ⌊n·r⌋ of the n whitespace words uniformly without replacement, and merge runs of consecutive
 * masked words into a single [MASK]. The committed infill task data (./data) is built with it and
 * eval/metrics/infill.ts scores the filled texts.
 */
import { GlmError } from '../util/errors.js';
import type { Rng } from '../util/rng.js';

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
