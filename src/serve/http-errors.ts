/**
 * Errors as HTTP: every failure is `{"error": {"code", "message", "type"}}` (the completions API's
 * error shape), with a status that says whose fault it was.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GlmError } from '../util/errors.js';

/** Codes that are the server's state, not the request's. */
const STATUS: Record<string, number> = {
  E_OVERLOADED: 503,
  E_SHUTTING_DOWN: 503,
  E_TIMEOUT: 504,
  E_CANCELLED: 499,
  E_INTERNAL: 500,
};

/** Seconds a refused client should wait (Retry-After). */
export const RETRY_AFTER_S = 1;

export interface ErrorBody {
  error: { code: string; message: string; type: string };
}

export function errorBody(code: string, message: string, status: number): ErrorBody {
  return { error: { code, message, type: status >= 500 ? 'server_error' : 'invalid_request_error' } };
}

/** Status and body for any thrown value. GlmErrors are the request's fault unless listed above. */
export function describeError(e: unknown): { status: number; body: ErrorBody } {
  if (e instanceof GlmError) {
    const status = STATUS[e.code] ?? 400;
    return { status, body: errorBody(e.code, e.message, status) };
  }
  const fe = e as FastifyError;
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    // Validation (Ajv), bad JSON, body too large, unsupported media type: fastify's own 4xx.
    const code = fe.validation ? 'E_REQUEST_INVALID' : fe.code ?? 'E_REQUEST';
    return { status: fe.statusCode, body: errorBody(code, fe.message, fe.statusCode) };
  }
  return { status: 500, body: errorBody('E_INTERNAL', 'internal error', 500) };
}

export function errorHandler(e: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  const { status, body } = describeError(e);
  if (status === 500) req.log.error(e);
  if (status === 503) reply.header('retry-after', String(RETRY_AFTER_S));
  void reply.status(status).send(body);
}
