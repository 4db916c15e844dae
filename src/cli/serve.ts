/** `glm serve`: the HTTP model server (src/serve): batching, streaming, playground at /. */
import { resolveModel } from '../hub/resolve.js';
import type { Command } from 'commander';
import { runServer } from '../serve/run.js';
import { num } from './flags.js';

interface Flags {
  model?: string;
  tokenizer?: string;
  host: string;
  port: number;
  maxBatch: number;
  maxQueue: number;
  maxTokens?: number;
  timeoutMs: number;
  graceMs: number;
  log?: boolean;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve a model over HTTP: /v1/infill, /v1/score, /v1/classify, /v1/completions, /v1/tokenize, /health, /metrics, playground at /')
    .option('--model <dir>', 'model folder, or a Hub name OWNER/NAME[@REVISION] (default: the shipped English GLM, models/glm-en-small)')
    .option('--tokenizer <name|dir>', "tokenizer (default: the model folder's)")
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', num('--port', { int: true, min: 0, max: 65535 }), 8080)
    .option('--max-batch <n>', 'session rows decoded together (1 = no batching)', num('--max-batch', { int: true, min: 1 }), 32)
    .option('--max-queue <n>', 'waiting requests before 503', num('--max-queue', { int: true, min: 0 }), 64)
    .option('--max-tokens <n>', 'most tokens per blank / completion', num('--max-tokens', { int: true, min: 1 }))
    .option('--timeout-ms <n>', 'time limit of one request', num('--timeout-ms', { int: true, min: 1 }), 60_000)
    .option('--grace-ms <n>', 'on SIGTERM, how long in-flight requests may run before they are cancelled', num('--grace-ms', { int: true, min: 0 }), 10_000)
    .option('--log', 'log every request (fastify logger)')
    .action(async (f: Flags) => {
      await runServer({
        ...(f.model !== undefined ? { model: await resolveModel(f.model) } : {}),
        ...(f.tokenizer !== undefined ? { tokenizer: f.tokenizer } : {}),
        host: f.host, port: f.port, graceMs: f.graceMs, maxBatch: f.maxBatch, maxQueue: f.maxQueue, logger: f.log ?? false,
        limits: { timeoutMs: f.timeoutMs, ...(f.maxTokens !== undefined ? { maxTokens: f.maxTokens } : {}) },
      }, (line) => process.stderr.write(line + '\n'));
    });
}
