/**
 * Options and results of blank-filling generation, with their validation (every bad value is a
 * GlmError naming the option).
 */
import { GlmError } from '../util/errors.js';
import type { GLMConfig } from '../model/config.js';
import type { EarlyStopping } from './beam.js';
import { findMasks, type GenerationTokens } from './tokens.js';

export type Strategy = 'greedy' | 'sample' | 'beam';

export interface InfillOptions {
  /** 'greedy' (default), 'sample' (temperature / top-k / top-p, seeded) or 'beam'. */
  strategy?: Strategy;
  /** Most tokens generated per blank, the end token not counted. Default 64 (at most max_sequence_length − 1). */
  maxLength?: number;
  /** The end tokens are banned until a blank has this many tokens. Default 0. */
  minLength?: number;
  /** Never repeat an n-gram within a blank (fairseq style; 0 = off). Default 0. */
  noRepeatNgram?: number;
  /** Token ids never generated. */
  suppressTokens?: readonly number[];
  /** Sampling temperature (> 0). Default 0.9 (GLM's interactive default, spec §4.3). */
  temperature?: number;
  /** Sampling: keep the k most likely tokens (0 = off). Default 40 (spec §4.3). */
  topK?: number;
  /** Sampling: keep the smallest set of tokens whose probability exceeds p (0 = off). Default 0. */
  topP?: number;
  /** Sampling seed; prompt i of a batch draws from its own stream, so batching does not change draws. Default 0. */
  seed?: number;
  /** Beam search: beams per prompt. Default 4. */
  numBeams?: number;
  /** Beam search: finished score = sum / len ** lengthPenalty (spec §4.4). Default 0. */
  lengthPenalty?: number;
  /** Beam search: when to stop a blank (see EarlyStopping). Default false, as GLM. */
  earlyStopping?: EarlyStopping;
  /**
   * Beam search: draw the candidates of each step from softmax(scores) without replacement
   * (GLM without --select-topk, spec §4.4) instead of taking the top ones. Seeded by `seed`.
   * Default false.
   */
  beamSample?: boolean;
  /** Greedy / sampling: also return the n most likely tokens of every step. Default 0. */
  topLogProbs?: number;
  /** The decode cache: 'kv' (default) or GLM's 'mems'. */
  cacheKind?: 'kv' | 'mems';
}

/** A prompt: Part A as ids, optionally with some blanks' answers fixed (not generated, only scored). */
export type InfillPrompt =
  | readonly number[]
  | {
      context: readonly number[];
      /** fixed[j]: the answer of blank j (its tokens are fed and scored instead of generated). */
      fixed?: readonly (readonly number[] | null | undefined)[];
    };

export type StopReason = 'eop' | 'eos' | 'length' | 'fixed' | 'exhausted';

export interface TokenLogProb {
  token: number;
  logProb: number;
}

export interface BlankResult {
  /** Index of the mask token in the context. */
  maskPosition: number;
  /** The mask token ([MASK], [sMASK] or [gMASK]). */
  maskToken: number;
  /** The answer, without [sop] and the end token. */
  tokens: number[];
  /** The model's log-probability of each answer token (log_softmax of the raw logits). */
  logProbs: number[];
  /** The model's log-probability of [eop] / eos where the blank ended on one (or after a fixed answer: of [eop]). */
  endLogProb: number | null;
  /** eop / eos: ended by that token; length: maxLength reached; fixed: given; exhausted: every token was banned. */
  stop: StopReason;
  /** Beam search: the chosen hypothesis' length-normalised score. */
  score?: number;
  /** With topLogProbs: the most likely tokens at every step (greedy / sampling only). */
  top?: TokenLogProb[][];
}

export interface InfillResult {
  /** Part A as decoded. */
  context: number[];
  /** One per mask, left to right. */
  blanks: BlankResult[];
  /** The context with every mask token replaced by its answer. */
  filled: number[];
}

/** Options with every default filled in. */
export type ResolvedOptions = Required<Omit<InfillOptions, 'suppressTokens'>> & { suppressTokens: readonly number[] };

function bad(option: string, message: string, value: unknown): never {
  throw new GlmError('E_GENERATE_OPTION', `${option}: ${message}, got ${JSON.stringify(value)}`, { details: { option, value } });
}

function int(option: string, v: number, min: number, max = Infinity): number {
  if (!Number.isInteger(v) || v < min || v > max) bad(option, `must be an integer in [${min}, ${max}]`, v);
  return v;
}

