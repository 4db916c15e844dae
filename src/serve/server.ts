/**
 * The HTTP server of `glm serve` (fastify): the routes, validation by JSON schema, errors as
 * JSON, /health, /metrics, /openapi.json and the playground.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { ServeContext } from './context.js';
import { errorHandler, errorBody, RETRY_AFTER_S } from './http-errors.js';
import { defaultLimits, type ServeLimits } from './limits.js';
import { ServeMetrics } from './metrics.js';
import type { ServedModel } from './model-host.js';
import { Scheduler } from './scheduler.js';
import { openApi } from './schemas.js';
import { registerStatic } from './static.js';
import { registerClassify } from './routes/classify.js';
import { registerCompletions } from './routes/completions.js';
import { registerInfill } from './routes/infill.js';
import { registerScore } from './routes/score.js';
import { registerTokenize } from './routes/tokenize.js';

export interface ServerOptions {
  /** Session rows decoded together; 1 turns batching off. Default 32. */
  maxBatch?: number;
  /** Waiting requests before 503. Default 64. */
  maxQueue?: number;
  limits?: Partial<ServeLimits>;
  /** fastify's logger (default off). */
  logger?: boolean;
}

export interface GlmServer {
  app: FastifyInstance;
  context: ServeContext;
  /** Stops accepting, lets running requests finish for up to graceMs, cancels the rest, closes. */
  shutdown(graceMs?: number): Promise<void>;
}

export function createServer(served: ServedModel, opts: ServerOptions = {}): GlmServer {
  const limits = defaultLimits(served.model.config, opts.limits);
  let scheduler: Scheduler | null = null;
  const metrics = new ServeMetrics(() => scheduler);
  scheduler = new Scheduler(served.model, served.tokens, { maxBatch: opts.maxBatch ?? 32, maxQueue: opts.maxQueue ?? 64 }, { step: (rows, tokens) => metrics.step(rows, tokens) });
  const context: ServeContext = { served, scheduler, limits, metrics };
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyBytes,
    // Unknown fields are errors (not silently dropped), and types are never coerced.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => void reply.status(404).send(errorBody('E_NOT_FOUND', `no route ${req.method} ${req.url}`, 404)));
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    if (route.startsWith('/v1/')) metrics.request(route, reply.statusCode, reply.elapsedTime / 1000);
  });
  app.addHook('onError', async (_req, _reply, e) => {
    const code = (e as { code?: string }).code;
    if (code === 'E_OVERLOADED' || code === 'E_SHUTTING_DOWN') metrics.reject(code === 'E_OVERLOADED' ? 'overloaded' : 'shutting_down');
  });
  let draining = false;
  app.get('/health', async (_req, reply) => {
    const body = { status: draining ? 'shutting_down' : 'ok', model: served.name, queue_depth: scheduler!.queueDepth, active_requests: scheduler!.activeRequests, batch_rows: scheduler!.batchRows };
    if (draining) void reply.status(503).header('retry-after', String(RETRY_AFTER_S));
    return body;
  });
  // What completions clients list before choosing a model: the one model served.
  app.get('/v1/models', async () => ({ object: 'list', data: [{ id: served.name, object: 'model', created: 0, owned_by: 'glm-ts' }] }));
  app.get('/metrics', async (_req, reply) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await metrics.text()));
  const doc = openApi(limits, served.name);
  app.get('/openapi.json', async () => doc);
  registerStatic(app);
  registerInfill(app, context);
  registerScore(app, context);
  registerClassify(app, context);
  registerCompletions(app, context);
  registerTokenize(app, context);
  return {
    app,
    context,
    async shutdown(graceMs = 10_000) {
      draining = true;
      const closing = app.close();
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
      await Promise.race([scheduler!.close(false), late]);
      clearTimeout(timer);
      await scheduler!.close(true);
      // Every answer is out now; keep-alive sockets (fastify keeps them 72 s) must not hold the exit.
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 500))]);
      app.server.closeAllConnections();
      await closing;
    },
  };
}
