/**
 * Shared error type for "bad input gets a clear error" across glm-ts.
 *
 * Every error raised because of bad user input (a corrupt file, a wrong shape,
 * an unknown option, ...) should be a `GlmError` with a stable, machine-readable
 * `code` (upper snake case, prefixed by `E_` and the subsystem, e.g.
 * `E_SAFETENSORS_TRUNCATED`, `E_CONFIG_BAD_VALUE`) and a human-readable message
 * that says what was expected and what was found.
 */

export interface GlmErrorOptions {
  /** The file the error is about, when known. Prefixed to the message. */
  path?: string;
  /** The underlying error (e.g. an fs error), kept as `Error.cause`. */
  cause?: unknown;
  /** Structured facts about the failure (expected vs actual sizes, names, ...). */
  details?: Record<string, unknown>;
}

export class GlmError extends Error {
  /** Stable machine-readable code, e.g. 'E_SAFETENSORS_TRUNCATED'. */
  readonly code: string;
  /** The file the error is about, when known. */
  readonly path: string | undefined;
  /** Structured facts about the failure; never needed to understand the message. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: GlmErrorOptions = {}) {
    const full = options.path !== undefined ? `${options.path}: ${message}` : message;
    super(full, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'GlmError';
    this.code = code;
    this.path = options.path;
    this.details = options.details;
  }
}

/** True when `err` is a GlmError (optionally with the given code). */
export function isGlmError(err: unknown, code?: string): err is GlmError {
  return err instanceof GlmError && (code === undefined || err.code === code);
}
