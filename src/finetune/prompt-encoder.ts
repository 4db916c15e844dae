/**
 * The P-tuning prompt encoder: GLM's `PromptSpell` (spec §5.1, `--continuous-prompt`; the hub
 * config's `spell_length` / `spell_func`). `spell_length` trainable embeddings go through
 *   'lstm': a 2-layer bidirectional LSTM (PyTorch gate order i, f, g, o), then an MLP
 *           Linear(2H, H) → ReLU → Linear(H, H);
 *   'mlp':  the MLP Linear(H, H) → ReLU → Linear(H, H);
 *   'none': nothing (the embeddings are used as they are);
 * and the result [spell_length, H] replaces the word embeddings of the pattern's prompt tokens
 * (GLMModel.forward's `prompt` option). Weights live in their own ParamStore under GLM's names
 * (`prompt_spell.spell_embeddings.weight`, `prompt_spell.lstm_head.weight_ih_l0`, …,
 * `prompt_spell.mlp_head.0.weight`, …), saved with the model (./model-dir.ts).
 */
import { GlmError } from '../util/errors.js';
import { ParamStore, type ParamSpec } from '../model/params.js';
import { Rng } from '../util/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { add, mul } from '../tensor/ops/elementwise.js';
import { linear } from '../tensor/ops/linalg.js';
import { concat, slice } from '../tensor/ops/shape.js';
import { tanh } from '../tensor/ops/scoring.js';
import { relu, sigmoid } from '../tensor/ops/recurrent.js';

export type SpellFunc = 'lstm' | 'mlp' | 'none';
export const SPELL_FUNCS: readonly SpellFunc[] = ['lstm', 'mlp', 'none'];
export const PROMPT_PREFIX = 'prompt_spell.';

export interface PromptSpec {
  spellLength: number;
  spellFunc: SpellFunc;
}

const P = PROMPT_PREFIX;

export function promptParamSpecs(hidden: number, spec: PromptSpec): ParamSpec[] {
  const H = hidden;
  const out: ParamSpec[] = [{ name: `${P}spell_embeddings.weight`, shape: [spec.spellLength, H], decay: true, init: 'normal' }];
  if (spec.spellFunc === 'lstm') {
    for (const l of [0, 1]) {
      for (const dir of ['', '_reverse']) {
        const inF = l === 0 ? H : 2 * H;
        out.push(
          { name: `${P}lstm_head.weight_ih_l${l}${dir}`, shape: [4 * H, inF], decay: true, init: 'normal' },
          { name: `${P}lstm_head.weight_hh_l${l}${dir}`, shape: [4 * H, H], decay: true, init: 'normal' },
          { name: `${P}lstm_head.bias_ih_l${l}${dir}`, shape: [4 * H], decay: false, init: 'normal' },
          { name: `${P}lstm_head.bias_hh_l${l}${dir}`, shape: [4 * H], decay: false, init: 'normal' },
        );
      }
    }
  }
  if (spec.spellFunc !== 'none') {
    out.push(
      { name: `${P}mlp_head.0.weight`, shape: [H, spec.spellFunc === 'lstm' ? 2 * H : H], decay: true, init: 'normal' },
      { name: `${P}mlp_head.0.bias`, shape: [H], decay: false, init: 'zeros' },
      { name: `${P}mlp_head.2.weight`, shape: [H, H], decay: true, init: 'normal' },
      { name: `${P}mlp_head.2.bias`, shape: [H], decay: false, init: 'zeros' },
    );
  }
  return out;
}

export class PromptEncoder {
  readonly store: ParamStore;
  readonly spec: PromptSpec;
  readonly hidden: number;

  constructor(hidden: number, spec: PromptSpec) {
    if (!SPELL_FUNCS.includes(spec.spellFunc)) throw new GlmError('E_FINETUNE_OPTION', `spell_func must be lstm, mlp or none, got ${JSON.stringify(spec.spellFunc)}`);
    if (!(Number.isInteger(spec.spellLength) && spec.spellLength >= 1)) throw new GlmError('E_FINETUNE_OPTION', `spell_length must be a positive integer, got ${spec.spellLength}`);
    this.spec = { ...spec };
    this.hidden = hidden;
    this.store = new ParamStore(promptParamSpecs(hidden, spec));
  }

  /**
   * Embeddings N(0, std) (GLM's nn.Embedding is N(0, 1); the model's initializer_range keeps them
   * on the scale of the word embeddings), LSTM weights and biases U(−1/√H, 1/√H) as PyTorch's,
   * MLP weights U(−1/√fan_in, 1/√fan_in) with zero biases.
   */
  initialize(std: number, seed: number): this {
    const rng = new Rng(seed);
    for (const s of this.store.specs) {
      const d = this.store.get(s.name).f32;
      if (s.init === 'zeros') d.fill(0);
      else if (s.name.endsWith('spell_embeddings.weight')) rng.fillNormal(d, std);
      else {
        const bound = 1 / Math.sqrt(s.name.includes('lstm_head') ? this.hidden : s.shape[1]!);
        for (let i = 0; i < d.length; i++) d[i] = (2 * rng.uniform() - 1) * bound;
      }
    }
    return this;
  }

  private w(n: string): Tensor {
    return this.store.get(P + n);
  }

  /** One LSTM direction over x [L, In] → [L, H]. */
  private direction(x: Tensor, layer: number, reverse: boolean): Tensor {
    const H = this.hidden, L = x.shape[0]!;
    const sfx = `_l${layer}${reverse ? '_reverse' : ''}`;
    const wih = this.w(`lstm_head.weight_ih${sfx}`), whh = this.w(`lstm_head.weight_hh${sfx}`);
    const bih = this.w(`lstm_head.bias_ih${sfx}`), bhh = this.w(`lstm_head.bias_hh${sfx}`);
    const pre = linear(x, wih, bih); // [L, 4H]: the input part of every step at once
    const outs: Tensor[] = new Array(L);
    let h: Tensor | null = null, c: Tensor | null = null;
    for (let k = 0; k < L; k++) {
      const t = reverse ? L - 1 - k : k;
      let gates = add(slice(pre, 0, t, t + 1), bhh);
      if (h) gates = add(gates, linear(h, whh, null));
      const gate = (j: number): Tensor => slice(gates, 1, j * H, (j + 1) * H);
      const ig = mul(sigmoid(gate(0)), tanh(gate(2)));
      c = c ? add(mul(sigmoid(gate(1)), c), ig) : ig;
      h = mul(sigmoid(gate(3)), tanh(c));
      outs[t] = h;
    }
    return concat(outs, 0);
  }

  /** The prompt embeddings [spell_length, H], recorded for autograd. */
  forward(): Tensor {
    let x = this.w('spell_embeddings.weight');
    if (this.spec.spellFunc === 'lstm') {
      for (const layer of [0, 1]) x = concat([this.direction(x, layer, false), this.direction(x, layer, true)], 1);
    }
    if (this.spec.spellFunc !== 'none') {
      x = linear(relu(linear(x, this.w('mlp_head.0.weight'), this.w('mlp_head.0.bias'))), this.w('mlp_head.2.weight'), this.w('mlp_head.2.bias'));
    }
    return x;
  }
}
