/**
 * Random inputs for the benchmark, shaped like tools/bench/torch_glm_bench.py's (same
 * distributions and layout; the draws differ since the generators differ).
 */
import type { ModelInput } from '../model/inputs.js';
import { blankRow, packRows } from '../model/rows.js';
import { Rng } from '../util/rng.js';

/** Special token ids used by torch_glm_bench.py (and the GLM tokenizers' layout). */
export const CLS = 1, EOS = 2, MASK = 3, SOP = 6;
/** Ordinary random tokens are drawn from [FIRST_TOKEN, vocab). */
export const FIRST_TOKEN = 10;

export interface BlankBatch {
  input: ModelInput;
  /** [B·S] next-token targets (random: the benchmark measures speed, not learning). */
  targets: Int32Array;
  /** [B·S] 1 on Part B (the loss positions), 0 on Part A. */
  lossMask: Float32Array;
}

/** Integer in [lo, hi) like torch.randint(lo, hi). */
function randint(rng: Rng, lo: number, hi: number): number {
  return lo + rng.int(hi - lo);
}

/**
 * A blank-infilling-shaped batch [B, S]: per sample, Part A has length sep ∈ [0.8·S, 0.9·S)
 * with [CLS] first and positions 0..sep−1 (block position 0); Part B fills the rest with spans
 * of [sop] + 1..4 tokens, each span taking the position of a random [MASK] it wrote into Part A
 * and block positions 1..n. The mask is the per-sample sep; the loss covers Part B.
 */
export function randomBlankBatch(rng: Rng, B: number, S: number, V: number): BlankBatch {
  const ids = new Int32Array(B * S);
  for (let i = 0; i < ids.length; i++) ids[i] = randint(rng, FIRST_TOKEN, V);
  const rows = Array.from({ length: B }, (_, b) => {
    const s = Math.floor(S * (0.8 + 0.1 * rng.uniform()));
    const rowIds = ids.subarray(b * S, (b + 1) * S), positions = new Int32Array(S), blockPositions = new Int32Array(S);
    for (let t = 0; t < s; t++) positions[t] = t;
    rowIds[0] = CLS;
    let i = s;
    while (i < S) {
      const n = Math.min(randint(rng, 2, 6), S - i); // span length + 1 ([sop])
      const mpos = randint(rng, 1, s - 1);
      rowIds[mpos] = MASK;
      rowIds[i] = SOP;
      for (let k = 0; k < n; k++) {
        positions[i + k] = mpos;
        blockPositions[i + k] = k + 1;
      }
      i += n;
    }
    return { ids: rowIds, positions, blockPositions, sep: s, lossMask: new Float32Array(S).fill(1, s) };
  });
  const { input, lossMask } = packRows(rows);
  const targets = new Int32Array(B * S);
  for (let i = 0; i < targets.length; i++) targets[i] = randint(rng, FIRST_TOKEN, V);
  return { input, targets, lossMask };
}

export interface DecodePrompt {
  /** The prefill chunk: N context tokens + [sop], sep = N. */
  input: ModelInput;
  /** Position (row 0) of the [MASK] being filled; every generated token takes it. */
  maskPos: number;
}

/**
 * torch_glm_bench.py's decode prompt: [CLS] + random tokens + [EOS] (N tokens), one [MASK] at
 * N/2, then [sop] at position maskPos, block position 1; sep = N.
 */
export function decodePrompt(rng: Rng, B: number, N: number, V: number): DecodePrompt {
  const mpos = Math.floor(N / 2);
  const rows = Array.from({ length: B }, () => {
    const partA = Array.from({ length: N }, () => randint(rng, FIRST_TOKEN, V));
    partA[0] = CLS;
    partA[N - 1] = EOS;
    partA[mpos] = MASK;
    return blankRow(partA, [SOP], mpos);
  });
  return { input: packRows(rows).input, maskPos: mpos };
}

/** The input of decode step k ≥ 1: the previous tokens [B, 1] at (maskPos, k + 1), sep 0. */
export function decodeStepInput(tokens: Int32Array, maskPos: number, k: number): ModelInput {
  return packRows(Array.from(tokens, (t) => ({ ids: [t], positions: [maskPos], blockPositions: [k + 1], sep: 0 }))).input;
}

/** Greedy pick per row of logits [B, 1, V] (or the last row of each [B, S, V] block). */
export function argmaxLast(logits: Float32Array, B: number, V: number): Int32Array {
  const rowsPer = logits.length / (B * V);
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const o = (b * rowsPer + rowsPer - 1) * V;
    let best = 0, bv = -Infinity;
    for (let c = 0; c < V; c++) {
      const x = logits[o + c]!;
      if (x > bv) {
        bv = x;
        best = c;
      }
    }
    out[b] = best;
  }
  return out;
}
