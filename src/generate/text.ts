/**
 * Blank filling at the text level: a GlmTokenizer turns "text with [MASK] … [gMASK]" into Part A
 * (spec §3.3) and the answers back into text.
 */
import type { GLMModel } from '../model/glm.js';
import { encodeSource } from '../tokenizer/input-builders.js';
import type { GlmTokenizer, InputLayout } from '../tokenizer/types.js';
import { infill, type InfillEvent } from './infill.js';
import type { BlankResult, InfillOptions, InfillResult } from './options.js';
import { streamInfill } from './stream.js';
import { generationTokens, type GenerationTokens } from './tokens.js';

export interface TextInfillOptions extends InfillOptions {
  /**
   * Input layout (spec §3.3): 'original' ends Part A with eos except after a trailing [gMASK];
   * 'hub' always ends it, with [SEP] for BERT vocabularies. Default: the tokenizer's defaultLayout,
   * else 'original' (what glm-ts pretraining produces).
   */
  layout?: InputLayout;
  /** Append [gMASK] (or [MASK]) when the text has no mask, as [orig] interactive generation does. Default true. */
  appendMask?: boolean;
  /** Keep eos after a trailing [gMASK] (default: per layout). */
  eosAfterGMask?: boolean;
}

export interface TextBlankResult extends BlankResult {
  /** The answer as text. */
  text: string;
}

export interface TextInfillResult extends InfillResult {
  blanks: TextBlankResult[];
  /** The prompt with every blank filled in. */
  text: string;
  /** [orig] README format: the context, then `<|startofpiece|> answer` per blank. */
  pieces: string;
}

export type TextInfillEvent =
  | (Extract<InfillEvent, { type: 'token' }> & { /** Text this token adds to its blank's answer (may be '' while a character is incomplete). */ text: string })
  | (Extract<InfillEvent, { type: 'blank' }> & { text: string })
  | { type: 'done'; results: TextInfillResult[] };

/** Part A of each text, per the layout (tokenizer/input-builders encodeSource). */
export function encodePrompts(tokenizer: GlmTokenizer, texts: readonly string[], opts: TextInfillOptions = {}): { tokens: GenerationTokens; contexts: number[][] } {
  const tokens = generationTokens(tokenizer.special);
  const layout = opts.layout ?? tokenizer.defaultLayout ?? 'original';
  const contexts = texts.map((t) =>
    encodeSource(tokenizer, t, {
      layout,
      appendMaskIfMissing: opts.appendMask ?? true,
      ...(opts.eosAfterGMask !== undefined ? { eosAfterGMask: opts.eosAfterGMask } : {}),
    }),
  );
  return { tokens, contexts };
}

/** Adds the text renderings to id-level results. */
export function renderResult(tokenizer: GlmTokenizer, r: InfillResult): TextInfillResult {
  const tokens = generationTokens(tokenizer.special);
  const blanks = r.blanks.map((b) => ({ ...b, text: tokenizer.decode(b.tokens, { skipSpecial: true }) }));
  const sop = tokenizer.decode([tokens.sop]);
  const pieces = [tokenizer.decode(r.context), ...blanks.map((b) => `${sop} ${b.text}`)].join(' ');
  return { ...r, blanks, text: tokenizer.decode(r.filled, { skipSpecial: true }), pieces };
}

/** Fills every blank of each text (see infill for the options). */
export function infillText(model: GLMModel, tokenizer: GlmTokenizer, texts: string | readonly string[], opts: TextInfillOptions = {}): TextInfillResult[] {
  const list = typeof texts === 'string' ? [texts] : texts;
  const { tokens, contexts } = encodePrompts(tokenizer, list, opts);
  return infill(model, contexts, tokens, opts).map((r) => renderResult(tokenizer, r));
}

/**
 * The text of `ids` beyond what `shown` already covers. Text ending in U+FFFD (an incomplete
 * UTF-8 sequence of a byte-level vocabulary) is held back until the character is complete.
 */
export function textDelta(tokenizer: GlmTokenizer, ids: readonly number[], shown: string): { delta: string; shown: string } {
  const full = tokenizer.decode(ids, { skipSpecial: true });
  if (full.endsWith('\uFFFD')) return { delta: '', shown };
  if (full.startsWith(shown)) return { delta: full.slice(shown.length), shown: full };
  return { delta: full, shown: full };
}

/** Streams each text's answers as they are produced (see streamInfill). */
export async function* streamInfillText(
  model: GLMModel,
  tokenizer: GlmTokenizer,
  texts: string | readonly string[],
  opts: TextInfillOptions = {},
  signal?: AbortSignal,
): AsyncGenerator<TextInfillEvent, void> {
  const list = typeof texts === 'string' ? [texts] : texts;
  const { tokens, contexts } = encodePrompts(tokenizer, list, opts);
  const soFar = new Map<string, { ids: number[]; shown: string }>();
  for await (const e of streamInfill(model, contexts, tokens, opts, signal)) {
    if (e.type === 'token') {
      const key = `${e.prompt}:${e.blank}`;
      const s = soFar.get(key) ?? { ids: [], shown: '' };
      s.ids.push(e.token);
      const d = textDelta(tokenizer, s.ids, s.shown);
      s.shown = d.shown;
      soFar.set(key, s);
      yield { ...e, text: d.delta };
    } else if (e.type === 'blank') {
      const key = `${e.prompt}:${e.blank}`;
      const full = tokenizer.decode(e.result.tokens, { skipSpecial: true });
      const shown = soFar.get(key)?.shown ?? '';
      // Flush whatever was held back (e.g. an incomplete character at the end of the answer).
      yield { ...e, text: full.startsWith(shown) ? full.slice(shown.length) : '' };
    } else yield { type: 'done', results: e.results.map((r) => renderResult(tokenizer, r)) };
  }
}
