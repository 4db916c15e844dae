/**
 * The backend table: every compute backend glm-ts knows, in order of preference (the default is
 * the first one that loads). The CLI's --backend choices, GLM_BACKEND, the benchmark's --backend
 * and the tests' backend list all read it, so a new backend is its folder plus one line here.
 */
import type { Backend } from './backend.js';
import { referenceBackend } from './reference/index.js';
import { loadNativeBackend } from './native/index.js';

export interface BackendEntry {
  readonly name: string;
  /** One line for --help and docs. */
  readonly description: string;
  /** Loads (or returns) the backend; throws with the reason when it cannot run here. */
  readonly load: () => Backend;
}

export const BACKENDS = [
  { name: 'native', description: 'C++/OpenMP addon with OpenBLAS (default)', load: loadNativeBackend },
  { name: 'reference', description: 'pure TypeScript, the correctness reference (slow)', load: () => referenceBackend },
] as const satisfies readonly BackendEntry[];

export type BackendName = (typeof BACKENDS)[number]['name'];

/** The names in the table, in order of preference. */
export const backendNames = (): BackendName[] => BACKENDS.map((b) => b.name);

export function isBackendName(name: string): name is BackendName {
  return BACKENDS.some((b) => b.name === name);
}
