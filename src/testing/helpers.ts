/**
 * Shared test helpers: where the golden data lives, the backends to test, and comparisons.
 * (Compiled with the library but only imported by *.test.ts files.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend/backend.js';
import { referenceBackend, tryNative, nativeUnavailableReason } from '../backend/index.js';

/** The repository root: the nearest ancestor of this file holding package.json. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

/** ../shared/golden relative to the repository root (as in CI). */
export function goldenDir(...parts: string[]): string {
  const dir = process.env['GLM_GOLDEN_DIR'] ?? path.join(repoRoot(), '..', 'shared', 'golden');
  if (!fs.existsSync(dir)) throw new Error(`golden data not found at ${dir} (set GLM_GOLDEN_DIR)`);
  return path.join(dir, ...parts);
}

/**
 * Backends under test: reference always; native unless GLM_SKIP_NATIVE_TESTS=1. A missing native
 * backend is an error, not a skip, so a broken build cannot pass CI unnoticed.
 */
export function testBackends(): Backend[] {
  if (process.env['GLM_SKIP_NATIVE_TESTS'] === '1') return [referenceBackend];
  const nb = tryNative();
  if (!nb) throw new Error(`native backend unavailable: ${nativeUnavailableReason()} (set GLM_SKIP_NATIVE_TESTS=1 to test the reference backend only)`);
  return [referenceBackend, nb];
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

export function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

/** Deterministic uniform [-1, 1) floats. */
export function randomArray(n: number, seed: number, scaleBy = 1): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = ((s / 4294967296) * 2 - 1) * scaleBy;
  }
  return out;
}
