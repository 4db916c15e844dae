/**
 * Backend selection over the table in ./registry.ts. The first backend of the table that loads is
 * the default; when a preferred one cannot load, the next is used and one warning line says why
 * (never silently). GLM_BACKEND=<name> forces a choice (which then fails loudly if unavailable).
 */
import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';
import { GlmError } from '../util/errors.js';
import { BACKENDS, backendNames, isBackendName, type BackendName } from './registry.js';

export { BACKENDS, backendNames, isBackendName, type BackendName, type BackendEntry } from './registry.js';

let current: Backend | null = null;
/** name → the loaded backend, or the reason it could not load. */
const loaded = new Map<BackendName, Backend | string>();

/** Loads the named backend once; null (with the reason kept for unavailableReason) if it cannot. */
export function tryBackend(name: BackendName): Backend | null {
  let r = loaded.get(name);
  if (r === undefined) {
    const entry = BACKENDS.find((b) => b.name === name)!;
    try {
      r = entry.load();
    } catch (e) {
      r = e instanceof Error ? e.message : String(e);
    }
    loaded.set(name, r);
  }
  return typeof r === 'string' ? null : r;
}

/** Why the named backend did not load ('' if it did or was never tried). */
export function unavailableReason(name: BackendName): string {
  const r = loaded.get(name);
  return typeof r === 'string' ? r : '';
}

/** Loads the native backend, or returns null with the reason kept for nativeUnavailableReason(). */
export const tryNative = (): Backend | null => tryBackend('native');
export const nativeUnavailableReason = (): string => unavailableReason('native');

export function getBackendByName(name: string): Backend {
  if (!isBackendName(name)) throw new GlmError('E_BACKEND', `unknown backend '${name}' (known: ${backendNames().join(', ')})`);
  const b = tryBackend(name);
  if (!b) throw new Error(`${name} backend requested but unavailable: ${unavailableReason(name)}`);
  return b;
}

/** The backend all tensor ops use. */
export function backend(): Backend {
  if (current) return current;
  const forced = process.env['GLM_BACKEND'];
  if (forced !== undefined && isBackendName(forced)) {
    current = getBackendByName(forced);
    return current;
  }
  const failed: BackendName[] = [];
  for (const { name } of BACKENDS) {
    const b = tryBackend(name);
    if (!b) {
      failed.push(name);
      continue;
    }
    for (const f of failed) process.stderr.write(`glm-ts: ${f} backend unavailable (${unavailableReason(f).split('\n')[0]}); using the ${name} backend\n`);
    return (current = b);
  }
  throw new GlmError('E_BACKEND', `no backend could load (${backendNames().map((n) => `${n}: ${unavailableReason(n)}`).join('; ')})`);
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
