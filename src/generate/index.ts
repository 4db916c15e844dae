/**
 * Blank-filling generation (spec §4): every [MASK] / [sMASK] / [gMASK] filled left to right in one
 * batched incremental decode, by greedy decoding, sampling or beam search; answer scoring for a
 * blank (spec §3.3 multiple-choice layout); streaming; and the text-level wrappers.
 */
export { infill, infillSteps, decodeSteps, fillContext, type InfillEvent } from './infill.js';
export { streamInfill } from './stream.js';
export { promptSeed } from './groups.js';
export {
  resolveOptions,
  type InfillOptions,
  type InfillPrompt,
  type InfillResult,
  type BlankResult,
  type StopReason,
  type Strategy,
  type TokenLogProb,
} from './options.js';
export { buildContext, findMasks, maskIds, generationTokens, specialTokensFromConfig, type ContextOptions, type GenerationTokens } from './tokens.js';
export { scoreCandidates, buildChoiceLayout, candidateLogProbs, type ScoreItem, type ScoreOptions, type ChoiceLayout, type CandidateScore } from './score.js';
export { DecodeSession, type StepFeed } from './session.js';
export { BeamHypotheses, type EarlyStopping, type Hypothesis } from './beam.js';
export {
  logSoftmax,
  argmax,
  topKFilter,
  topPFilter,
  samplingDistribution,
  bannedNgramTokens,
  drawFrom,
  type SamplingOptions,
} from './logits.js';
export {
  infillText,
  streamInfillText,
  renderResult,
  encodePrompts,
  textDelta,
  type TextInfillOptions,
  type TextInfillResult,
  type TextBlankResult,
  type TextInfillEvent,
} from './text.js';
