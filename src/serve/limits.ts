/**
 * What one request may ask of the server. Every limit is checked before any work is queued, and
 * going past one is a 4xx naming the limit.
 */
import { GlmError } from '../util/errors.js';
import type { GLMConfig } from '../model/config.js';

export interface ServeLimits {
  /** Request body bytes (413 beyond). */
  bodyBytes: number;
  /** Characters of a text field. */
  maxChars: number;
  /** Ids of an `ids` field. */
  maxIds: number;
  /** Tokens per blank / completion (max_length, max_tokens). */
  maxTokens: number;
  /** Blanks in one infill prompt. */
  maxBlanks: number;
  maxBeams: number;
  /** Candidates of /v1/score. */
  maxCandidates: number;
  /** Tokens of one /v1/score pass: the text plus every candidate (its attention mask is this squared). */
  maxScoreTokens: number;
  /** Texts of /v1/classify. */
  maxTexts: number;
  /** Wall-clock limit of one request, ms (504 beyond). */
  timeoutMs: number;
}

/** Defaults that fit the model's position table. */
export function defaultLimits(cfg: GLMConfig, over: Partial<ServeLimits> = {}): ServeLimits {
  const P = cfg.max_sequence_length;
  const l: ServeLimits = {
    bodyBytes: 256 * 1024,
    maxChars: 20_000,
    maxIds: P + 1,
    maxTokens: Math.min(256, P - 1),
    maxBlanks: 16,
    maxBeams: 8,
    maxCandidates: 64,
    maxScoreTokens: 2048,
    maxTexts: 64,
    timeoutMs: 60_000,
    ...over,
  };
  for (const [k, v] of Object.entries(l)) {
    if (!(Number.isInteger(v) && v >= 1)) throw new GlmError('E_SERVE_OPTION', `limit ${k} must be an integer >= 1, got ${v}`);
  }
  if (l.maxTokens > P - 1) throw new GlmError('E_SERVE_OPTION', `max tokens ${l.maxTokens} is more than the model's max_sequence_length ${P} allows (${P - 1})`);
  return l;
}
