/**
 * The GLM input layout in one place (spec §2.2–2.3). A row is one sequence: its token ids, its
 * two position rows (row 0: the position in the text, where a Part B token takes the position of
 * its blank; row 1: 0 in Part A, 1, 2, … inside each Part B span) and its Part A length `sep`.
 *
 * `packRows` is the only function that lays rows out as the model's input_ids [B, S],
 * position_ids [B, 2, S] and sep [B]; `explicitMask` is the one builder of a [B, 1, S, S] 0/1 mask
 * for rows whose visibility is not the sep rule (`sepSees`).
 */
import { GlmError } from '../util/errors.js';
import type { MaskInput, ModelInput } from './inputs.js';
import { sepSees } from '../backend/backend.js';

export interface GlmRow {
  readonly ids: ArrayLike<number>;
  /** Row 0 of position_ids, one per token. */
  readonly positions: ArrayLike<number>;
  /** Row 1 of position_ids, one per token. */
  readonly blockPositions: ArrayLike<number>;
  /** Part A length: query i sees key j iff j ≤ i or j < sep. */
  readonly sep: number;
  /** The token each position predicts (training rows); shorter arrays leave the rest padded. */
  readonly targets?: ArrayLike<number>;
  /** Loss weight per position (training rows); 0 where absent. */
  readonly lossMask?: ArrayLike<number>;
}

export interface PackOptions {
  /** Token id of padding slots. Default 0. */
  padId?: number;
  /** Target of padding slots (and of rows without targets). Default 0. */
  targetPad?: number;
  /** Positions of padding slots: 0 (default) or the row's last positions repeated. */
  positionPad?: 'zero' | 'last';
  /** Smallest S; the batch is as long as its longest row otherwise. */
  minLength?: number;
  /** The mask to put in the input instead of the rows' sep (e.g. from `explicitMask`). */
  mask?: MaskInput;
}

export interface PackedRows {
  input: ModelInput;
  /** [B·S] targets, `targetPad` where a row gives none. */
  targets: Int32Array;
  /** [B·S] loss weights, 0 on padding. */
  lossMask: Float32Array;
}

/** Right-pads rows to one length S and lays them out as the model's input (mask: per-row sep). */
export function packRows(rows: readonly GlmRow[], opts: PackOptions = {}): PackedRows {
  const B = rows.length;
  if (B === 0) throw new GlmError('E_INPUT_SHAPE', 'cannot pack an empty batch');
  let S = opts.minLength ?? 0;
  for (const r of rows) S = Math.max(S, r.ids.length);
  const padId = opts.padId ?? 0, last = opts.positionPad === 'last';
  const inputIds = new Int32Array(B * S).fill(padId), positionIds = new Int32Array(B * 2 * S);
  const targets = new Int32Array(B * S).fill(opts.targetPad ?? 0), lossMask = new Float32Array(B * S);
  const sep = new Int32Array(B);
  rows.forEach((r, b) => {
    const n = r.ids.length;
    if (r.positions.length < n || r.blockPositions.length < n) throw new GlmError('E_INPUT', `row ${b}: fewer positions than tokens`);
    const p0 = b * 2 * S, p1 = p0 + S;
    for (let i = 0; i < n; i++) {
      inputIds[b * S + i] = r.ids[i]!;
      positionIds[p0 + i] = r.positions[i]!;
      positionIds[p1 + i] = r.blockPositions[i]!;
    }
    if (last && n > 0) {
      positionIds.fill(r.positions[n - 1]!, p0 + n, p0 + S);
      positionIds.fill(r.blockPositions[n - 1]!, p1 + n, p1 + S);
    }
    if (r.targets) for (let i = 0; i < Math.min(n, r.targets.length); i++) targets[b * S + i] = r.targets[i]!;
    if (r.lossMask) for (let i = 0; i < Math.min(n, r.lossMask.length); i++) lossMask[b * S + i] = r.lossMask[i]!;
    sep[b] = r.sep;
  });
  return { input: { batch: B, seqLen: S, inputIds, positionIds, mask: opts.mask ?? { sep } }, targets, lossMask };
}

/**
 * A row of Part A followed by one Part B span filling the blank at `maskPosition`: positions
 * 0…|A|−1 then `maskPosition`, block positions 0 then 1, 2, …; sep = |A|.
 */
export function blankRow(partA: ArrayLike<number>, partB: ArrayLike<number>, maskPosition: number, extra: Pick<GlmRow, 'targets' | 'lossMask'> = {}): GlmRow {
  const A = partA.length, n = A + partB.length;
  const ids = new Int32Array(n), positions = new Int32Array(n), blockPositions = new Int32Array(n);
  for (let i = 0; i < A; i++) {
    ids[i] = partA[i]!;
    positions[i] = i;
  }
  for (let t = 0; t < partB.length; t++) {
    ids[A + t] = partB[t]!;
    positions[A + t] = maskPosition;
    blockPositions[A + t] = t + 1;
  }
  return { ids, positions, blockPositions, sep: A, ...extra };
}

/** The sep rule (spec §2.3): query i sees key j iff j ≤ i or j < sep (defined with the kernels' contract). */
export { sepSees };

/**
 * A [B, 1, S, S] mask: within row b's first `lengths[b]` slots, entry (i, j) is `sees(b, i, j)`
 * (true → 1, false → 0, or a given 0/1 value). A padding query row sees nothing ('none') or only
 * itself ('self').
 */
export function explicitMask(B: number, S: number, lengths: readonly number[], sees: (b: number, i: number, j: number) => boolean | number, paddingRows: 'none' | 'self'): MaskInput {
  const m = new Float32Array(B * S * S);
  for (let b = 0; b < B; b++) {
    const L = lengths[b]!;
    for (let i = 0; i < S; i++) {
      const row = (b * S + i) * S;
      if (i >= L) {
        if (paddingRows === 'self') m[row + i] = 1;
        continue;
      }
      for (let j = 0; j < L; j++) m[row + j] = Number(sees(b, i, j));
    }
  }
  return { attentionMask: m, maskCols: S };
}

/** The two position rows of an input as [B·S] arrays each (the inverse of packRows' layout). */
export function splitPositions(input: ModelInput): { positions: Int32Array; blockPositions: Int32Array } {
  const { batch: B, seqLen: S } = input;
  const positions = new Int32Array(B * S), blockPositions = new Int32Array(B * S);
  for (let b = 0; b < B; b++) {
    positions.set(input.positionIds.subarray(b * 2 * S, b * 2 * S + S), b * S);
    blockPositions.set(input.positionIds.subarray(b * 2 * S + S, (b + 1) * 2 * S), b * S);
  }
  return { positions, blockPositions };
}

/**
 * The last T key columns of an explicit mask [rows, K] as [rows, T] (the columns of the cached
 * memory and the new chunk: T = M + S). The mask itself when K = T.
 */
export function lastMaskColumns(mask: Float32Array, rows: number, K: number, T: number): Float32Array {
  if (K === T) return mask;
  const out = new Float32Array(rows * T);
  for (let r = 0; r < rows; r++) out.set(mask.subarray(r * K + K - T, (r + 1) * K), r * T);
  return out;
}
