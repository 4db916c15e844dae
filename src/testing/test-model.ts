/**
 * Tiny random GLMs for the generation tests (compiled with the library, imported only by tests).
 * Weights follow the golden data's recipe (README: non-trivial LayerNorms and biases), so that
 * logits spread over about ±3 and decoding choices are not near-ties.
 */
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { Rng } from '../util/rng.js';
import type { GenerationTokens } from '../generate/tokens.js';

export interface TinySpec {
  vocab?: number;
  hidden?: number;
  heads?: number;
  layers?: number;
  maxSeq?: number;
  seed?: number;
}

export function tinyModel(spec: TinySpec = {}): GLMModel {
  const cfg = makeConfig({
    num_layers: spec.layers ?? 2,
    vocab_size: spec.vocab ?? 96,
    hidden_size: spec.hidden ?? 32,
    num_attention_heads: spec.heads ?? 4,
    max_sequence_length: spec.maxSeq ?? 64,
  });
  const model = new GLMModel(cfg);
  const rng = new Rng(spec.seed ?? 7);
  for (const [name, t] of model.params.entries()) {
    const a = t.f32;
    const uniform = (lo: number, hi: number): void => {
      for (let i = 0; i < a.length; i++) a[i] = lo + (hi - lo) * rng.uniform();
    };
    if (name.endsWith('layernorm.weight')) {
      if (name.startsWith('transformer.final')) uniform(4, 8);
      else uniform(1.5, 4);
    } else if (name.endsWith('layernorm.bias')) rng.fillNormal(a, 0.3);
    else if (name.endsWith('query_key_value.bias')) rng.fillNormal(a, 0.3);
    else if (name.endsWith('dense_h_to_4h.bias')) rng.fillNormal(a, 1);
    else if (name.endsWith('.bias')) rng.fillNormal(a, 0.05);
    else rng.fillNormal(a, name === 'word_embeddings.weight' ? 0.1 : 0.05);
  }
  return model;
}

/** Special ids used with tinyModel (the golden data's numbering). */
export const TINY_TOKENS: GenerationTokens = { pad: 0, cls: 1, eos: 2, mask: 3, sMask: 4, gMask: 5, sop: 6, eop: 7 };
