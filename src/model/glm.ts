/**
 * The GLM model (spec §2): word + position + block-position embeddings, L pre-LayerNorm
 * Transformer layers with fused QKV, a final LayerNorm, and logits tied to the word embedding.
 *
 *   x = E_word[ids] + E_pos[pos[:,0]] + E_block[pos[:,1]]          [B, S, H]
 *   per layer:  x = x + Dense(Attn(LN1(x), mask))                  (the residual adds x, not LN1(x))
 *               x = x + W2·gelu(W1·LN2(x) + b1) + b2               H → 4H → H
 *   logits = LN_f(x) · E_wordᵀ                                     [B, S, V]
 *
 * Two entry points:
 *   - forward(): the training / scoring pass, recorded for autograd;
 *   - forwardIncremental(): inference with a DecodeCache (K/V or GLM "mems"), no autograd.
 * quantize('bf16' | 'int8') adds low-precision copies of the weight matrices that inference
 * (forwardIncremental, and forward() when no gradient is recorded) then multiplies by.
 * forward() runs its layers on activation buffers recycled between passes (arena.ts).
 */
import { MASK_NONE, GELU_ERF, GELU_TANH, type GeluKind } from '../backend/backend.js';
import { Tensor, isGradEnabled, noGrad } from '../tensor/tensor.js';
import { add } from '../tensor/ops/elementwise.js';
import { linear, matmul } from '../tensor/ops/linalg.js';
import { gatherRows } from '../tensor/ops/shape.js';
import { replaceRows } from '../tensor/ops/recurrent.js';
import { cachedAttention, dropout, embedding, embeddingSum, layerNorm, linearGelu, selfAttention, type AttentionMask } from '../tensor/ops/nn.js';
import { Arena, backwardSentinel, withArena } from '../tensor/ops/arena.js';
import { type GLMConfig, parameterCount } from './config.js';
import { ParamStore, glmParamSpecs } from './params.js';
import { type ModelInput, validateInput } from './inputs.js';
import { lastMaskColumns, splitPositions } from './rows.js';
import { DecodeCache } from './cache.js';
import { type QuantKind, type QuantizedMatrix, quantLinear, quantLinearGelu, quantizeMatrix, quantizedBytes } from '../tensor/ops/quant.js';

interface LayerParams {
  ln1w: Tensor; ln1b: Tensor;
  qkvW: Tensor; qkvB: Tensor;
  denseW: Tensor; denseB: Tensor;
  ln2w: Tensor; ln2b: Tensor;
  fc1W: Tensor; fc1B: Tensor;
  fc2W: Tensor; fc2B: Tensor;
}

/** Low-precision copies of one layer's weight matrices. */
interface LayerQuant {
  qkv: QuantizedMatrix;
  dense: QuantizedMatrix;
  fc1: QuantizedMatrix;
  fc2: QuantizedMatrix;
}

interface ModelQuant {
  kind: QuantKind;
  layers: LayerQuant[];
  /** The word embedding as the LM head [V, H]. */
  head: QuantizedMatrix;
}

export interface ForwardOptions {
  /** Dropout on (training). Default false. */
  train?: boolean;
  /**
   * Positions (indices into the flattened [B·S]) whose logits are computed; logits are then
   * [rows.length, V]. A loss over blank-infilling targets needs about 15 % of the rows, and the
   * LM head is the largest single product of the model. Default: every position ([B, S, V]).
   */
  logitRows?: Int32Array;
  /**
   * P-tuning (spec §5.1, `--continuous-prompt`): the word embeddings at the flat rows `rows`
   * (b·S + s) are replaced by rows of `values` [K, H] (row `src[k]`, default k) before the
   * position embeddings are added; gradients flow to `values`, also when the model is frozen.
   */
  prompt?: PromptEmbeddings;
}

export interface PromptEmbeddings {
  rows: Int32Array;
  values: Tensor;
  src?: Int32Array;
}

