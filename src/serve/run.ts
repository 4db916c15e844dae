/**
 * Starting and stopping a server process: load the model once, listen, and on SIGTERM / SIGINT
 * stop accepting, finish (or after the grace period cancel) in-flight work and exit 0.
 */
import { openServedModel } from './model-host.js';
import { defaultModelDir } from '../io/default-model.js';
import { createServer, type GlmServer, type ServerOptions } from './server.js';
import { repoRoot } from '../util/repo-root.js';

export interface RunServerOptions extends ServerOptions {
  model?: string;
  tokenizer?: string;
  host: string;
  port: number;
  graceMs: number;
}

/** Listens; returns the server and the address it listens on. */
export async function startServer(o: RunServerOptions): Promise<{ server: GlmServer; url: string }> {
  const served = openServedModel(o.model ?? defaultModelDir(), o.tokenizer);
  const server = createServer(served, o);
  const url = await server.app.listen({ host: o.host, port: o.port });
  return { server, url };
}

/** `glm serve`: runs until SIGTERM / SIGINT, then shuts down gracefully and exits 0. */
export async function runServer(o: RunServerOptions, log: (line: string) => void): Promise<void> {
  const { server, url } = await startServer(o);
  const { served } = server.context;
  log(`glm serve: model ${served.name} (${served.dir}), listening on ${url}`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(`glm serve: ${signal}: finishing in-flight requests (up to ${o.graceMs} ms)`);
    server.shutdown(o.graceMs).then(
      () => {
        log('glm serve: stopped');
        process.exit(0);
      },
      (e: unknown) => {
        log(`glm serve: shutdown failed: ${(e as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
