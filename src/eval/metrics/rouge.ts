/**
 * ROUGE-N, ROUGE-L and ROUGE-Lsum with the definitions of Google's `rouge_score` package
 * (`rouge_scorer.RougeScorer`), which the GLM seq2seq evaluation uses in-loop (spec §5.3):
 *
 * - tokens: lower-case, every run of characters outside [a-z0-9] becomes a space, split on
 *   whitespace; with `useStemmer` every token longer than 3 characters goes through NLTK's
 *   Porter stemmer (./porter.ts);
 * - ROUGE-N: clipped n-gram overlap, P = overlap / max(#pred n-grams, 1), R = overlap / max(#target n-grams, 1);
 * - ROUGE-L: LCS of the whole token sequences (0 when either side is empty);
 * - ROUGE-Lsum: summary-level LCS over sentences separated by "\n" (union LCS per target
 *   sentence, hits counted at most as often as the token occurs on both sides, as ROUGE-1.5.5);
 * - F = 2PR / (P + R), 0 when P + R = 0.
 */
import { GlmError } from '../../util/errors.js';
import { porterStem } from './porter.js';

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** 'rouge1' … 'rouge9', 'rougeL', 'rougeLsum'. */
export type RougeType = string;

export interface RougeOptions {
  /** Porter-stem tokens longer than 3 characters (rouge_score's `use_stemmer`). Default false. */
  useStemmer?: boolean;
}

export const DEFAULT_ROUGE_TYPES: readonly RougeType[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];

