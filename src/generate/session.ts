/**
 * DecodeSession: batched incremental decoding over a DecodeCache where rows move independently.
 *
 * All rows share the cache length M, but each row keeps its own record of which cached columns
 * are real ("valid"): the padding of a shorter prompt, the step of a row that had nothing to feed,
 * and a beam search's discarded exploration are invalid and never attended to again. Every call
 * builds an explicit mask from that record (spec §2.3 form 3), so rows of different lengths, in
 * different blanks, decode together and give the numbers each would give alone (up to float
 * reassociation). When every column is valid the cheaper `sep` mask is used instead.
 */
import { GlmError } from '../util/errors.js';
import { DecodeCache } from '../model/cache.js';
import type { GLMModel } from '../model/glm.js';
import type { MaskInput } from '../model/inputs.js';
import { blankRow, explicitMask, packRows } from '../model/rows.js';

/** One token per row for a decode step. Rows with `active` 0 feed a placeholder whose column stays invalid. */
export interface StepFeed {
  tokens: Int32Array;
  positions: Int32Array;
  blockPositions: Int32Array;
  active: Uint8Array;
}

export class DecodeSession {
  readonly model: GLMModel;
  cache: DecodeCache;
  /** Valid-column record [B, cap] (1 = the row attends to that cached column). */
  private valid: Uint8Array;
  private cap: number;
  /** True while every cached column of every row is valid (then `sep` masks suffice). */
  private allValid = true;
  private readonly padId: number;

  private constructor(model: GLMModel, cache: DecodeCache, padId: number) {
    this.model = model;
    this.cache = cache;
    this.padId = padId;
    this.cap = 0;
    this.valid = new Uint8Array(0);
  }

  /**
   * Prefills Part A of every row (spec §4.1 step 1): contexts of different lengths are
   * right-padded; each real token sees its own row's whole context (sep = its length).
   */
  static prefill(model: GLMModel, contexts: readonly (readonly number[])[], opts: { padId: number; cacheKind?: 'kv' | 'mems' }): DecodeSession {
    const B = contexts.length;
    if (B === 0) throw new GlmError('E_INPUT_SHAPE', 'no prompts to decode');
    const lens = contexts.map((c) => c.length);
    const S = Math.max(...lens);
    contexts.forEach((c, b) => {
      if (c.length === 0) throw new GlmError('E_INPUT_SHAPE', `prompt ${b} is empty`);
    });
    const P = model.config.max_sequence_length;
    if (S > P + 1) {
      throw new GlmError('E_POSITION', `a prompt of ${S} tokens needs positions up to ${S - 1}, but max_sequence_length ${P} allows ${P} at most`);
    }
    const session = new DecodeSession(model, model.createCache(B, opts.cacheKind ?? 'kv'), opts.padId);
    // Every prompt is all Part A (sep = its length). Prompts of unequal lengths get an explicit mask
    // instead, where padding query rows see only themselves (their outputs are never used).
    const equal = lens.every((l) => l === S);
    const mask = equal ? undefined : explicitMask(B, S, lens, () => true, 'self');
    if (!equal) session.allValid = false;
    const { input } = packRows(contexts.map((c) => blankRow(c, [], 0)), { padId: opts.padId, ...(mask ? { mask } : {}) });
    model.forwardIncremental(input, session.cache, 'last');
    session.grow(S);
    for (let b = 0; b < B; b++) session.valid.fill(1, b * session.cap, b * session.cap + lens[b]!);
    return session;
  }

  get batch(): number {
    return this.cache.batch;
  }

  get length(): number {
    return this.cache.length;
  }

  private grow(total: number): void {
    if (total <= this.cap) return;
    const cap = Math.max(total, this.cap * 2, 32);
    const B = this.batch, next = new Uint8Array(B * cap);
    for (let b = 0; b < B; b++) next.set(this.valid.subarray(b * this.cap, b * this.cap + this.length), b * cap);
    this.valid = next;
    this.cap = cap;
  }

  /** Whether row b attends to cached column j. */
  isValid(b: number, j: number): boolean {
    return this.valid[b * this.cap + j] === 1;
  }

  /** Marks cached columns [from, to) of row b invalid (e.g. a finished beam search's exploration). */
  invalidate(b: number, from: number, to = this.length): void {
    if (to > from) {
      this.valid.fill(0, b * this.cap + from, b * this.cap + to);
      this.allValid = false;
    }
  }