export class GLMModel {
  readonly config: GLMConfig;
  readonly params: ParamStore;
  readonly geluKind: GeluKind;
  private readonly layers: LayerParams[];
  readonly wordEmbeddings: Tensor;
  readonly positionEmbeddings: Tensor;
  readonly blockPositionEmbeddings: Tensor | null;
  readonly finalLnW: Tensor;
  readonly finalLnB: Tensor;
  private quant: ModelQuant | null = null;
  /**
   * Activation buffers reused from one pass to the next (src/tensor/ops/arena.ts): one arena
   * for passes that record a graph, recycled only once that graph has been consumed, and two
   * alternating by layer for passes without autograd.
   */
  private gradArena: Arena | null = null;
  /** Set when backward() has passed through the end of the last recorded layer stack. */
  private gradArenaState = { consumed: true };
  private readonly plainArenas = [new Arena(), new Arena()];

  /** Builds the model with zeroed weights; call initialize() or load a checkpoint. */
  constructor(config: GLMConfig, params?: ParamStore) {
    this.config = config;
    this.params = params ?? new ParamStore(glmParamSpecs(config));
    this.geluKind = config.gelu === 'tanh' ? GELU_TANH : GELU_ERF;
    const p = (n: string): Tensor => this.params.get(n);
    this.wordEmbeddings = p('word_embeddings.weight');
    this.positionEmbeddings = p('transformer.position_embeddings.weight');
    this.blockPositionEmbeddings = config.block_position_encoding ? p('transformer.block_position_embeddings.weight') : null;
    this.finalLnW = p('transformer.final_layernorm.weight');
    this.finalLnB = p('transformer.final_layernorm.bias');
    this.layers = [];
    for (let i = 0; i < config.num_layers; i++) {
      const l = (n: string): Tensor => p(`transformer.layers.${i}.${n}`);
      this.layers.push({
        ln1w: l('input_layernorm.weight'), ln1b: l('input_layernorm.bias'),
        qkvW: l('attention.query_key_value.weight'), qkvB: l('attention.query_key_value.bias'),
        denseW: l('attention.dense.weight'), denseB: l('attention.dense.bias'),
        ln2w: l('post_attention_layernorm.weight'), ln2b: l('post_attention_layernorm.bias'),
        fc1W: l('mlp.dense_h_to_4h.weight'), fc1B: l('mlp.dense_h_to_4h.bias'),
        fc2W: l('mlp.dense_4h_to_h.weight'), fc2B: l('mlp.dense_4h_to_h.bias'),
      });
    }
  }

  /** Random initialisation per spec §2.5 (config.init_method picks orig or hub). */
  initialize(seed = 1234): this {
    this.params.initialize(this.config, seed);
    return this;
  }

  parameterCount(): number {
    return parameterCount(this.config);
  }

  /**
   * Low-precision inference: keeps bf16 or int8 (per-output-channel scale) copies of every
   * layer's QKV, attention-output and MLP weights and of the word embedding (the LM head).
   * forwardIncremental() always uses them, forward() whenever it records no graph; training
   * keeps using the float32 parameters. Decode steps (≤ 8 rows) are weight-only (float32
   * activations); with bf16, products over ≥ 32 rows also round the activations to bf16 and run
   * on the AMX units where available (src/model/quant.ts). The copies are a snapshot: call
   * quantize() again after the weights change (training, loading). null drops them. Throws a
   * GlmError (E_QUANT_NONFINITE) for int8 when a weight is not finite.
   */
  quantize(kind: QuantKind | null): this {
    if (kind === null) {
      this.quant = null;
      return this;
    }
    const q = (t: Tensor, name: string): QuantizedMatrix => quantizeMatrix(t, kind, name);
    this.quant = {
      kind,
      layers: this.layers.map((L, i) => ({
        qkv: q(L.qkvW, `layer ${i} attention.query_key_value.weight`),
        dense: q(L.denseW, `layer ${i} attention.dense.weight`),
        fc1: q(L.fc1W, `layer ${i} mlp.dense_h_to_4h.weight`),
        fc2: q(L.fc2W, `layer ${i} mlp.dense_4h_to_h.weight`),
      })),
      head: q(this.wordEmbeddings, 'word_embeddings.weight'),
    };
    return this;
  }

