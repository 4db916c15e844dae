/**
 * Blank-filling samples after pretraining: short validation passages with a few tokens replaced
 * by [MASK], filled greedily by the model (src/generate, incremental decoding with a KV cache).
 */
import type { GLMModel } from '../model/glm.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { infill, generationTokens } from '../generate/index.js';
import type { BlockSampler } from '../data/sampler.js';
import type { BlockVocab } from '../data/vocab.js';
import { PyRandom } from '../data/pyrandom.js';

export interface BlankSample {
  /** The passage with the blank, as text. */
  prompt: string;
  /** The model's answer. */
  answer: string;
  /** What the blank hid. */
  original: string;
}

/** `count` samples from the validation documents (deterministic). */
export function fillBlankSamples(model: GLMModel, tok: GlmTokenizer, valid: BlockSampler, v: BlockVocab, count: number, seq: number): BlankSample[] {
  const out: BlankSample[] = [];
  const tokens = generationTokens(tok.special);
  const passage = Math.min(40, seq - 4);
  for (let i = 0; out.length < count && i < count * 20; i++) {
    const s = valid.sample(1_000_000 + i).text;
    // One document's text after [CLS], up to `passage` tokens, no command tokens.
    let end = 1;
    while (end < s.length && end - 1 < passage && s[end] !== v.eos && s[end] !== v.cls) end++;
    const body = s.slice(1, end);
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
