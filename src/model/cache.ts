/**
 * DecodeCache: what incremental decoding keeps between calls (spec §2.4).
 *
 * 'kv'   — per layer, the K and V rows of every position seen so far: [B, cap, H] each.
 * 'mems' — GLM's original scheme: per layer input l ∈ [0, L], the un-normalised hidden states
 *          [B, cap, H] (mems[0] = embeddings, mems[l] = output of layer l−1); K/V are recomputed
 *          from them each call. Both give the same numbers up to float reassociation.
 * With keepHidden, a 'kv' cache also records the mems, so callers can inspect them.
 * Capacity grows by doubling; `length` is M, the number of cached positions.
 */
import type { GLMConfig } from './config.js';

export class DecodeCache {
  readonly kind: 'kv' | 'mems';
  readonly batch: number;
  readonly keepHidden: boolean;
  length = 0;
  private cap = 0;
  private readonly hidden: number;
  private readonly layers: number;
  private k: Float32Array[] = [];
  private v: Float32Array[] = [];
  private mems: Float32Array[] = [];

  constructor(cfg: GLMConfig, batch: number, kind: 'kv' | 'mems', keepHidden: boolean) {
    this.kind = kind;
    this.batch = batch;
    this.keepHidden = keepHidden;
    this.hidden = cfg.hidden_size;
    this.layers = cfg.num_layers;
  }

  /** Makes room for `total` positions. */
  reserve(total: number): void {
    if (total <= this.cap) return;
    const cap = Math.max(total, this.cap * 2, 16);
    const grow = (old: Float32Array | undefined): Float32Array => {
      const a = new Float32Array(this.batch * cap * this.hidden);
      if (old) for (let b = 0; b < this.batch; b++) a.set(old.subarray(b * this.cap * this.hidden, (b * this.cap + this.length) * this.hidden), b * cap * this.hidden);
      return a;
    };
    if (this.kind === 'kv') {
      for (let l = 0; l < this.layers; l++) {
        this.k[l] = grow(this.k[l]);
        this.v[l] = grow(this.v[l]);
      }
    }
    if (this.kind === 'mems' || this.keepHidden) for (let l = 0; l <= this.layers; l++) this.mems[l] = grow(this.mems[l]);
    this.cap = cap;
  }

  /** Stores K and V of S new rows from a fused qkv [B, S, 3H] at positions [length, length + S). */
  appendKV(layer: number, qkv: Float32Array, S: number): void {
    const H = this.hidden, k = this.k[layer]!, v = this.v[layer]!;
    for (let b = 0; b < this.batch; b++) {
      for (let s = 0; s < S; s++) {
        const src = (b * S + s) * 3 * H, dst = (b * this.cap + this.length + s) * H;
        k.set(qkv.subarray(src + H, src + 2 * H), dst);
        v.set(qkv.subarray(src + 2 * H, src + 3 * H), dst);
      }
    }
  }

  /** K rows of batch item b (row stride H, length + new rows valid). */
  keys(layer: number, b: number): Float32Array {
    return this.k[layer]!.subarray(b * this.cap * this.hidden, (b + 1) * this.cap * this.hidden);
  }

  values(layer: number, b: number): Float32Array {
    return this.v[layer]!.subarray(b * this.cap * this.hidden, (b + 1) * this.cap * this.hidden);
  }

  /** Records S new hidden rows [B, S, H] for layer input `l` at [length, length + S). */
  appendHidden(l: number, x: Float32Array, S: number): void {
    const H = this.hidden, m = this.mems[l]!;
    for (let b = 0; b < this.batch; b++) m.set(x.subarray(b * S * H, (b + 1) * S * H), (b * this.cap + this.length) * H);
  }

  /** [memory ; new] hidden rows of layer input l as one [B, M + S, H] array (a copy). */
  hiddenWithNew(l: number, x: Float32Array, S: number): Float32Array {
    const H = this.hidden, M = this.length, T = M + S, m = this.mems[l]!;
    const out = new Float32Array(this.batch * T * H);
    for (let b = 0; b < this.batch; b++) {
      out.set(m.subarray(b * this.cap * H, (b * this.cap + M) * H), b * T * H);
      out.set(x.subarray(b * S * H, (b + 1) * S * H), (b * T + M) * H);
    }
    return out;
  }

  /** The mems of layer input l: [B, length, H] (a copy), available for 'mems' or keepHidden. */
  memory(l: number): Float32Array {
    const m = this.mems[l];
    if (!m) throw new Error('this cache keeps no hidden states (create it with kind "mems" or keepHidden)');
    const H = this.hidden, out = new Float32Array(this.batch * this.length * H);
    for (let b = 0; b < this.batch; b++) out.set(m.subarray(b * this.cap * H, (b * this.cap + this.length) * H), b * this.length * H);
    return out;
  }

  advance(S: number): void {
    this.length += S;
  }

