/**
 * Fuzzing on loopback: a few thousand malformed requests (seeded, bounded in count and time) —
 * mutated JSON, wrong types, stray fields, extreme numbers, odd routes, methods and content
 * types. None may get a 5xx; afterwards the server answers /health and gives a valid request the
 * same answer as before.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Rng } from '../util/rng.js';
import { tinyModelDir, startTestServer, postJson } from '../testing/serve.js';

const COUNT = 2000;
const TIME_LIMIT_MS = 60_000;
const CONCURRENCY = 8;

const dir = tinyModelDir({ maxSeq: 64 });
const srv = await startTestServer(dir, { maxBatch: 16, maxQueue: 64, limits: { maxTokens: 6, bodyBytes: 16 * 1024 } });
test.after(async () => {
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ROUTES = ['/v1/infill', '/v1/score', '/v1/classify', '/v1/completions', '/v1/tokenize'];
const VALID: Record<string, object> = {
  '/v1/infill': { text: 'the [MASK] is here', max_length: 4, strategy: 'greedy', top_logprobs: 2 },
  '/v1/score': { text: 'the [MASK] is here', candidates: ['cat', 'dog'] },
  '/v1/classify': { texts: ['good', 'bad'], pattern: '{text} It was [MASK].', verbalizer: { a: ' bad', b: ' good' } },
  '/v1/completions': { prompt: 'once upon a time', max_tokens: 4, temperature: 0, stop: ['x'] },
  '/v1/tokenize': { text: 'hello world' },
};

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng.uniform() * xs.length)]!;
}

function oddValue(rng: Rng, depth = 0): unknown {
  const k = Math.floor(rng.uniform() * 14);
  switch (k) {
    case 0: return null;
    case 1: return -1;
    case 2: return 1e308;
    case 3: return -0.5;
    case 4: return 2 ** 53 + 1;
    case 5: return '';
    case 6: return 'NaN';
    case 7: return '[MASK]'.repeat(1 + Math.floor(rng.uniform() * 40));
    case 8: return '\ud800\udfff\u0000\u202e' + String.fromCharCode(Math.floor(rng.uniform() * 65536));
    case 9: return depth < 3 ? [oddValue(rng, depth + 1), oddValue(rng, depth + 1)] : [];
    case 10: return depth < 3 ? { [pick(rng, ['text', 'a', '__proto__', 'constructor'])]: oddValue(rng, depth + 1) } : {};
    case 11: return true;
    case 12: return Array.from({ length: Math.floor(rng.uniform() * 50) }, () => Math.floor(rng.uniform() * 70000) - 1000);
    default: return Math.floor(rng.uniform() * 1e6) - 5e5;
  }
}

/** A malformed request: [method, path, content-type, body]. */
function malformed(rng: Rng): [string, string, string, string | undefined] {
  const route = pick(rng, ROUTES);
  const base = { ...(VALID[route] as Record<string, unknown>) };
  const kind = Math.floor(rng.uniform() * 8);
  const json = 'application/json';
  if (kind === 0) {
    // Byte-level damage to a valid body.
    const s = JSON.stringify(base).split('');
    for (let n = 1 + Math.floor(rng.uniform() * 4); n > 0; n--) {
      const at = Math.floor(rng.uniform() * s.length);
      const op = rng.uniform();
      if (op < 0.33) s.splice(at, 1);
      else if (op < 0.66) s.splice(at, 0, pick(rng, ['{', '}', '"', ',', ':', '\\', 'n', '1', '[', ']', '\u0000', 'é']));
      else s.length = at;
    }
    return ['POST', route, json, s.join('')];
  }
  if (kind === 1 || kind === 2) {
    // A field of the schema with an odd value, maybe an unknown field too.
    const keys = [...Object.keys(base), 'stream', 'num_beams', 'temperature', 'top_p', 'max_length', 'ids', 'seed', 'logprobs', 'n', 'stop'];
    base[pick(rng, keys)] = oddValue(rng);
    if (kind === 2) base[pick(rng, ['extra', 'MAX_LENGTH', 'Text', 'prototype'])] = oddValue(rng);
    return ['POST', route, json, JSON.stringify(base)];
  }
  if (kind === 3) return ['POST', route, json, JSON.stringify(oddValue(rng))];
  if (kind === 4) return ['POST', route, pick(rng, ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']), JSON.stringify(base)];
  if (kind === 5) return [pick(rng, ['GET', 'PUT', 'DELETE', 'PATCH', 'POST']), pick(rng, ['/v1', '/v1/infill/x', '/../../etc/passwd', '/%2e%2e/package.json', '/v1/INFILL', '/health?x=1', '/app.js/..', '/metrics']), json, JSON.stringify(base)];
  if (kind === 6) return ['POST', route, json, '['.repeat(5000) + ']'.repeat(5000)];
  return ['POST', route, json, JSON.stringify({ ...base, text: 'word [MASK] '.repeat(1 + Math.floor(rng.uniform() * 400)) })];
}

test(`${COUNT} malformed requests: no 5xx, /health still answers, valid answers unchanged`, async () => {
  const probe = { text: 'the river flows [MASK] the sea and [MASK] .', max_length: 5 };
  const before = await postJson(`${srv.url}/v1/infill`, probe);
  assert.equal(before.status, 200);
  const rng = new Rng(2024);
  const statuses = new Map<number, number>();
  const started = Date.now();
  let sent = 0;
  const worker = async (): Promise<void> => {
    while (sent < COUNT && Date.now() - started < TIME_LIMIT_MS) {
      sent++;
      const [method, path, type, body] = malformed(rng);
      const r = await fetch(`${srv.url}${path}`, { method, headers: { 'content-type': type }, ...(method === 'GET' ? {} : { body }) });
      const text = await r.text();
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      assert.ok(r.status < 500, `${method} ${path} ${String(body).slice(0, 120)} → ${r.status} ${text.slice(0, 200)}`);
      if (r.status >= 400 && path.startsWith('/v1/') && r.status !== 404) {
        const e = JSON.parse(text) as { error: { code: string; message: string } };
        assert.ok(e.error.code && e.error.message, text);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  console.log(`fuzz: ${sent} requests, statuses ${JSON.stringify([...statuses].sort())}`);
  assert.ok(sent >= 1000, `sent ${sent} requests within the time limit`);
  const bad = [...statuses].filter(([s]) => s >= 400).reduce((n, [, c]) => n + c, 0);
  assert.ok(bad > sent * 0.8, `most requests were refused (${JSON.stringify([...statuses])})`);
  const health = await fetch(`${srv.url}/health`);
  assert.equal(health.status, 200);
  const after = await postJson(`${srv.url}/v1/infill`, probe);
  assert.deepEqual(after.json, before.json);
  assert.equal(srv.server.context.scheduler.activeRequests, 0);
});
