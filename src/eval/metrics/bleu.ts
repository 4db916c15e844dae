/**
 * Corpus BLEU compatible with sacreBLEU (`sacrebleu.corpus_bleu` / `metrics.BLEU`) and its
 * defaults: mteval-v13a tokenisation, case-sensitive, exponential ("exp", NIST) smoothing,
 * max n-gram order 4, brevity penalty from the closest reference length (ties → shorter).
 *
 * Statistics are summed over the corpus first; then
 *   p_n = correct_n / total_n   (smoothed when correct_n = 0),
 *   BP  = exp(1 − ref_len / sys_len) if sys_len < ref_len else 1,
 *   BLEU = 100 · BP · exp(mean_n log p_n).
 * `multi-bleu.perl` (spec §5.5) is `{ tokenize: 'none', smooth: 'none' }` on pre-tokenised text.
 */
import { GlmError } from '../../util/errors.js';

export type BleuTokenizer = '13a' | 'none';
export type BleuSmoothing = 'exp' | 'floor' | 'add-k' | 'none';

export interface BleuOptions {
  /** Default '13a'. */
  tokenize?: BleuTokenizer;
  /** Default 'exp'. */
  smooth?: BleuSmoothing;
  /** For 'floor' (default 0.1) and 'add-k' (default 1). */
  smoothValue?: number;
  /** Lower-case hypotheses and references first. Default false. */
  lowercase?: boolean;
  /** Default 4. */
  maxNgramOrder?: number;
  /** Average only over orders that have n-grams (sentence-level BLEU). Default false. */
  effectiveOrder?: boolean;
}

export interface BleuResult {
  /** 0..100. */
  score: number;
  counts: number[];
  totals: number[];
  /** Per-order precisions in percent, after smoothing. */
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
}

/** Python's str.split() whitespace (a superset of ASCII whitespace; differs from JS \s). */
const PY_WS = /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** `' '.join(s.split())` with Python's whitespace rules. */
function pySplit(s: string): string[] {
  return s.split(PY_WS).filter((t) => t.length > 0);
}

function pyRstrip(s: string): string {
  return s.replace(/[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/, '');
}

/** sacreBLEU's `Tokenizer13a` (mteval-v13a.pl's tokenisation). */
export function tokenize13a(line: string): string {
  let s = line
    .replaceAll('<skipped>', '')
    .replaceAll('-\n', '')
    .replaceAll('\n', ' ')
    .replaceAll('&quot;', '"')
    .replaceAll('&amp;', '&')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>');
  s = ` ${s} `;
  // Punctuation and symbols: { | } ~ [ \ ] ^ _ ` space ! " # $ % & ( ) * + : ; < = > ? @ /
  s = s.replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ');
  // Period and comma unless preceded by a digit, then unless followed by a digit.
  s = s.replace(/([^0-9])([.,])/g, '$1 $2 ');
  s = s.replace(/([.,])([^0-9])/g, ' $1 $2');
  // Dash after a digit.
  s = s.replace(/([0-9])(-)/g, '$1 $2 ');
  return pySplit(s).join(' ');
}

function preprocess(sent: string, opts: Required<Pick<BleuOptions, 'tokenize' | 'lowercase'>>): string[] {
  let s = opts.lowercase ? sent.toLowerCase() : sent;
  s = pyRstrip(s);
  if (opts.tokenize === '13a') s = tokenize13a(s);
  return pySplit(s);
}

function ngrams(tokens: readonly string[], maxOrder: number): Map<string, number> {
  const out = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // A space cannot occur inside a token, so space-joined keys are unambiguous; the order prefix
      // keeps orders apart.
      const key = `${n}|${tokens.slice(i, i + n).join(' ')}`;
      out.set(key, (out.get(key) ?? 0) + 1);
    }
  }
  return out;
}

function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1, best = -1;
  for (const r of refLens) {
    const d = Math.abs(hypLen - r);
    if (bestDiff === -1 || d < bestDiff) {
      bestDiff = d;
      best = r;
    } else if (d === bestDiff && r < best) best = r;
  }
  return best;
}

/** log(p), with sacreBLEU's stand-in for log(0). */
function myLog(p: number): number {
  return p === 0 ? -9999999999 : Math.log(p);
}

/**
 * BLEU from sufficient statistics, as `sacrebleu.metrics.BLEU.compute_bleu`.
 * `counts`/`totals` are copied (add-k smoothing changes them).
 */