  /**
   * In place: row b takes the cached rows of old row indices[b] (beam reordering, HF
   * `_reorder_cache`). Only rows that change are copied.
   */
  reorderRows(indices: ArrayLike<number>): void {
    if (indices.length !== this.batch) throw new Error(`reorderRows: ${indices.length} indices for a batch of ${this.batch}`);
    for (let b = 0; b < this.batch; b++) {
      const src = indices[b]!;
      if (!(Number.isInteger(src) && src >= 0 && src < this.batch)) throw new Error(`reorderRows: index ${src} is outside the batch [0, ${this.batch})`);
    }
    const row = this.cap * this.hidden, used = this.length * this.hidden;
    for (const buf of [...this.k, ...this.v, ...this.mems]) {
      if (!buf) continue;
      // Copy the source rows out first: a row may be both a source and a destination.
      const saved = new Map<number, Float32Array>();
      for (let b = 0; b < this.batch; b++) {
        const src = indices[b]!;
        if (src !== b && !saved.has(src)) saved.set(src, buf.slice(src * row, src * row + used));
      }
      for (let b = 0; b < this.batch; b++) {
        const src = indices[b]!;
        if (src !== b) buf.set(saved.get(src)!, b * row);
      }
    }
  }

  /** A new cache whose row b is a copy of row indices[b] of this one (batch = indices.length). */
  selectRows(indices: ArrayLike<number>): DecodeCache {
    const out = new DecodeCache({ hidden_size: this.hidden, num_layers: this.layers } as GLMConfig, indices.length, this.kind, this.keepHidden);
    out.reserve(Math.max(this.length, 1));
    const H = this.hidden, used = this.length * H;
    const copy = (from: Float32Array[], to: Float32Array[]): void => {
      from.forEach((buf, l) => {
        for (let b = 0; b < indices.length; b++) {
          const src = indices[b]!;
          if (!(Number.isInteger(src) && src >= 0 && src < this.batch)) throw new Error(`selectRows: index ${src} is outside the batch [0, ${this.batch})`);
          to[l]!.set(buf.subarray(src * this.cap * H, src * this.cap * H + used), b * out.cap * H);
        }
      });
    };
    copy(this.k, out.k);
    copy(this.v, out.v);
    copy(this.mems, out.mems);
    out.length = this.length;
    return out;
  }

  /**
   * A new cache holding the rows of `a` then the rows of `b` (batch = a.batch + b.batch), with
   * length max(a.length, b.length). A row's columns beyond its own cache's length are zeros; the
   * caller marks them invalid (DecodeSession.append). Used to admit new prompts into a running batch.
   */
  static concatRows(a: DecodeCache, b: DecodeCache): DecodeCache {
    if (a.kind !== b.kind || a.keepHidden !== b.keepHidden || a.hidden !== b.hidden || a.layers !== b.layers) {
      throw new Error('concatRows: the caches differ in kind or model shape');
    }
    const out = new DecodeCache({ hidden_size: a.hidden, num_layers: a.layers } as GLMConfig, a.batch + b.batch, a.kind, a.keepHidden);
    out.reserve(Math.max(a.length, b.length, 1));
    const H = a.hidden;
    const copy = (src: DecodeCache, from: Float32Array[], to: Float32Array[], first: number): void => {
      from.forEach((buf, l) => {
        for (let r = 0; r < src.batch; r++) {
          to[l]!.set(buf.subarray(r * src.cap * H, (r * src.cap + src.length) * H), (first + r) * out.cap * H);
        }
      });
    };
    for (const [src, first] of [[a, 0], [b, a.batch]] as const) {
      copy(src, src.k, out.k, first);
      copy(src, src.v, out.v, first);
      copy(src, src.mems, out.mems, first);
    }
    out.length = Math.max(a.length, b.length);
    return out;
  }

  /** In place: keeps only the cached columns `cols` (increasing), in that order; length becomes cols.length. */
  keepColumns(cols: ArrayLike<number>): void {
    for (let i = 0; i < cols.length; i++) {
      const c = cols[i]!;
      if (!(Number.isInteger(c) && c >= i && c < this.length && (i === 0 || c > cols[i - 1]!))) throw new Error(`keepColumns: column list must increase within [0, ${this.length})`);
    }
    const H = this.hidden;
    for (const buf of [...this.k, ...this.v, ...this.mems]) {
      if (!buf) continue;
      for (let b = 0; b < this.batch; b++) {
        const base = b * this.cap * H;
        // Columns only move left (cols[i] >= i), so copying in increasing order is safe.
        for (let i = 0; i < cols.length; i++) if (cols[i] !== i) buf.copyWithin(base + i * H, base + cols[i]! * H, base + (cols[i]! + 1) * H);
      }
    }
    this.length = cols.length;
  }

  /** Bytes held by the cache buffers. */
  bytes(): number {
    return [...this.k, ...this.v, ...this.mems].reduce((n, a) => n + a.byteLength, 0);
  }
}
