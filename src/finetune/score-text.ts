/**
 * `glm score`: the log-probability of each answer for the blank of a text, all answers in one
 * forward pass (spec §3.3 multiple-choice layout via src/generate/score.ts).
 *   Part A = [CLS] text [eos]; the blank is the LAST mask token ([orig]) or the first ([hub]);
 *   each answer is scored token by token, with [eop] by default ([orig]) or without ([hub]).
 */
import { GlmError } from '../util/errors.js';
import type { GLMModel } from '../model/glm.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { scoreCandidates } from '../generate/score.js';
import { buildContext, findMasks } from '../generate/tokens.js';
import { tokensOf } from './setup.js';

export interface TextScoreOptions {
  /** Score [eop] after each answer ([orig], default true). */
  includeEop?: boolean;
  /** Which mask is the blank when there are several: 'last' ([orig], default) or 'first' ([hub]). */
  blank?: 'last' | 'first';
  /** Prepend a space to answers that do not start with whitespace (GLM verbalizers do). Default true. */
  leadingSpace?: boolean;
  /** Also report sum / len^lengthPenalty (len counts [eop] when scored). Default 0. */
  lengthPenalty?: number;
}

export interface ChoiceScore {
  choice: string;
  tokens: number;
  /** Σ log p over the answer tokens (and [eop]). */
  logProb: number;
  /** logProb / len^lengthPenalty. */
  score: number;
  /** softmax of the scores over the choices. */
  probability: number;
  tokenLogProbs: number[];
}

export function scoreTextChoices(model: GLMModel, tok: GlmTokenizer, text: string, choices: readonly string[], opts: TextScoreOptions = {}): ChoiceScore[] {
  const tokens = tokensOf(tok);
  const ids = tok.encode(text);
  if (findMasks(ids, tokens).length === 0) throw new GlmError('E_NO_MASK', `the text has no [MASK] to score answers for: ${JSON.stringify(text.slice(0, 80))}`);
  if (choices.length === 0) throw new GlmError('E_CLI_OPTION', 'give at least one choice');
  const context = buildContext(ids, tokens, { appendMask: false });
  const masks = findMasks(context, tokens);
  const maskPosition = (opts.blank ?? 'last') === 'last' ? masks[masks.length - 1]! : masks[0]!;
  const answers = choices.map((c, i) => {
    const t = (opts.leadingSpace ?? true) && !/^\s/.test(c) ? ' ' + c : c;
    const a = tok.encode(t);
    if (a.length === 0) throw new GlmError('E_CLI_OPTION', `choice ${i + 1} (${JSON.stringify(c)}) has no tokens`);
    return a;
  });
  const eop = opts.includeEop ?? true;
  const [scores] = scoreCandidates(model, [{ context, maskPosition, candidates: answers }], tokens, { includeEop: eop });
  const lp = opts.lengthPenalty ?? 0;
  const s = scores!.map((c, i) => c.logProb / (answers[i]!.length + (eop ? 1 : 0)) ** lp);
  const m = Math.max(...s);
  const z = s.reduce((t, x) => t + Math.exp(x - m), 0);
  return choices.map((choice, i) => ({
    choice, tokens: answers[i]!.length, logProb: scores![i]!.logProb, score: s[i]!, probability: Math.exp(s[i]! - m) / z, tokenLogProbs: scores![i]!.tokenLogProbs,
  }));
}
