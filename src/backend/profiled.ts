/**
 * A Backend wrapper that times every kernel call, for profiles ("where does a train step go?").
 * Wrap with profiled(backend()), install it with setBackend, run, then read report().
 */
import type { Backend } from './backend.js';

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
}

export interface ProfiledBackend extends Backend {
  report(): KernelTime[];
  reset(): void;
}

export function profiled(inner: Backend): ProfiledBackend {
  const times = new Map<string, KernelTime>();
  const wrapped: Record<string, unknown> = { name: inner.name };
  for (const key of Object.keys(inner) as (keyof Backend)[]) {
    const fn = inner[key];
    if (typeof fn !== 'function') continue;
    wrapped[key] = (...args: unknown[]): unknown => {
      const t0 = performance.now();
      const r = (fn as (...a: unknown[]) => unknown).apply(inner, args);
      const dt = performance.now() - t0;
      const k = key as string;
      const e = times.get(k) ?? { kernel: k, calls: 0, ms: 0 };
      e.calls++;
      e.ms += dt;
      times.set(k, e);
      return r;
    };
  }
  const pb = wrapped as unknown as ProfiledBackend;
  pb.report = () => [...times.values()].sort((a, b) => b.ms - a.ms);
  pb.reset = () => times.clear();
  return pb;
}
