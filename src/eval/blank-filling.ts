/**
 * Blank-filling evaluation on held-out prose: a window of a held-out document with one blank of
 * 1 (single-word) or 2–4 (multi-word) consecutive plain words cut out, to be filled by a model or
 * a baseline. Exact match compares normalised words (./baselines/words.ts); BLEU compares the
 * filled window with the original (spec §5.5 style). Examples are drawn with a fixed seed, in
 * document order, so every system sees the same blanks.
 */
import { Rng } from '../util/rng.js';
import { corpusBleu } from './metrics/bleu.js';
import { isPlainWord, normalizeAnswer, words } from './baselines/words.js';

export interface BlankExample {
  id: string;
  /** Text before the blank, the gold words, and the text after it (original characters). */
  left: string;
  gold: string;
  right: string;
  /** Number of words in the blank. */
  span: number;
}

export interface BlankOptions {
  count: number;
  /** Blank length in words: [min, max]. */
  spanWords: readonly [number, number];
  /** Words of context around the blank (window), at most. */
  windowWords: number;
  seed: number;
}

/** The text with the blank as `[MASK]`. */
export const maskedText = (e: BlankExample): string => `${e.left}[MASK]${e.right}`;
export const filledText = (e: BlankExample, answer: string): string => `${e.left}${answer.trim()}${e.right}`;

/** Draws `count` blanks from paragraphs of the documents, at most one per paragraph. */
export function blankExamples(docs: readonly string[], o: BlankOptions): BlankExample[] {
  const rng = new Rng(o.seed);
  const paras: { doc: number; para: number; text: string }[] = [];
  docs.forEach((d, doc) => d.split('\n\n').forEach((text, para) => {
    if ((text.match(/\S+/g) ?? []).length >= 20) paras.push({ doc, para, text });
  }));
  // A seeded shuffle of the paragraphs, then the first `count` that admit a blank.
  for (let i = paras.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [paras[i], paras[j]] = [paras[j]!, paras[i]!];
  }
  const out: BlankExample[] = [];
  for (const p of paras) {
    if (out.length >= o.count) break;
    const toks = [...p.text.matchAll(/\S+/g)].map((m) => ({ s: m.index!, e: m.index! + m[0].length, w: m[0] }));
    const k = o.spanWords[0] + rng.int(o.spanWords[1] - o.spanWords[0] + 1);
    const start = Math.max(0, rng.int(Math.max(1, toks.length - o.windowWords)));
    const win = toks.slice(start, start + o.windowWords);
    // Blank positions: k consecutive whitespace tokens that are each one plain word, not at the window's first 5 words.
    const ok: number[] = [];
    for (let i = 5; i + k <= win.length; i++) {
      if (win.slice(i, i + k).every((t) => isPlainWord(t.w.toLowerCase()))) ok.push(i);
    }
    if (ok.length === 0) continue;
    const b = ok[rng.int(ok.length)]!;
    const s0 = win[0]!.s, bs = win[b]!.s, be = win[b + k - 1]!.e, e0 = win[win.length - 1]!.e;
    out.push({ id: `d${p.doc}p${p.para}`, left: p.text.slice(s0, bs), gold: p.text.slice(bs, be), right: p.text.slice(be, e0), span: k });
  }
  return out;
}

export interface BlankScores { examples: number; exactMatch: number; bleu: number }

/** Exact match of the answers and corpus BLEU of the filled windows against the originals. */
export function scoreBlanks(ex: readonly BlankExample[], answers: readonly string[]): BlankScores {
  let hit = 0;
  ex.forEach((e, i) => { if (normalizeAnswer(answers[i] ?? '') === normalizeAnswer(e.gold)) hit++; });
  const hyps = ex.map((e, i) => words(filledText(e, answers[i] ?? '')).join(' '));
  const refs = ex.map((e) => words(filledText(e, e.gold)).join(' '));
  return { examples: ex.length, exactMatch: ex.length ? hit / ex.length : 0, bleu: corpusBleu(hyps, [refs]).score };
}
