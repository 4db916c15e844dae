/**
 * Input rows for language-modelling evaluation (spec §5.4), in GLM's Part A / Part B layout:
 * Part A is attended bidirectionally (it ends at `sep`), Part B is causal, every Part B slot has
 * the position of the mask and block positions 1, 2, ….
 *
 * A row is model-agnostic data; batching turns rows into a ModelInput with a `sep` mask.
 */
import { GlmError } from '../util/errors.js';
import type { ModelInput } from '../model/inputs.js';
import { packRows, type GlmRow } from '../model/rows.js';

/** The command-token ids the layouts need. `mask` is [gMASK] for models with task masks, else [MASK]. */
export interface LmSpecialTokens {
  cls: number;
  eos: number;
  sop: number;
  mask: number;
}

/** One evaluation row. All arrays have the row's length S. */
/** A GlmRow (model/rows.ts) whose targets mark what the LM evaluation scores. */
export interface LmRow extends GlmRow {
  ids: number[];
  positions: number[];
  blockPositions: number[];
  /** The token each position must predict, or −1 where nothing is scored (never packed). */
  targets: number[];
}

export type LmMode = 'bi' | 'uni';

/**
 * Part A = [CLS] prompt [mask] (+ [eos] when `eos`), Part B = [sop] + text[:-1] predicting `text`,
 * scoring only text positions ≥ `scoreFrom`.
 */
function blankRow(prompt: readonly number[], text: readonly number[], sp: LmSpecialTokens, eos: boolean, scoreFrom: number): LmRow {
  const partA = [sp.cls, ...prompt, sp.mask];
  if (eos) partA.push(sp.eos);
  const maskPos = 1 + prompt.length;
  const ids = [...partA, sp.sop, ...text.slice(0, -1)];
  const positions = [...partA.map((_, i) => i), ...text.map(() => maskPos)];
  const blockPositions = [...partA.map(() => 0), ...text.map((_, i) => i + 1)];
  const targets = [...partA.map(() => -1), ...text.map((t, i) => (i >= scoreFrom ? t : -1))];
  return { ids, positions, blockPositions, sep: partA.length, targets };
}

/**
 * LAMBADA-style last-word row (spec §5.4). 'bi': Part A = [CLS] context [mask] [eos],
 * Part B = [sop] answer[:-1]. 'uni': Part A = [CLS] context[0] [mask] [eos], Part B carries the
 * rest of the context and the answer causally, and only the answer is scored. The context is
 * left-truncated so the row fits `maxLength`.
 */
export function lastWordRow(context: readonly number[], answer: readonly number[], sp: LmSpecialTokens, mode: LmMode, maxLength: number): LmRow {
  if (answer.length === 0) throw new GlmError('E_LM_INPUT', 'the answer has no tokens');
  if (context.length === 0) throw new GlmError('E_LM_INPUT', 'the context has no tokens');
  const room = maxLength - 3 - answer.length; // [CLS] [mask] [eos] + Part B (|answer| slots)
  if (room < 1) throw new GlmError('E_LM_INPUT', `an answer of ${answer.length} tokens leaves no room for context within ${maxLength} positions`);
  const ctx = context.length > room ? context.slice(context.length - room) : context;
  if (mode === 'bi') return blankRow(ctx, answer, sp, true, 0);
  const text = [...ctx.slice(1), ...answer];
  return blankRow(ctx.slice(0, 1), text, sp, true, text.length - answer.length);
}

/** One window of the WikiText-style perplexity evaluation and where its scored targets sit. */
export interface LmWindow {
  row: LmRow;
  /** Document index of each Part B target (same order as the row's Part B slots). */
  docIndex: number[];
}

/**
 * Sliding windows over a document of N tokens (spec §5.4): window k covers tokens
 * [k·stride, k·stride + W). Window 0 has Part A = [CLS] tok0 [mask] and predicts the rest; a later
 * window ('bi') keeps its first W − stride tokens in Part A and predicts the rest, ('uni') keeps
 * only its first token in Part A but still scores only the tokens after W − stride. There is no
 * [eos]. Every token but the first is scored exactly once.
 */
export function perplexityWindows(ids: readonly number[], sp: LmSpecialTokens, mode: LmMode, windowTokens: number, stride: number): LmWindow[] {
  const N = ids.length, W = windowTokens;
  if (N < 2) throw new GlmError('E_LM_INPUT', `perplexity needs at least 2 tokens, got ${N}`);
  if (!(Number.isInteger(W) && W >= 2)) throw new GlmError('E_LM_INPUT', `window must be an integer ≥ 2, got ${W}`);
  if (!(Number.isInteger(stride) && stride >= 1 && stride < W)) throw new GlmError('E_LM_INPUT', `stride must be an integer in [1, window), got ${stride} for window ${W}`);
  const count = Math.max(Math.ceil((N - W) / stride) + 1, 1);
  const out: LmWindow[] = [];
  for (let k = 0; k < count; k++) {
    const start = k * stride;
    const toks = ids.slice(start, start + W);
    const scoreFromTok = k === 0 ? 1 : W - stride; // index within the window of the first scored token
    const promptLen = k === 0 || mode === 'uni' ? 1 : W - stride;
    const prompt = toks.slice(0, promptLen), text = toks.slice(promptLen);
    const row = blankRow(prompt, text, sp, false, scoreFromTok - promptLen);
    const docIndex = text.map((_, i) => start + promptLen + i);
    out.push({ row, docIndex });
  }
  return out;
}

/** Pads rows to a common length (ids with eos, positions 0, no targets) and builds a ModelInput. */
export function batchRows(rows: readonly LmRow[], padId: number): { input: ModelInput; seqLen: number } {
  const { input } = packRows(rows.map(({ ids, positions, blockPositions, sep }) => ({ ids, positions, blockPositions, sep })), { padId });
  return { input, seqLen: input.seqLen };
}
