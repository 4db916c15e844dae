/**
 * Counts the work a run actually executes, by wrapping the backend: floating-point operations
 * of every product (gemm 2·m·n·k per batch item, the quantized linear 2·rows·in·out, attention
 * 4·S·K·D per (batch, head) forward and 8·S·K·D backward, +2·S·K·D when it recomputes the
 * probabilities) and the bytes of the matrix operand of every matrix-vector product, quantized
 * weight and K/V cache read (the memory traffic that bounds decoding).
 *
 * Attention is counted as dense S×K; the kernel skips key blocks that a causal mask hides, so
 * for attention the count is an upper bound (GEMM counts are exact).
 */
import type { Backend, GemmArgs } from '../backend/backend.js';
import { QUANT_INT8 } from '../backend/backend.js';

export interface WorkCounts {
  flop: number;
  gemmFlop: number;
  attentionFlop: number;
  /** Bytes of weights (matrix-vector operands, quantized weights) and K/V read. */
  streamedBytes: number;
}

/** Accumulates counts only between start() and stop() (the timed regions of a case). */
export class WorkMeter {
  active = false;
  readonly counts: WorkCounts = { flop: 0, gemmFlop: 0, attentionFlop: 0, streamedBytes: 0 };
  start(): void {
    this.active = true;
  }
  stop(): void {
    this.active = false;
  }
}

export function countingBackend(inner: Backend, meter: WorkMeter): Backend {
  const counts = { flop: 0, gemmFlop: 0, attentionFlop: 0, streamedBytes: 0 };
  const add = (): void => {
    if (meter.active) for (const k of Object.keys(counts) as (keyof WorkCounts)[]) meter.counts[k] += counts[k];
    counts.flop = counts.gemmFlop = counts.attentionFlop = counts.streamedBytes = 0;
  };
  const backend: Backend = {
    ...inner,
    gemm: (g: GemmArgs) => {
      inner.gemm(g);
      const f = 2 * g.m * g.n * g.k * g.batch;
      counts.flop += f;
      counts.gemmFlop += f;
      // A matrix-vector product streams its matrix: m = 1 reads op(B) (k×n), n = 1 reads op(A).
      if (g.m === 1) counts.streamedBytes += 4 * g.k * g.n * g.batch;
      else if (g.n === 1) counts.streamedBytes += 4 * g.m * g.k * g.batch;
      add();
    },
    linearQuant: (x, rows, inF, outF, format, wq, scales, bias, out) => {
      inner.linearQuant(x, rows, inF, outF, format, wq, scales, bias, out);
      const f = 2 * rows * inF * outF;
      counts.flop += f;
      counts.gemmFlop += f;
      counts.streamedBytes += inF * outF * (format === QUANT_INT8 ? 1 : 2);
      add();
    },
    attention: (t) => {
      inner.attention(t);
      const f = 4 * t.batch * t.heads * t.sq * t.sk * t.headDim;
      counts.flop += f;
      counts.attentionFlop += f;
      counts.streamedBytes += 2 * 4 * t.batch * t.heads * t.sk * t.headDim;
      add();
    },
    attentionBackward: (t) => {
      inner.attentionBackward(t);
      const f = (t.probs ? 8 : 10) * t.batch * t.heads * t.sq * t.sk * t.headDim;
      counts.flop += f;
      counts.attentionFlop += f;
      add();
    },
  };
  return backend;
}