  /** The active quantization ('bf16' | 'int8'), or null for float32. */
  get quantization(): QuantKind | null {
    return this.quant ? this.quant.kind : null;
  }

  /** Bytes held by the quantized copies (0 without quantization). */
  quantizedBytes(): number {
    if (!this.quant) return 0;
    let n = quantizedBytes(this.quant.head);
    for (const l of this.quant.layers) n += quantizedBytes(l.qkv) + quantizedBytes(l.dense) + quantizedBytes(l.fc1) + quantizedBytes(l.fc2);
    return n;
  }

  /**
   * The arena of a recording pass. It reuses the previous recording pass's buffers only when
   * backward() has consumed that graph (a sentinel at the end of the layer stack says so);
   * otherwise it is a fresh arena and the old one stays with its graph (and is collected with it).
   */
  private recordingArena(): Arena {
    if (this.gradArena && this.gradArenaState.consumed) this.gradArena.reset();
    else this.gradArena = new Arena();
    return this.gradArena;
  }

  /** Whether a pass records an autograd graph: gradients are on and some parameter wants one. */
  private recordsGraph(): boolean {
    if (!isGradEnabled()) return false;
    for (const [, t] of this.params.entries()) if (t.requiresGrad) return true;
    return false;
  }

  private embed(input: ModelInput, prompt?: PromptEmbeddings): Tensor {
    const { batch: B, seqLen: S } = input;
    const { positions: pos, blockPositions: block } = splitPositions(input);
    const ids = new Tensor(input.inputIds, [B, S]);
    const tables = [this.wordEmbeddings, this.positionEmbeddings];
    const idx = [ids, new Tensor(pos, [B, S])];
    if (this.blockPositionEmbeddings) {
      tables.push(this.blockPositionEmbeddings);
      idx.push(new Tensor(block, [B, S]));
    }
    if (!prompt) return embeddingSum(tables, idx);
    const words = replaceRows(embedding(this.wordEmbeddings, ids), prompt.rows, prompt.values, prompt.src);
    return add(words, embeddingSum(tables.slice(1), idx.slice(1)));
  }

  /**
   * Full forward pass with autograd. Returns logits [B, S, V] (or [rows, V] for
   * opts.logitRows) and the final hidden states (after the final LayerNorm) [B, S, H].
   */
  forward(input: ModelInput, opts: ForwardOptions = {}): { logits: Tensor; hidden: Tensor } {
    validateInput(this.config, input);
    const cfg = this.config;
    const train = opts.train ?? false;
    const { batch: B, seqLen: S } = input;
    let mask: AttentionMask;
    const m = input.mask;
    if ('sep' in m) mask = { kind: 'sep', sep: m.sep };
    else if ('attentionMask' in m) mask = { kind: 'explicit', mask: lastMaskColumns(m.attentionMask, B * S, m.maskCols, S) };
    else mask = { kind: 'sep', sep: new Int32Array(B) };
    const pDrop = (p: number): number => (train ? p : 0);

    const recording = this.recordsGraph() || (isGradEnabled() && opts.prompt?.values.requiresGrad === true);
    // Quantized copies have no gradient: passes that record a graph use the float32 weights.
    const Q = recording ? null : this.quant;
    // Layers run on recycled activation buffers; hidden and logits (returned) are fresh.
    let x = this.layerStack(input, mask, pDrop, Q, recording, opts.prompt);
    if (recording) {
      const state = { consumed: false };
      this.gradArenaState = state;
      x = backwardSentinel(x, () => {
        state.consumed = true;
      });
    }
    const hidden = layerNorm(x, this.finalLnW, this.finalLnB, cfg.layernorm_epsilon);
    const headIn = opts.logitRows ? gatherRows(hidden, opts.logitRows) : hidden;
    const logits = Q ? quantLinear(headIn, Q.head, null) : matmul(headIn, this.wordEmbeddings, { transB: true });
    return { logits, hidden };
  }