  /**
   * One decode step (spec §4.1 step 2): every row feeds one token that sees its valid memory and
   * itself. Returns the logits [B, V].
   */
  step(feed: StepFeed): Float32Array {
    const B = this.batch, M = this.length, T = M + 1;
    const everyActive = feed.active.every((a) => a === 1);
    let mask: MaskInput | undefined;
    if (!(this.allValid && everyActive)) {
      const m = new Float32Array(B * T);
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < M; j++) m[b * T + j] = this.valid[b * this.cap + j]!;
        m[b * T + M] = 1;
      }
      mask = { attentionMask: m, maskCols: T };
    }
    // One new token per row, sep 0 (it sees the cache and itself), unless the mask above is needed.
    const rows = Array.from({ length: B }, (_, b) => ({
      ids: [feed.active[b] ? feed.tokens[b]! : this.padId], positions: [feed.positions[b]!], blockPositions: [feed.blockPositions[b]!], sep: 0,
    }));
    const { input } = packRows(rows, mask ? { mask } : {});
    const logits = this.model.forwardIncremental(input, this.cache, 'last').f32;
    this.grow(T);
    for (let b = 0; b < B; b++) this.valid[b * this.cap + M] = feed.active[b]!;
    if (!everyActive) this.allValid = false;
    return logits;
  }

  /** In place: row b becomes old row indices[b] (beam reordering). */
  reorder(indices: ArrayLike<number>): void {
    let identity = true;
    for (let b = 0; b < indices.length; b++) if (indices[b] !== b) identity = false;
    if (identity) return;
    this.cache.reorderRows(indices);
    const old = this.valid.slice();
    for (let b = 0; b < this.batch; b++) {
      const src = indices[b]!;
      this.valid.set(old.subarray(src * this.cap, src * this.cap + this.length), b * this.cap);
    }
  }

  /**
   * Appends the rows of another session of the same model (new prompts joining a running batch).
   * Each row keeps its own valid columns; the columns one session has and the other lacks are
   * invalid for the rows that lack them. Returns the index of the first appended row.
   */
  append(other: DecodeSession): number {
    if (other.model !== this.model) throw new GlmError('E_INPUT_SHAPE', 'append: the sessions decode different models');
    const first = this.batch;
    const B = first + other.batch, M = Math.max(this.length, other.length);
    const cap = Math.max(M, this.cap, other.cap, 1), valid = new Uint8Array(B * cap);
    for (let b = 0; b < this.batch; b++) valid.set(this.valid.subarray(b * this.cap, b * this.cap + this.length), b * cap);
    for (let b = 0; b < other.batch; b++) valid.set(other.valid.subarray(b * other.cap, b * other.cap + other.length), (first + b) * cap);
    this.allValid = this.allValid && other.allValid && this.length === other.length;
    this.cache = DecodeCache.concatRows(this.cache, other.cache);
    this.valid = valid;
    this.cap = cap;
    return first;
  }

  /**
   * Drops the cached columns no row attends to any more (e.g. those of prompts that left the
   * batch), when they are at least `minFraction` of the cache. Returns the number dropped.
   */
  compact(minFraction = 0.25): number {
    const M = this.length, keep: number[] = [];
    for (let j = 0; j < M; j++) {
      for (let b = 0; b < this.batch; b++) {
        if (this.valid[b * this.cap + j]) {
          keep.push(j);
          break;
        }
      }
    }
    const dropped = M - keep.length;
    if (dropped === 0 || dropped < minFraction * M) return 0;
    this.cache.keepColumns(keep);
    for (let b = 0; b < this.batch; b++) {
      const row = b * this.cap;
      keep.forEach((j, i) => (this.valid[row + i] = this.valid[row + j]!));
      this.valid.fill(0, row + keep.length, row + this.cap);
    }
    return dropped;
  }

  /** Keeps only the given rows, in that order (batch shrinks or grows, e.g. one row → n beams). */
  select(indices: ArrayLike<number>): void {
    const cache = this.cache.selectRows(indices);
    const cap = Math.max(this.cap, 1), next = new Uint8Array(indices.length * cap);
    for (let b = 0; b < indices.length; b++) {
      const src = indices[b]!;
      next.set(this.valid.subarray(src * this.cap, src * this.cap + this.length), b * cap);
    }
    this.cache = cache;
    this.valid = next;
    this.cap = cap;
  }
}
