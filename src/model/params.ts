/**
 * The model's parameters in one allocation.
 *
 * Every weight is a view into one Float32Array, and every gradient a view into a second one, so
 * the optimizer, gradient clipping and checkpoint I/O run over two flat ranges (weights that get
 * weight decay, then those that don't) instead of hundreds of small tensors.
 * Names are the HF / original GLM state-dict keys (spec §2.6), without the `glm.` prefix.
 */
import { Tensor, numel } from '../tensor/tensor.js';
import type { GLMConfig } from './config.js';
import { Rng } from '../util/rng.js';

export type InitKind = 'normal' | 'scaledNormal' | 'zeros' | 'ones';

export interface ParamSpec {
  name: string;
  shape: number[];
  /** Biases and LayerNorm parameters get no weight decay (spec §6.1). */
  decay: boolean;
  init: InitKind;
}

/** The GLM parameter list in state-dict order. */
export function glmParamSpecs(cfg: GLMConfig): ParamSpec[] {
  const h = cfg.hidden_size, P = cfg.max_sequence_length + 1;
  const specs: ParamSpec[] = [
    { name: 'word_embeddings.weight', shape: [cfg.vocab_size, h], decay: true, init: 'normal' },
    { name: 'transformer.position_embeddings.weight', shape: [P, h], decay: true, init: 'normal' },
  ];
  if (cfg.block_position_encoding) specs.push({ name: 'transformer.block_position_embeddings.weight', shape: [P, h], decay: true, init: 'normal' });
  for (let i = 0; i < cfg.num_layers; i++) {
    const p = `transformer.layers.${i}.`;
    specs.push(
      { name: `${p}input_layernorm.weight`, shape: [h], decay: false, init: 'ones' },
      { name: `${p}input_layernorm.bias`, shape: [h], decay: false, init: 'zeros' },
      { name: `${p}attention.query_key_value.weight`, shape: [3 * h, h], decay: true, init: 'normal' },
      { name: `${p}attention.query_key_value.bias`, shape: [3 * h], decay: false, init: 'zeros' },
      { name: `${p}attention.dense.weight`, shape: [h, h], decay: true, init: 'scaledNormal' },
      { name: `${p}attention.dense.bias`, shape: [h], decay: false, init: 'zeros' },
      { name: `${p}post_attention_layernorm.weight`, shape: [h], decay: false, init: 'ones' },
      { name: `${p}post_attention_layernorm.bias`, shape: [h], decay: false, init: 'zeros' },
      { name: `${p}mlp.dense_h_to_4h.weight`, shape: [4 * h, h], decay: true, init: 'normal' },
      { name: `${p}mlp.dense_h_to_4h.bias`, shape: [4 * h], decay: false, init: 'zeros' },
      { name: `${p}mlp.dense_4h_to_h.weight`, shape: [h, 4 * h], decay: true, init: 'scaledNormal' },
      { name: `${p}mlp.dense_4h_to_h.bias`, shape: [h], decay: false, init: 'zeros' },
    );
  }
  specs.push(
    { name: 'transformer.final_layernorm.weight', shape: [h], decay: false, init: 'ones' },
    { name: 'transformer.final_layernorm.bias', shape: [h], decay: false, init: 'zeros' },
  );
  return specs;
}

const POSITION_TABLES = new Set(['transformer.position_embeddings.weight', 'transformer.block_position_embeddings.weight']);

/**
 * Row p of a [P, h] table: sin(p·ω_i) in column 2i and cos(p·ω_i) in 2i+1, ω_i = 10000^(−2i/h),
 * scaled to root-mean-square `rms` (that of the normal init). Row p+k is a rotation of row p, so a
 * query can pick out "k positions away" with one linear map.
 */
export function sinusoidalTable(d: Float32Array, h: number, rms: number): void {
  const scale = rms * Math.SQRT2;
  for (let p = 0, P = d.length / h; p < P; p++) {
    for (let i = 0; 2 * i < h; i++) {
      const a = p / Math.pow(10000, (2 * i) / h);
      d[p * h + 2 * i] = scale * Math.sin(a);
      if (2 * i + 1 < h) d[p * h + 2 * i + 1] = scale * Math.cos(a);
    }
  }
}

export class ParamStore {
  /** All weights: the decayed ones in [0, decaySize), the rest after. */
  readonly data: Float32Array;
  /** All gradients, same layout. */
  readonly grad: Float32Array;
  readonly decaySize: number;
  readonly specs: readonly ParamSpec[];
  private readonly byName = new Map<string, Tensor>();

  constructor(specs: ParamSpec[]) {
    this.specs = specs;
    const ordered = [...specs.filter((s) => s.decay), ...specs.filter((s) => !s.decay)];
    const total = ordered.reduce((n, s) => n + numel(s.shape), 0);
    this.data = new Float32Array(total);
    this.grad = new Float32Array(total);
    let at = 0;
    for (const s of ordered) {
      const n = numel(s.shape);
      const t = new Tensor(this.data.subarray(at, at + n), s.shape, true, s.name);
      t.grad = this.grad.subarray(at, at + n);
      this.byName.set(s.name, t);
      at += n;
    }
    this.decaySize = ordered.filter((s) => s.decay).reduce((n, s) => n + numel(s.shape), 0);
  }

  get(name: string): Tensor {
    const t = this.byName.get(name);
    if (!t) throw new Error(`no parameter named '${name}'`);
    return t;
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Parameters in state-dict order. */
  entries(): [string, Tensor][] {
    return this.specs.map((s) => [s.name, this.byName.get(s.name)!]);
  }

  get size(): number {
    return this.data.length;
  }

  zeroGrad(): void {
    this.grad.fill(0);
  }

  /**
   * Random initialisation (spec §2.5). 'orig': N(0, σ) on matrices and tables, N(0, σ/sqrt(2L)) on
   * the two output projections, zero biases, unit LayerNorm γ. 'hub': no scaled projections.
   * config.position_init 'sinusoidal' replaces the two position tables' draws by sinusoidalTable
   * (the random stream is drawn all the same, so every other weight is unchanged).
   */
  initialize(cfg: GLMConfig, seed: number): void {
    const rng = new Rng(seed);
    const std = cfg.initializer_range;
    const scaled = cfg.init_method === 'orig' ? std / Math.sqrt(2 * cfg.num_layers) : std;
    for (const s of this.specs) {
      const d = this.get(s.name).f32;
      if (s.init === 'zeros') d.fill(0);
      else if (s.init === 'ones') d.fill(1);
      else rng.fillNormal(d, s.init === 'scaledNormal' ? scaled : std);
      if (cfg.position_init === 'sinusoidal' && POSITION_TABLES.has(s.name)) sinusoidalTable(d, s.shape[1]!, std);
    }
  }
}