  /**
   * Embeddings and transformer layers of forward(): x [B, S, H] before the final LayerNorm, on
   * recycled buffers. A recording pass uses one arena (the graph keeps every activation until
   * backward). Otherwise two arenas alternate by layer: when layer l starts, nothing that layer
   * l − 2 allocated is read any more (only layer l − 1's output is), so two layers' worth of
   * buffers serve the whole pass.
   */
  private layerStack(input: ModelInput, mask: AttentionMask, pDrop: (p: number) => number, Q: ModelQuant | null, recording: boolean, prompt?: PromptEmbeddings): Tensor {
    const cfg = this.config;
    const arenas = recording ? [this.recordingArena()] : this.plainArenas;
    const inArena = <T>(i: number, fn: () => T): T => {
      const a = arenas[i % arenas.length]!;
      if (!recording) a.reset();
      return withArena(a, fn);
    };
    const drop = (t: Tensor, p: number): Tensor => dropout(t, pDrop(p));
    const attend = (l: number, xIn: Tensor): Tensor =>
      selfAttention(this.qkv(l, this.ln1(l, xIn), Q), { heads: cfg.num_attention_heads, mask, dropoutP: pDrop(cfg.attention_dropout_prob) });
    let x = inArena(1, () => dropout(this.embed(input, prompt), pDrop(cfg.embedding_dropout_prob)));
    for (let l = 0; l < this.layers.length; l++) x = inArena(l, () => this.layer(l, x, attend, drop, Q));
    return x;
  }

  /** LayerNorm 1 of layer l (the attention sublayer's input). */
  private ln1(l: number, x: Tensor): Tensor {
    const L = this.layers[l]!;
    return layerNorm(x, L.ln1w, L.ln1b, this.config.layernorm_epsilon);
  }

  /** The fused QKV projection of layer l: [.., H] → [.., 3H]. */
  private qkv(l: number, u: Tensor, Q: ModelQuant | null): Tensor {
    const L = this.layers[l]!, LQ = Q ? Q.layers[l]! : null;
    return LQ ? quantLinear(u, LQ.qkv, L.qkvB) : linear(u, L.qkvW, L.qkvB);
  }

  /**
   * One pre-LayerNorm transformer layer, the same for forward() and forwardIncremental():
   * x = xIn + Dense(attend(xIn)), then x + FC2(GELU(FC1(LN2(x)))). `attend` is the attention
   * context of the layer input (full self-attention, or attention over the decoding cache);
   * `drop` applies the training dropout (none when decoding).
   */
  private layer(l: number, xIn: Tensor, attend: (l: number, xIn: Tensor) => Tensor, drop: (t: Tensor, p: number) => Tensor, Q: ModelQuant | null): Tensor {
    const cfg = this.config;
    const L = this.layers[l]!, LQ = Q ? Q.layers[l]! : null;
    const ctx = attend(l, xIn);
    const x = add(xIn, drop(LQ ? quantLinear(ctx, LQ.dense, L.denseB) : linear(ctx, L.denseW, L.denseB), cfg.output_dropout_prob));
    const v = layerNorm(x, L.ln2w, L.ln2b, cfg.layernorm_epsilon);
    const h = LQ ? quantLinearGelu(v, LQ.fc1, L.fc1B, this.geluKind) : linearGelu(v, L.fc1W, L.fc1B, this.geluKind);
    return add(x, drop(LQ ? quantLinear(h, LQ.fc2, L.fc2B) : linear(h, L.fc2W, L.fc2B), cfg.output_dropout_prob));
  }