/** rouge_score's tokenizer: lower-case, non-[a-z0-9] → space, split, optional stemming. */
export function rougeTokenize(text: string, useStemmer = false): string[] {
  const tokens = text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').split(/\s+/);
  const out: string[] = [];
  for (const t of tokens) {
    if (t.length === 0) continue;
    out.push(useStemmer && t.length > 3 ? porterStem(t) : t);
  }
  return out;
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  // "\u0001" cannot occur in a token (tokens are [a-z0-9]+), so joined keys are unambiguous.
  for (let i = 0; i + n <= tokens.length; i++) {
    const key = tokens.slice(i, i + n).join('\u0001');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** ROUGE-N over token lists. */
export function rougeN(target: readonly string[], prediction: readonly string[], n: number): RougeScore {
  const t = ngramCounts(target, n), p = ngramCounts(prediction, n);
  let overlap = 0, tTotal = 0, pTotal = 0;
  for (const [g, c] of t) {
    overlap += Math.min(c, p.get(g) ?? 0);
    tTotal += c;
  }
  for (const c of p.values()) pTotal += c;
  const precision = overlap / Math.max(pTotal, 1);
  const recall = overlap / Math.max(tTotal, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** The LCS dynamic-programming table, (|ref|+1)·(|can|+1) entries, row-major. */
function lcsTable(ref: readonly string[], can: readonly string[]): Int32Array {
  const R = ref.length, C = can.length, W = C + 1;
  const t = new Int32Array((R + 1) * W);
  for (let i = 1; i <= R; i++) {
    for (let j = 1; j <= C; j++) {
      t[i * W + j] = ref[i - 1] === can[j - 1] ? t[(i - 1) * W + j - 1]! + 1 : Math.max(t[(i - 1) * W + j]!, t[i * W + j - 1]!);
    }
  }
  return t;
}

/**
 * Indices into `ref` of one longest common subsequence, read back with rouge_score's tie rule
 * (move left only when strictly better), which decides which LCS the union in ROUGE-Lsum sees.
 */
export function lcsIndices(ref: readonly string[], can: readonly string[]): number[] {
  const t = lcsTable(ref, can);
  const W = can.length + 1;
  let i = ref.length, j = can.length;
  const out: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--; j--;
    } else if (t[i * W + j - 1]! > t[(i - 1) * W + j]!) j--;
    else i--;
  }
  return out.reverse();
}

/** ROUGE-L over whole token lists. */
export function rougeL(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return { precision: 0, recall: 0, fmeasure: 0 };
  const lcs = lcsTable(target, prediction)[(target.length + 1) * (prediction.length + 1) - 1]!;
  const precision = lcs / prediction.length, recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Summary-level LCS (ROUGE paper §3.2) over tokenized sentences. */
export function rougeLsumTokens(targetSents: readonly string[][], predSents: readonly string[][]): RougeScore {
  const zero = { precision: 0, recall: 0, fmeasure: 0 };
  if (targetSents.length === 0 || predSents.length === 0) return zero;
  let m = 0, n = 0;
  for (const s of targetSents) m += s.length;
  for (const s of predSents) n += s.length;
  if (m === 0 || n === 0) return zero;
  const cntR = new Map<string, number>(), cntC = new Map<string, number>();
  for (const s of targetSents) for (const tok of s) cntR.set(tok, (cntR.get(tok) ?? 0) + 1);
  for (const s of predSents) for (const tok of s) cntC.set(tok, (cntC.get(tok) ?? 0) + 1);
  let hits = 0;
  for (const r of targetSents) {
    const union = new Set<number>();
    for (const c of predSents) for (const idx of lcsIndices(r, c)) union.add(idx);
    for (const idx of [...union].sort((a, b) => a - b)) {
      const tok = r[idx]!;
      // Each token can only be a hit as often as it occurs on both sides (ROUGE-1.5.5).
      if ((cntC.get(tok) ?? 0) > 0 && (cntR.get(tok) ?? 0) > 0) {
        hits++;
        cntC.set(tok, cntC.get(tok)! - 1);
        cntR.set(tok, cntR.get(tok)! - 1);
      }
    }
  }
  const recall = hits / m, precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Sentences for ROUGE-Lsum: split on "\n", dropping empty strings (not blank ones), as rouge_score. */
function sentences(text: string): string[] {
  return text.split('\n').filter((s) => s.length > 0);
}

function checkType(type: RougeType): number | 'L' | 'Lsum' {
  if (type === 'rougeL') return 'L';
  if (type === 'rougeLsum') return 'Lsum';
  const m = /^rouge([0-9])$/.exec(type);
  if (!m || m[1] === '0') {
    throw new GlmError('E_ROUGE_TYPE', `unknown ROUGE type "${type}" (expected rouge1 … rouge9, rougeL or rougeLsum)`);
  }
  return Number(m[1]);
}

/**
 * Scores one prediction against one target, like `RougeScorer(types, use_stemmer).score(target, prediction)`.
 * Note the argument order: target first, as in rouge_score.
 */
export function rougeScore(
  target: string,
  prediction: string,
  types: readonly RougeType[] = DEFAULT_ROUGE_TYPES,
  opts: RougeOptions = {},
): Record<RougeType, RougeScore> {
  const stem = opts.useStemmer ?? false;
  const kinds = types.map(checkType);
  const tTok = rougeTokenize(target, stem), pTok = rougeTokenize(prediction, stem);
  const out: Record<RougeType, RougeScore> = {};
  types.forEach((type, i) => {
    const k = kinds[i]!;
    if (k === 'L') out[type] = rougeL(tTok, pTok);
    else if (k === 'Lsum') {
      out[type] = rougeLsumTokens(sentences(target).map((s) => rougeTokenize(s, stem)), sentences(prediction).map((s) => rougeTokenize(s, stem)));
    } else out[type] = rougeN(tTok, pTok, k);
  });
  return out;
}

/**
 * Corpus ROUGE: the mean of the per-example precision, recall and F (the "mid" value that
 * rouge_score's BootstrapAggregator reports is the mean of bootstrap means, which converges to this).
 */
export function rougeCorpus(
  targets: readonly string[],
  predictions: readonly string[],
  types: readonly RougeType[] = DEFAULT_ROUGE_TYPES,
  opts: RougeOptions = {},
): Record<RougeType, RougeScore> {
  if (targets.length !== predictions.length) {
    throw new GlmError('E_METRIC_INPUT', `ROUGE needs one prediction per target: ${predictions.length} predictions for ${targets.length} targets`);
  }
  const sum: Record<RougeType, RougeScore> = {};
  for (const t of types) sum[t] = { precision: 0, recall: 0, fmeasure: 0 };
  for (let i = 0; i < targets.length; i++) {
    const s = rougeScore(targets[i]!, predictions[i]!, types, opts);
    for (const t of types) {
      sum[t]!.precision += s[t]!.precision;
      sum[t]!.recall += s[t]!.recall;
      sum[t]!.fmeasure += s[t]!.fmeasure;
    }
  }
  const n = Math.max(targets.length, 1);
  for (const t of types) {
    sum[t] = { precision: sum[t]!.precision / n, recall: sum[t]!.recall / n, fmeasure: sum[t]!.fmeasure / n };
  }
  return sum;
}
