/**
 * The classifier-head alternative to cloze fine-tuning (spec §5.2): pool the final-LayerNorm
 * hidden state of one token and classify it with a small head of its own.
 *
 *   [orig] GLMForSequenceClassification: logits = out_proj(dropout(tanh(dense(h))))
 *   [hub]  GLMForSequenceClassification: logits = out_proj(dropout(tanh(dense(dropout(h)))))
 *
 * Pool token: 'cls' reads index 0; 'start' appends [sop] after Part A and reads it (index sep);
 * 'pad' reads the last Part A token (index sep − 1, the eos).
 *
 * The head's weights live in their own ParamStore (so they get their own AdamW) and are saved
 * with the model under the hub's key names: dense.weight [H, H], dense.bias [H],
 * out_proj.weight [L, H], out_proj.bias [L].
 */
import { GlmError } from '../util/errors.js';
import type { GLMModel } from '../model/glm.js';
import type { ModelInput } from '../model/inputs.js';
import { blankRow, packRows } from '../model/rows.js';
import { ParamStore, type ParamSpec } from '../model/params.js';
import { Rng } from '../util/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { linear } from '../tensor/ops/linalg.js';
import { crossEntropy, dropout } from '../tensor/ops/nn.js';
import type { GenerationTokens } from '../generate/tokens.js';
import type { EncodedClassifier } from '../tasks/encode.js';
import { gatherRows, tanh } from '../tensor/ops/scoring.js';

export type HeadVariant = 'orig' | 'hub';
export type PoolToken = 'cls' | 'start' | 'pad';

export interface HeadSpec {
  variant: HeadVariant;
  pool: PoolToken;
  numLabels: number;
  /** Dropout probability inside the head. Default 0.1 (spec §5.2). */
  dropout?: number;
}

/** The head's tensor names, as the hub's GLMForSequenceClassification stores them. */
export const HEAD_KEYS = ['dense.weight', 'dense.bias', 'out_proj.weight', 'out_proj.bias'] as const;

export function headParamSpecs(hidden: number, numLabels: number): ParamSpec[] {
  return [
    { name: 'dense.weight', shape: [hidden, hidden], decay: true, init: 'normal' },
    { name: 'dense.bias', shape: [hidden], decay: false, init: 'zeros' },
    { name: 'out_proj.weight', shape: [numLabels, hidden], decay: true, init: 'normal' },
    { name: 'out_proj.bias', shape: [numLabels], decay: false, init: 'zeros' },
  ];
}

export class ClassifierHead {
  readonly store: ParamStore;
  readonly spec: Required<HeadSpec>;

  constructor(hidden: number, spec: HeadSpec) {
    if (!['orig', 'hub'].includes(spec.variant)) throw new GlmError('E_FINETUNE_OPTION', `head variant must be orig or hub, got ${JSON.stringify(spec.variant)}`);
    if (!['cls', 'start', 'pad'].includes(spec.pool)) throw new GlmError('E_FINETUNE_OPTION', `pool token must be cls, start or pad, got ${JSON.stringify(spec.pool)}`);
    if (!(Number.isInteger(spec.numLabels) && spec.numLabels >= 2)) throw new GlmError('E_FINETUNE_OPTION', `a classifier needs at least 2 labels, got ${spec.numLabels}`);
    this.spec = { dropout: 0.1, ...spec };
    this.store = new ParamStore(headParamSpecs(hidden, spec.numLabels));
  }

  /** N(0, σ) weights and zero biases (σ = the model's initializer_range). */
  initialize(std: number, seed: number): this {
    const rng = new Rng(seed);
    for (const s of this.store.specs) {
      const d = this.store.get(s.name).f32;
      if (s.init === 'zeros') d.fill(0);
      else rng.fillNormal(d, std);
    }
    return this;
  }

  /** Logits [N, L] from the final hidden states [B, S, H] at the flat rows `pooled` (b·S + s). */
  forward(hidden: Tensor, pooled: Int32Array, train: boolean): Tensor {
    const p = train ? this.spec.dropout : 0;
    const W = (n: string): Tensor => this.store.get(n);
    let h = gatherRows(hidden, pooled);
    if (this.spec.variant === 'hub') h = dropout(h, p);
    h = tanh(linear(h, W('dense.weight'), W('dense.bias')));
    h = dropout(h, p);
    return linear(h, W('out_proj.weight'), W('out_proj.bias'));
  }
}

/** The model input for a batch of classifier examples, and the flat row to pool in each. */
export function classifierBatch(batch: readonly EncodedClassifier[], tokens: GenerationTokens, pool: PoolToken): { input: ModelInput; pooled: Int32Array } {
  const rows = batch.map((e) => {
    if (pool !== 'start') return blankRow(e.tokens, [], 0);
    // [orig] puts [sop] at the last mask's position; an input without a mask takes the next position.
    const m = e.tokens.lastIndexOf(tokens.mask);
    return blankRow(e.tokens, [tokens.sop], m >= 0 ? m : e.tokens.length);
  });
  const { input } = packRows(rows, { padId: tokens.pad ?? tokens.eos });
  const S = input.seqLen;
  const pooled = Int32Array.from(batch, (e, b) => b * S + (pool === 'cls' ? 0 : pool === 'start' ? e.tokens.length : e.tokens.length - 1));
  return { input, pooled };
}

/** Head logits [B, L] for a batch (autograd recorded when enabled). */
export function classifierLogits(model: GLMModel, head: ClassifierHead, batch: readonly EncodedClassifier[], tokens: GenerationTokens, train: boolean): Tensor {
  const { input, pooled } = classifierBatch(batch, tokens, head.spec.pool);
  const { hidden } = model.forward(input, { train });
  return head.forward(hidden, pooled, train);
}

/** Mean cross-entropy of the head over the labelled examples of a batch. */
export function classifierLoss(model: GLMModel, head: ClassifierHead, batch: readonly EncodedClassifier[], tokens: GenerationTokens, train = true): Tensor {
  const labelled = batch.filter((e) => e.label !== undefined);
  if (labelled.length === 0) throw new GlmError('E_FINETUNE_EMPTY', 'no labelled examples in the batch');
  const logits = classifierLogits(model, head, labelled, tokens, train);
  const targets = Int32Array.from(labelled.map((e) => e.label!));
  return crossEntropy(logits, targets, new Float32Array(labelled.length).fill(1));
}
