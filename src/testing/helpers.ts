/**
 * Shared test helpers: where the golden data lives, the backends to test, and comparisons.
 * (Compiled with the library but only imported by *.test.ts files.)
 */
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import type { Backend } from '../backend/backend.js';
import { GlmError } from '../util/errors.js';
import { backendNames, referenceBackend, tryBackend, unavailableReason } from '../backend/index.js';

export { repoRoot } from '../util/repo-root.js';
import { repoRoot } from '../util/repo-root.js';

/** ../shared/golden relative to the repository root (as in CI). */
export function goldenDir(...parts: string[]): string {
  const dir = process.env['GLM_GOLDEN_DIR'] ?? path.join(repoRoot(), '..', 'shared', 'golden');
  if (!fs.existsSync(dir)) throw new Error(`golden data not found at ${dir} (set GLM_GOLDEN_DIR)`);
  return path.join(dir, ...parts);
}

/**
 * Backends under test: reference first, then every other backend of the table (backend/registry.ts)
 * unless GLM_SKIP_NATIVE_TESTS=1. A backend that does not load is an error, not a skip, so a broken
 * build cannot pass CI unnoticed.
 */
export function testBackends(): Backend[] {
  if (process.env['GLM_SKIP_NATIVE_TESTS'] === '1') return [referenceBackend];
  const out: Backend[] = [referenceBackend];
  for (const name of backendNames()) {
    if (name === 'reference') continue;
    const b = tryBackend(name);
    if (!b) throw new Error(`${name} backend unavailable: ${unavailableReason(name)} (set GLM_SKIP_NATIVE_TESTS=1 to test the reference backend only)`);
    out.push(b);
  }
  return out;
}

export { maxAbs, maxAbsDiff } from '../util/compare.js';

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

/** Asserts that fn throws a GlmError with this code (and a message matching pattern). */
export function expectGlmError(fn: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof GlmError, `expected GlmError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}
