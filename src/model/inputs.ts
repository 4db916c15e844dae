/**
 * The model's batch input and its validation (bad ids, positions and masks get named errors).
 *
 * Shapes: input_ids [B, S]; position_ids [B, 2, S] (row 0 position, row 1 block position);
 * and one mask form (spec §2.3): `sep` [B] or an explicit 0/1 mask [B, 1, S, K] with K ≥ S + M
 * (its last S + M columns are used; M is the cached memory length).
 */
import { GlmError } from '../util/errors.js';
import type { GLMConfig } from './config.js';

export type MaskInput =
  | { sep: Int32Array }
  | { attentionMask: Float32Array; maskCols: number }
  | { causal: true };

export interface ModelInput {
  batch: number;
  seqLen: number;
  inputIds: Int32Array;
  positionIds: Int32Array;
  mask: MaskInput;
}

/** Throws a GlmError naming the first offending value. `memory` is M (cached key rows). */
export function validateInput(cfg: GLMConfig, input: ModelInput, memory = 0): void {
  const { batch: B, seqLen: S } = input;
  if (!(B > 0 && S > 0)) throw new GlmError('E_INPUT_SHAPE', `batch and sequence length must be positive, got B=${B}, S=${S}`);
  if (input.inputIds.length !== B * S) {
    throw new GlmError('E_INPUT_SHAPE', `input_ids has ${input.inputIds.length} values, expected B·S = ${B}·${S}`);
  }
  if (input.positionIds.length !== B * 2 * S) {
    throw new GlmError('E_INPUT_SHAPE', `position_ids has ${input.positionIds.length} values, expected [B, 2, S] = ${B * 2 * S}`);
  }
  const V = cfg.vocab_size;
  for (let i = 0; i < input.inputIds.length; i++) {
    const id = input.inputIds[i]!;
    if (id < 0 || id >= V) {
      throw new GlmError('E_TOKEN_ID', `token id ${id} at [${Math.floor(i / S)}, ${i % S}] is outside the vocabulary [0, ${V})`);
    }
  }
  const rows = cfg.max_sequence_length + 1;
  for (let i = 0; i < input.positionIds.length; i++) {
    const p = input.positionIds[i]!;
    if (p < 0 || p >= rows) {
      const b = Math.floor(i / (2 * S)), r = Math.floor(i / S) % 2, s = i % S;
      throw new GlmError(
        'E_POSITION',
        `${r === 0 ? 'position' : 'block position'} ${p} at [${b}, ${r}, ${s}] is beyond the position table ` +
          `(max_sequence_length ${cfg.max_sequence_length} gives ${rows} rows, ids 0..${rows - 1})`,
      );
    }
  }
  const m = input.mask;
  if ('sep' in m) {
    if (m.sep.length !== B) throw new GlmError('E_MASK_SHAPE', `sep has ${m.sep.length} values, expected one per sample (B = ${B})`);
  } else if ('attentionMask' in m) {
    const K = m.maskCols;
    if (K < S + memory) throw new GlmError('E_MASK_SHAPE', `attention_mask has ${K} key columns, needs at least S + M = ${S + memory}`);
    if (m.attentionMask.length !== B * S * K) {
      throw new GlmError('E_MASK_SHAPE', `attention_mask has ${m.attentionMask.length} values, expected [B, 1, S, K] = [${B}, 1, ${S}, ${K}]`);
    }
  }
}

/** Mask shape check for a mask given with its full shape (as read from a file). */
export function explicitMaskFromShape(mask: Float32Array, shape: readonly number[], B: number, S: number): MaskInput {
  if (shape.length !== 4 || shape[0] !== B || shape[1] !== 1 || shape[2] !== S) {
    throw new GlmError('E_MASK_SHAPE', `attention_mask must be [B, 1, S, K] = [${B}, 1, ${S}, K], got [${shape.join(', ')}]`);
  }
  return { attentionMask: mask, maskCols: shape[3]! };
}