  /** A cache for incremental decoding: 'kv' keeps K/V per layer, 'mems' the GLM hidden states. */
  createCache(batch: number, kind: 'kv' | 'mems' = 'kv', keepHidden = false): DecodeCache {
    return new DecodeCache(this.config, batch, kind, keepHidden);
  }

  /**
   * One incremental step (prefill or decode) without autograd. The new chunk [B, S] attends to
   * every cached row (memory M) plus itself under the mask: `sep` counts over the new chunk
   * (sep = 0 → causal), explicit masks are [B, 1, S, K ≥ M + S] (last M + S columns used).
   * Returns logits of every new position [B, S, V], or of the last one [B, 1, V].
   */
  forwardIncremental(input: ModelInput, cache: DecodeCache, logitsFor: 'all' | 'last' = 'all'): Tensor {
    const M = cache.length;
    validateInput(this.config, input, M);
    if (input.batch !== cache.batch) throw new Error(`forwardIncremental: batch ${input.batch} does not match the cache's ${cache.batch}`);
    const cfg = this.config;
    const { batch: B, seqLen: S } = input;
    const H = cfg.hidden_size, N = cfg.num_attention_heads;
    const Q = this.quant;
    return noGrad(() => {
      let x = this.embed(input);
      const m = input.mask;
      const mask: AttentionMask = 'attentionMask' in m
        ? { kind: 'explicit', mask: lastMaskColumns(m.attentionMask, B * S, m.maskCols, M + S) }
        : { kind: 'sep', sep: 'sep' in m ? m.sep : new Int32Array(B) };
      const common = { batch: B, seq: S, hidden: H, heads: N, keys: M + S, mask };
      const attend = (l: number, xIn: Tensor): Tensor => {
        if (cache.kind === 'kv') {
          const qkv = this.qkv(l, this.ln1(l, xIn), Q).f32;
          cache.appendKV(l, qkv, S);
          return cachedAttention(qkv, { ...common, ldq: 3 * H, qSampleStride: S * 3 * H, kv: (b) => ({ k: cache.keys(l, b), v: cache.values(l, b), ld: H }) });
        }
        // GLM mems: LN1 over [memory ; new], QKV over all rows, queries are the new rows.
        const all = cache.hiddenWithNew(l, xIn.f32, S);
        const qkv = this.qkv(l, this.ln1(l, new Tensor(all, [B, M + S, H])), Q).f32;
        const T = (M + S) * 3 * H;
        return cachedAttention(qkv.subarray(M * 3 * H), {
          ...common, ldq: 3 * H, qSampleStride: T, kv: (b) => ({ k: qkv.subarray(b * T + H), v: qkv.subarray(b * T + 2 * H), ld: 3 * H }),
        });
      };
      const noDropout = (t: Tensor): Tensor => t;
      // Capacity in steps of 64 positions: a decode step after the prefill does not have to
      // grow (copy) every layer's K/V buffers, only every 64th position (or by doubling) does.
      cache.reserve(Math.ceil((M + S) / 64) * 64);
      if (cache.keepHidden || cache.kind === 'mems') cache.appendHidden(0, x.f32, S);
      for (let l = 0; l < this.layers.length; l++) {
        x = this.layer(l, x, attend, noDropout, Q);
        if (cache.keepHidden || cache.kind === 'mems') cache.appendHidden(l + 1, x.f32, S);
      }
      cache.advance(S);
      let last = x;
      if (logitsFor === 'last') {
        const sel = new Float32Array(B * H);
        for (let b = 0; b < B; b++) sel.set(x.f32.subarray((b * S + S - 1) * H, (b * S + S) * H), b * H);
        last = new Tensor(sel, [B, 1, H]);
      }
      const hidden = layerNorm(last, this.finalLnW, this.finalLnB, cfg.layernorm_epsilon);
      return Q ? quantLinear(hidden, Q.head, null) : matmul(hidden, this.wordEmbeddings, { transB: true });
    });
  }
}

export { MASK_NONE };
