/**
 * Test helpers for the server (compiled with the library, imported only by tests and the load
 * test): a tiny random GLM folder with a real tokenizer, a server on a free loopback port, and
 * small HTTP helpers.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveModel } from '../io/checkpoint.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { saveTokenizer } from '../tokenizer/save.js';
import { tinyModel } from './test-model.js';
import { openServedModel } from '../serve/model-host.js';
import { createServer, type GlmServer, type ServerOptions } from '../serve/server.js';

/** Writes a tiny random GLM (BERT vocabulary of glm-large, by default 2 layers, hidden 32) into a new temp folder. */
export function tinyModelDir(opts: { maxSeq?: number; seed?: number; hidden?: number; layers?: number; heads?: number } = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-serve-'));
  const tok = loadTokenizer('glm-large');
  saveModel(tinyModel({ vocab: tok.paddedVocabSize, hidden: opts.hidden ?? 32, layers: opts.layers ?? 2, heads: opts.heads ?? 4, maxSeq: opts.maxSeq ?? 128, seed: opts.seed ?? 4 }), dir);
  saveTokenizer(tok, dir);
  return dir;
}

export interface TestServer {
  server: GlmServer;
  url: string;
  close(): Promise<void>;
}

export async function startTestServer(dir: string, opts: ServerOptions = {}): Promise<TestServer> {
  const server = createServer(openServedModel(dir), opts);
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return { server, url, close: () => server.shutdown(1000) };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await r.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, headers: r.headers, json };
}

/** The JSON `data:` messages of a server-sent-events body (without the final [DONE]), and whether [DONE] came. */
export function parseSse(text: string): { messages: any[]; done: boolean } {
  const messages: unknown[] = [];
  let done = false;
  for (const block of text.split('\n\n')) {
    const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    if (data === '[DONE]') done = true;
    else if (data) messages.push(JSON.parse(data));
  }
  return { messages, done };
}
