/**
 * Activation arena: reuse of op output buffers across model passes.
 *
 * Ops allocate outputs that their kernel overwrites completely through `allocOutput(n)`. With no
 * arena active that is a plain `new Float32Array(n)`. Inside `withArena(arena, fn)` the buffer
 * comes from the arena: a buffer of the same length that the previous pass used, else a new
 * one. `reset()` makes every buffer handed out since the last reset available again and drops
 * the ones that went unused, so an arena holds at most one pass worth of buffers.
 *
 * Whoever activates an arena guarantees that nothing reads the previous pass's buffers after
 * reset(): GLMModel does so only once the previous graph has been consumed by backward() (or
 * collected), and never hands arena buffers to the caller (logits and hidden are fresh).
 * What it saves: allocating, zero-filling and page-faulting about one training step's
 * activations (~2 GB for GLM-Base at 4×512) on every step, and the GC churn of freeing them.
 */

import { backend } from '../../backend/index.js';
import { Tensor, opResult } from '../tensor.js';

export class Arena {
  private free = new Map<number, Float32Array[]>();
  private used: Float32Array[] = [];

  /** A buffer of exactly n elements with arbitrary contents. */
  take(n: number): Float32Array {
    const list = this.free.get(n);
    const buf = list && list.length ? list.pop()! : new Float32Array(n);
    this.used.push(buf);
    return buf;
  }

  /** Recycles every buffer handed out since the last reset; drops the unused ones. */
  reset(): void {
    const next = new Map<number, Float32Array[]>();
    for (const b of this.used) {
      const l = next.get(b.length);
      if (l) l.push(b);
      else next.set(b.length, [b]);
    }
    this.free = next;
    this.used = [];
  }

  /** Bytes held (handed out and free). */
  bytes(): number {
    let n = 0;
    for (const b of this.used) n += b.byteLength;
    for (const l of this.free.values()) for (const b of l) n += b.byteLength;
    return n;
  }
}

let active: Arena | null = null;

/**
 * An output buffer of n floats whose every element the caller's kernel will write (it is not
 * zeroed when it comes from the active arena).
 */
export function allocOutput(n: number): Float32Array {
  return active ? active.take(n) : new Float32Array(n);
}

/** Runs fn with `arena` serving allocOutput (null: plain allocation), restoring the previous one. */
export function withArena<T>(arena: Arena | null, fn: () => T): T {
  const prev = active;
  active = arena;
  try {
    return fn();
  } finally {
    active = prev;
  }
}

/**
 * Identity op that calls `onBackward` when backward() passes through it: the signal that the
 * graph recorded before this point has been consumed (backward clears every node it visits, so
 * no later backward can reach the buffers behind it). The output shares x's data.
 */
export function backwardSentinel(x: Tensor, onBackward: () => void): Tensor {
  return opResult(x.f32, x.shape, 'sentinel', [x], (g) => {
    onBackward();
    backend().axpy(1, g, x.grad!);
  });
}