/** Fills defaults and checks every option against the model. */
export function resolveOptions(cfg: GLMConfig, o: InfillOptions): ResolvedOptions {
  const P = cfg.max_sequence_length, V = cfg.vocab_size;
  const strategy = o.strategy ?? 'greedy';
  if (!['greedy', 'sample', 'beam'].includes(strategy)) bad('strategy', 'must be greedy, sample or beam', strategy);
  // Block positions run 1..maxLength+1 (sop at 1), and the table has P + 1 rows.
  const maxLength = int('maxLength', o.maxLength ?? Math.min(64, P - 1), 1, P - 1);
  const minLength = int('minLength', o.minLength ?? 0, 0, maxLength);
  const temperature = o.temperature ?? 0.9;
  if (!(temperature > 0 && Number.isFinite(temperature))) bad('temperature', 'must be a positive number', temperature);
  const topP = o.topP ?? 0;
  if (!(topP >= 0 && topP <= 1)) bad('topP', 'must be in [0, 1]', topP);
  const lengthPenalty = o.lengthPenalty ?? 0;
  if (!Number.isFinite(lengthPenalty)) bad('lengthPenalty', 'must be a finite number', lengthPenalty);
  const earlyStopping = o.earlyStopping ?? false;
  if (earlyStopping !== true && earlyStopping !== false && earlyStopping !== 'never') bad('earlyStopping', 'must be true, false or "never"', earlyStopping);
  const seed = o.seed ?? 0;
  if (!Number.isInteger(seed)) bad('seed', 'must be an integer', seed);
  const cacheKind = o.cacheKind ?? 'kv';
  if (cacheKind !== 'kv' && cacheKind !== 'mems') bad('cacheKind', 'must be kv or mems', cacheKind);
  const suppressTokens = o.suppressTokens ?? [];
  for (const t of suppressTokens) int('suppressTokens', t, 0, V - 1);
  return {
    strategy,
    maxLength,
    minLength,
    noRepeatNgram: int('noRepeatNgram', o.noRepeatNgram ?? 0, 0),
    suppressTokens,
    temperature,
    topK: int('topK', o.topK ?? 40, 0),
    topP,
    seed,
    numBeams: int('numBeams', o.numBeams ?? 4, 1),
    lengthPenalty,
    earlyStopping,
    beamSample: o.beamSample ?? false,
    topLogProbs: int('topLogProbs', o.topLogProbs ?? 0, 0, V),
    cacheKind,
  };
}

export interface CheckedPrompt {
  context: number[];
  masks: number[];
  fixed: (number[] | null)[];
}

/** Checks the prompts: ids in the vocabulary, at least one mask, a length the position table holds. */
export function checkPrompts(cfg: GLMConfig, tokens: GenerationTokens, prompts: readonly InfillPrompt[], maxLength: number): CheckedPrompt[] {
  const V = cfg.vocab_size, P = cfg.max_sequence_length;
  for (const [name, id] of Object.entries(tokens)) {
    if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < V)) {
      throw new GlmError('E_SPECIAL_TOKENS', `special token ${name} = ${id} is outside the vocabulary [0, ${V})`);
    }
  }
  if (prompts.length === 0) throw new GlmError('E_INPUT_SHAPE', 'no prompts given');
  return prompts.map((p, i) => {
    const context = [...('context' in p ? p.context : (p as readonly number[]))];
    const fixedIn = 'context' in p ? p.fixed ?? [] : [];
    context.forEach((id, s) => {
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new GlmError('E_TOKEN_ID', `prompt ${i}: token id ${id} at ${s} is outside the vocabulary [0, ${V})`);
    });
    if (context.length > P + 1) {
      throw new GlmError('E_POSITION', `prompt ${i}: ${context.length} tokens need positions up to ${context.length - 1}, but max_sequence_length ${P} allows ${P}`);
    }
    const masks = findMasks(context, tokens);
    if (masks.length === 0) throw new GlmError('E_NO_MASK', `prompt ${i} has no [MASK], [sMASK] or [gMASK] to fill`);
    if (fixedIn.length > masks.length) {
      throw new GlmError('E_GENERATE_OPTION', `prompt ${i}: ${fixedIn.length} fixed answers for ${masks.length} blank(s)`);
    }
    const fixed = masks.map((_, j) => {
      const a = fixedIn[j];
      if (a === null || a === undefined) return null;
      if (a.length > maxLength) throw new GlmError('E_GENERATE_OPTION', `prompt ${i}: fixed answer of blank ${j} has ${a.length} tokens, more than maxLength ${maxLength}`);
      a.forEach((id) => {
        if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new GlmError('E_TOKEN_ID', `prompt ${i}: fixed answer of blank ${j} has token id ${id} outside the vocabulary [0, ${V})`);
      });
      return [...a];
    });
    return { context, masks, fixed };
  });
}
