/**
 * Backend selection. The native backend is the default; when its addon cannot load, the
 * reference backend is used and one warning line says why (never silently).
 * GLM_BACKEND=reference|native forces a choice (native then fails loudly if unavailable).
 */
import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';
import { loadNativeBackend } from './native/index.js';

export type BackendName = 'native' | 'reference';

let current: Backend | null = null;
let nativeCache: Backend | null | undefined;
let nativeError = '';


/** Loads the native backend, or returns null with the reason kept for nativeUnavailableReason(). */
export function tryNative(): Backend | null {
  if (nativeCache !== undefined) return nativeCache;
  try {
    nativeCache = loadNativeBackend();
  } catch (e) {
    nativeError = e instanceof Error ? e.message : String(e);
    nativeCache = null;
  }
  return nativeCache ?? null;
}

export function nativeUnavailableReason(): string {
  return nativeError;
}

export function getBackendByName(name: BackendName): Backend {
  if (name === 'reference') return referenceBackend;
  const nb = tryNative();
  if (!nb) throw new Error(`native backend requested but unavailable: ${nativeError}`);
  return nb;
}

/** The backend all tensor ops use. */
export function backend(): Backend {
  if (current) return current;
  const forced = process.env['GLM_BACKEND'];
  if (forced === 'native' || forced === 'reference') {
    current = getBackendByName(forced);
    return current;
  }
  const nb = tryNative();
  if (nb) current = nb;
  else {
    process.stderr.write(`glm-ts: native backend unavailable (${nativeError.split('\n')[0]}); using the slow reference backend\n`);
    current = referenceBackend;
  }
  return current;
}

export function setBackend(b: Backend | BackendName): void {
  current = typeof b === 'string' ? getBackendByName(b) : b;
}

/** Runs fn with backend b, restoring the previous one afterwards. */
export function withBackend<T>(b: Backend | BackendName, fn: () => T): T {
  const prev = current;
  setBackend(b);
  try {
    return fn();
  } finally {
    current = prev;
  }
}

export { referenceBackend };
export type { Backend };