export function computeBleu(
  counts: readonly number[],
  totals: readonly number[],
  sysLen: number,
  refLen: number,
  opts: Pick<BleuOptions, 'smooth' | 'smoothValue' | 'effectiveOrder' | 'maxNgramOrder'> = {},
): BleuResult {
  const method = opts.smooth ?? 'none';
  const order = opts.maxNgramOrder ?? 4;
  const value = opts.smoothValue ?? (method === 'floor' ? 0.1 : method === 'add-k' ? 1 : 0);
  const correct = [...counts], total = [...totals];
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(order).fill(0);
  if (!correct.some((c) => c !== 0)) {
    return { score: 0, counts: correct, totals: total, precisions, bp, sysLen, refLen };
  }
  let smoothMteval = 1;
  let effOrder = order;
  for (let n = 1; n <= order; n++) {
    if (method === 'add-k' && n > 1) {
      correct[n - 1] = correct[n - 1]! + value;
      total[n - 1] = total[n - 1]! + value;
    }
    if (total[n - 1] === 0) break;
    if (opts.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (method === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]!);
      } else if (method === 'floor') {
        precisions[n - 1] = (100 * value) / total[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
    }
  }
  let logSum = 0;
  for (let n = 0; n < effOrder; n++) logSum += myLog(precisions[n]!);
  const score = bp * Math.exp(logSum / effOrder);
  return { score, counts: correct, totals: total, precisions, bp, sysLen, refLen };
}

/**
 * Corpus BLEU. `references` is a list of reference *streams*, each parallel to `hypotheses`
 * (sacreBLEU's layout: `refs[k][i]` is the k-th reference of segment i). Empty reference strings
 * are skipped, so segments may have different numbers of references.
 */
export function corpusBleu(hypotheses: readonly string[], references: readonly (readonly string[])[], opts: BleuOptions = {}): BleuResult {
  const tokenize = opts.tokenize ?? '13a';
  if (tokenize !== '13a' && tokenize !== 'none') throw new GlmError('E_BLEU_OPTION', `unknown BLEU tokenizer "${String(tokenize)}" (13a or none)`);
  const smooth = opts.smooth ?? 'exp';
  if (!['exp', 'floor', 'add-k', 'none'].includes(smooth)) throw new GlmError('E_BLEU_OPTION', `unknown BLEU smoothing "${String(smooth)}"`);
  const order = opts.maxNgramOrder ?? 4;
  const pre = { tokenize, lowercase: opts.lowercase ?? false };
  if (references.length === 0) throw new GlmError('E_METRIC_INPUT', 'BLEU needs at least one reference stream');
  for (const [k, stream] of references.entries()) {
    if (stream.length !== hypotheses.length) {
      throw new GlmError('E_METRIC_INPUT', `reference stream ${k} has ${stream.length} segments, hypotheses have ${hypotheses.length}`);
    }
  }
  const counts = new Array<number>(order).fill(0), totals = new Array<number>(order).fill(0);
  let sysLen = 0, refLen = 0;
  for (let i = 0; i < hypotheses.length; i++) {
    const refs = references.map((s) => s[i]!).filter((r) => r !== undefined && r !== null && r !== '');
    if (refs.length === 0) throw new GlmError('E_METRIC_INPUT', `segment ${i} has no non-empty reference`);
    const refMax = new Map<string, number>();
    const refLens: number[] = [];
    for (const r of refs) {
      const toks = preprocess(r, pre);
      refLens.push(toks.length);
      for (const [g, c] of ngrams(toks, order)) refMax.set(g, Math.max(refMax.get(g) ?? 0, c));
    }
    const hyp = preprocess(hypotheses[i]!, pre);
    sysLen += hyp.length;
    refLen += closestRefLen(hyp.length, refLens);
    for (const [g, c] of ngrams(hyp, order)) {
      const n = Number(g.slice(0, g.indexOf('|'))) - 1;
      totals[n] = totals[n]! + c;
      const rc = refMax.get(g);
      if (rc !== undefined) counts[n] = counts[n]! + Math.min(c, rc);
    }
  }
  return computeBleu(counts, totals, sysLen, refLen, { smooth, smoothValue: opts.smoothValue, effectiveOrder: opts.effectiveOrder, maxNgramOrder: order });
}

/** Sentence BLEU (sacreBLEU's `sentence_score`): one hypothesis, its references, effective order on by default. */
export function sentenceBleu(hypothesis: string, references: readonly string[], opts: BleuOptions = {}): BleuResult {
  return corpusBleu([hypothesis], references.map((r) => [r]), { effectiveOrder: true, ...opts });
}
