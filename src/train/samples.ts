/**
 * Samples after pretraining, from validation documents the model never trained on, drawn by seed
 * (never picked by hand), decoded greedily (src/generate, incremental decoding with a KV cache):
 * blank filling (a few tokens replaced by [MASK]) and, when the run trained the document-level
 * objective, continuations (the start of a passage, then [gMASK]).
 */
import type { GLMModel } from '../model/glm.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { infill, generationTokens } from '../generate/index.js';
import type { BlockSampler } from '../data/sampler.js';
import type { BlockVocab } from '../data/vocab.js';
import { PyRandom } from '../data/pyrandom.js';
import { evaluateFirstToken, unigramLogProbs, type FirstTokenExample, type FirstTokenReport } from '../eval/first-token.js';

export interface BlankSample {
  /** The passage with the blank, as text. */
  prompt: string;
  /** The model's answer. */
  answer: string;
  /** What the blank hid. */
  original: string;
}

/** One validation document's text after [CLS], up to `max` tokens, no command tokens. */
function passageTokens(valid: BlockSampler, v: BlockVocab, i: number, max: number): number[] {
  const s = valid.sample(1_000_000 + i).text;
  let end = 1;
  while (end < s.length && end - 1 < max && s[end] !== v.eos && s[end] !== v.cls) end++;
  return s.slice(1, end);
}

/** `count` blank-filling samples from the validation documents (deterministic). */
export function fillBlankSamples(model: GLMModel, tok: GlmTokenizer, valid: BlockSampler, v: BlockVocab, count: number, seq: number): BlankSample[] {
  const out: BlankSample[] = [];
  const tokens = generationTokens(tok.special);
  const passage = Math.min(40, seq - 4);
  for (let i = 0; out.length < count && i < count * 20; i++) {
    const body = passageTokens(valid, v, i, passage);
    if (body.length < 12) continue;
    const rng = new PyRandom(i);
    const len = 1 + rng.randbelow(3);
    const start = 4 + rng.randbelow(body.length - len - 8);
    const context = [v.cls, ...body.slice(0, start), v.mask, ...body.slice(start + len), v.eos];
    const r = infill(model, [context], tokens, { strategy: 'greedy', maxLength: 8 })[0]!;
    const answer = r.blanks[0]?.tokens ?? [];
    out.push({
      prompt: tok.decode([...body.slice(0, start), v.mask, ...body.slice(start + len)]),
      answer: tok.decode(answer, { skipSpecial: true }),
      original: tok.decode(body.slice(start, start + len)),
    });
  }
  return out;
}

/**
 * `count` continuation samples (deterministic): the first `prompt` tokens of a validation passage,
 * [gMASK], and `length` greedily generated tokens, beside the passage's real next tokens. Part A is
 * [CLS] prefix [gMASK], as the document objective's suffix branch builds it (spec §1.7).
 */
export function continuationSamples(model: GLMModel, tok: GlmTokenizer, valid: BlockSampler, v: BlockVocab, count: number, seq: number, prompt = 16, length = 12): BlankSample[] {
  const out: BlankSample[] = [];
  const tokens = generationTokens(tok.special);
  const passage = Math.min(prompt + length, seq - 4);
  for (let i = 0; out.length < count && i < count * 20; i++) {
    const body = passageTokens(valid, v, 500 + i, passage);
    if (body.length < passage) continue;
    const head = body.slice(0, passage - length);
    const r = infill(model, [[v.cls, ...head, v.gMask]], tokens, { strategy: 'greedy', maxLength: length })[0]!;
    out.push({
      prompt: tok.decode(head),
      answer: tok.decode(r.blanks[0]?.tokens ?? [], { skipSpecial: true }),
      original: tok.decode(body.slice(passage - length)),
    });
  }
  return out;
}

/**
 * The context check printed after pretraining: `count` single-token blanks in validation passages
 * (drawn by seed), the model's first-token prediction against a unigram model of the training
 * tokens (`counts`). A model that only learned word frequencies scores like the unigram.
 */
export function contextCheck(model: GLMModel, valid: BlockSampler, v: BlockVocab, counts: ArrayLike<number>, count: number, seq: number): FirstTokenReport {
  const examples: FirstTokenExample[] = [];
  const passage = Math.min(40, seq - 4);
  for (let i = 0; examples.length < count && i < count * 20; i++) {
    const body = passageTokens(valid, v, 2000 + i, passage);
    if (body.length < 12) continue;
    const at = 4 + new PyRandom(2000 + i).randbelow(body.length - 8);
    examples.push({ left: body.slice(0, at), right: body.slice(at + 1), gold: body[at]! });
  }
  return evaluateFirstToken(model, examples, { cls: v.cls, eos: v.eos, sop: v.sop, mask: v.mask }, unigramLogProbs(counts, model.config.vocab_size));
}
