/**
 * Bad input never hurts the server: each malformed request is a 4xx with a clear message; a full
 * queue is a 503 with Retry-After; a request past its time limit is a 504; a client that goes
 * away has its rows removed from the batch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { tinyModelDir, startTestServer, postJson } from '../testing/serve.js';

const dir = tinyModelDir({ maxSeq: 64 });
const srv = await startTestServer(dir, { maxBatch: 8, maxQueue: 4, limits: { bodyBytes: 4096, maxBlanks: 3, maxTokens: 40, maxScoreTokens: 100 } });
const { url } = srv;
test.after(async () => {
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('malformed requests get a 4xx naming the problem', async () => {
  const cases: [string, string | object, number, RegExp][] = [
    ['/v1/infill', '{"text": "a [MASK]"', 400, /not valid JSON/],
    ['/v1/infill', { text: 'a [MASK]', colour: 'red' }, 400, /must NOT have additional properties/],
    ['/v1/infill', { text: 'x'.repeat(5000) }, 413, /too large/i],
    ['/v1/infill', { text: 'a [MASK] b [MASK] c [MASK] d [MASK]' }, 400, /4 blanks; this server fills at most 3/],
    ['/v1/infill', { text: 'word '.repeat(100) + '[MASK]' }, 400, /max_sequence_length 64/],
    ['/v1/infill', { ids: [101, 31000, 103, 102] }, 400, /token id 31000 .* outside the vocabulary/],
    ['/v1/infill', { ids: [101, -1, 103] }, 400, /outside the vocabulary/],
    ['/v1/infill', { ids: [101, 2000, 102] }, 400, /no \[MASK\]/],
    ['/v1/infill', { ids: [101, 1.5, 103] }, 400, /must be integer/],
    ['/v1/infill', { text: 'a [MASK]', temperature: 'NaN' }, 400, /temperature must be number/],
    ['/v1/infill', '{"text": "a [MASK]", "temperature": NaN}', 400, /not valid JSON/],
    ['/v1/infill', { text: 'a [MASK]', temperature: -1 }, 400, /temperature must be > 0/],
    ['/v1/infill', { text: 'a [MASK]', max_length: -3 }, 400, /max_length must be >= 1/],
    ['/v1/infill', { text: 'a [MASK]', max_length: 41 }, 400, /max_length must be <= 40/],
    ['/v1/infill', { text: 'a [MASK]', top_p: 1.5 }, 400, /top_p must be <= 1/],
    ['/v1/infill', { text: 'a [MASK]', min_length: 10, max_length: 5 }, 400, /minLength: must be an integer in \[0, 5\]/],
    ['/v1/infill', { text: 'a [MASK]', strategy: 'creative' }, 400, /strategy must be equal to one of the allowed values/],
    ['/v1/infill', { text: 'a [MASK]', ids: [1] }, 400, /exactly one of "text" or "ids"/],
    ['/v1/infill', {}, 400, /exactly one of "text" or "ids"/],
    ['/v1/infill', [1, 2], 400, /body must be object/],
    ['/v1/score', { text: 'a [MASK]' }, 400, /must have required property 'candidates'/],
    ['/v1/score', { text: 'no blank', candidates: ['x'] }, 400, /no \[MASK\]/],
    ['/v1/score', { text: 'a [MASK]', candidates: [] }, 400, /candidates must NOT have fewer than 1 items/],
    ['/v1/score', { text: 'a [MASK]', candidates: Array.from({ length: 20 }, () => 'word word word word word') }, 400, /this server scores at most 100/],
    ['/v1/completions', { prompt: 'hi', max_tokens: 0 }, 400, /max_tokens must be >= 1/],
    ['/v1/completions', { prompt: 'hi', n: 2 }, 400, /n must be <= 1/],
    ['/v1/completions', { prompt: 'hi', temperature: 3 }, 400, /temperature must be <= 2/],
    ['/v1/completions', { prompt: 'hi', stop: [1] }, 400, /stop/],
    ['/v1/tokenize', { ids: [99999] }, 400, /outside the vocabulary/],
    ['/v1/nothing', { text: 'x' }, 404, /no route POST \/v1\/nothing/],
  ];
  for (const [route, body, status, message] of cases) {
    const r = await postJson(`${url}${route}`, body);
    assert.equal(r.status, status, `${route} ${JSON.stringify(body).slice(0, 80)} → ${JSON.stringify(r.json)}`);
    assert.match(r.json.error.message, message, `${route} ${JSON.stringify(body).slice(0, 80)}`);
    assert.ok(r.json.error.code, 'every error has a code');
  }
  const plain = await fetch(`${url}/v1/infill`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a [MASK]' });
  assert.equal(plain.status, 400);
  assert.match(((await plain.json()) as { error: { message: string } }).error.message, /body must be object/);
  const xml = await fetch(`${url}/v1/infill`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<a/>' });
  assert.equal(xml.status, 415);
  const get = await fetch(`${url}/v1/infill`);
  assert.equal(get.status, 404);
  assert.equal((await postJson(`${url}/v1/infill`, { text: 'a [MASK]', max_length: 3 })).status, 200, 'the server still answers');
});

test('a full queue answers 503 with Retry-After; the requests it took all finish', async () => {
  const long = { text: 'a [MASK] b', max_length: 40, min_length: 40 };
  // 8 rows decode, 4 wait: a burst of 20 overflows both.
  const rs = await Promise.all(Array.from({ length: 20 }, () => postJson(`${url}/v1/infill`, long)));
  const refused = rs.filter((r) => r.status === 503);
  const ok = rs.filter((r) => r.status === 200);
  assert.ok(refused.length > 0, 'some requests were refused');
  assert.equal(ok.length + refused.length, 20);
  assert.ok(ok.length >= 8, `the batch took its rows (${ok.length} answered)`);
  for (const r of refused) {
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal(r.json.error.code, 'E_OVERLOADED');
  }
  for (const r of ok) assert.equal(r.json.blanks[0].tokens.length, 40);
  const m = await (await fetch(`${url}/metrics`)).text();
  assert.match(m, new RegExp(`glm_rejected_total\\{reason="overloaded"\\} ${refused.length}`));
});

test('a client that disconnects has its request removed from the batch at once', async () => {
  const { scheduler } = srv.server.context;
  const ac = new AbortController();
  const r = await fetch(`${url}/v1/infill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'a [MASK]', max_length: 40, min_length: 40, stream: true }), signal: ac.signal });
  const reader = r.body!.getReader();
  await reader.read();
  assert.equal(scheduler.activeRequests, 1);
  ac.abort();
  const t0 = Date.now();
  while (scheduler.activeRequests > 0 && Date.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 2));
  assert.equal(scheduler.activeRequests, 0, 'the streamed request left the batch');
  assert.equal(scheduler.batchRows, 0);
  // The same for a plain JSON request.
  const ac2 = new AbortController();
  const p = fetch(`${url}/v1/infill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'a [MASK]', strategy: 'beam', num_beams: 4, max_length: 40, early_stopping: 'never' }), signal: ac2.signal }).catch((e: Error) => e);
  while (scheduler.activeRequests === 0) await new Promise((res) => setTimeout(res, 1));
  ac2.abort();
  assert.ok((await p) instanceof Error);
  const t1 = Date.now();
  while (scheduler.activeRequests > 0 && Date.now() - t1 < 2000) await new Promise((res) => setTimeout(res, 2));
  assert.equal(scheduler.activeRequests, 0, 'the beam request left the batch');
});

test('a request past its time limit is a 504', async () => {
  const quick = await startTestServer(dir, { limits: { timeoutMs: 1, maxTokens: 63 } });
  try {
    const r = await postJson(`${quick.url}/v1/infill`, { text: 'a [MASK] b [MASK]', max_length: 63, min_length: 63 });
    assert.equal(r.status, 504);
    assert.equal(r.json.error.code, 'E_TIMEOUT');
  } finally {
    await quick.close();
  }
});
