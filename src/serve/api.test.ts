/**
 * The HTTP API on a free loopback port with a tiny random GLM: every endpoint, JSON and streamed
 * answers equal the library's, concurrent (batched) requests equal the same requests alone,
 * stop sequences, metrics and the OpenAPI description.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { loadFolder } from '../io/checkpoint.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { infillText } from '../generate/text.js';
import { scoreTextChoices } from '../finetune/score-text.js';
import { tinyModelDir, startTestServer, postJson, parseSse } from '../testing/serve.js';

const dir = tinyModelDir();
const srv = await startTestServer(dir, { maxBatch: 16 });
const { url } = srv;
const tok = loadTokenizer(dir);
const { model } = loadFolder(dir);
const layout = srv.server.context.served.layout;
test.after(async () => {
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const PROMPT = 'the capital of france is [MASK] , and the river is the [MASK] .';

test('POST /v1/infill answers as the library does; the stream carries the same tokens, then done and [DONE]', async () => {
  const want = infillText(model, tok, PROMPT, { maxLength: 5, layout, topLogProbs: 3 })[0]!;
  const r = await postJson(`${url}/v1/infill`, { text: PROMPT, max_length: 5, top_logprobs: 3 });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.text, want.text);
  assert.deepEqual(r.json.blanks.map((b: { tokens: number[] }) => b.tokens), want.blanks.map((b) => b.tokens));
  assert.deepEqual(r.json.blanks.map((b: { text: string }) => b.text), want.blanks.map((b) => b.text));
  assert.equal(r.json.blanks[0].top[0].length, 3);
  assert.equal(r.json.blanks[0].top[0][0].token, want.blanks[0]!.tokens[0]);
  r.json.blanks[0].logprobs.forEach((lp: number, i: number) => assert.ok(Math.abs(lp - want.blanks[0]!.logProbs[i]!) < 1e-4));

  const s = await fetch(`${url}/v1/infill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: PROMPT, max_length: 5, top_logprobs: 3, stream: true }) });
  assert.equal(s.status, 200);
  assert.match(s.headers.get('content-type')!, /text\/event-stream/);
  const { messages, done } = parseSse(await s.text());
  assert.ok(done, 'ends with data: [DONE]');
  const tokens = messages.filter((m) => m.type === 'token');
  assert.equal(tokens.length, want.blanks.reduce((n, b) => n + b.tokens.length, 0));
  assert.ok(tokens.every((t) => t.top.length === 3));
  want.blanks.forEach((b, j) => {
    const mine = messages.filter((m) => m.blank === j && m.type !== 'done');
    assert.deepEqual(mine.filter((m) => m.type === 'token').map((m) => m.token), b.tokens);
    assert.equal(mine.map((m) => m.text).join(''), b.text, `blank ${j}: the streamed pieces add up to the answer`);
  });
  assert.equal(messages.at(-1).type, 'done');
  assert.equal(messages.at(-1).result.text, want.text);
});

test('beam search, sampling and id prompts through /v1/infill', async () => {
  const beam = await postJson(`${url}/v1/infill`, { text: PROMPT, strategy: 'beam', num_beams: 3, max_length: 4, length_penalty: 1 });
  const wantBeam = infillText(model, tok, PROMPT, { strategy: 'beam', numBeams: 3, maxLength: 4, lengthPenalty: 1, layout })[0]!;
  assert.equal(beam.status, 200);
  assert.deepEqual(beam.json.blanks.map((b: { tokens: number[] }) => b.tokens), wantBeam.blanks.map((b) => b.tokens));
  const sample = await postJson(`${url}/v1/infill`, { text: PROMPT, strategy: 'sample', seed: 3, temperature: 0.7, max_length: 4 });
  const wantSample = infillText(model, tok, PROMPT, { strategy: 'sample', seed: 3, temperature: 0.7, maxLength: 4, layout })[0]!;
  assert.deepEqual(sample.json.blanks.map((b: { tokens: number[] }) => b.tokens), wantSample.blanks.map((b) => b.tokens));
  const ids = await postJson(`${url}/v1/infill`, { ids: wantBeam.context, max_length: 4 });
  const byText = await postJson(`${url}/v1/infill`, { text: PROMPT, max_length: 4 });
  assert.equal(ids.status, 200);
  assert.deepEqual(ids.json.blanks, byText.json.blanks);
});

test('concurrent greedy requests (decoded in one batch) equal the same requests sent alone', async () => {
  const texts = [
    'the [MASK] of the city', 'a long time ago there was a [MASK] who lived in [MASK] .', 'music is [MASK]', '[MASK] and then [sMASK]',
    'the river flows into the sea [gMASK]', 'he said that [MASK] would come back tomorrow , and [MASK] .', 'one two three [MASK]', 'where is the [MASK] ?',
  ];
  const body = (t: string, i: number): object => ({ text: t, max_length: 3 + (i % 5) });
  const alone: { text: string; blanks: { tokens: number[] }[] }[] = [];
  for (const [i, t] of texts.entries()) alone.push((await postJson(`${url}/v1/infill`, body(t, i))).json);
  let most = 0;
  const { metrics } = srv.server.context;
  const step = metrics.step.bind(metrics);
  metrics.step = (rows, n) => {
    most = Math.max(most, rows);
    step(rows, n);
  };
  const together = await Promise.all(texts.map((t, i) => postJson(`${url}/v1/infill`, body(t, i))));
  metrics.step = step;
  assert.ok(most > 1, `the concurrent requests shared decode steps (most rows: ${most})`);
  together.forEach((r, i) => {
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.blanks.map((b: { tokens: number[] }) => b.tokens), alone[i].blanks.map((b: { tokens: number[] }) => b.tokens), texts[i]);
    assert.equal(r.json.text, alone[i].text);
  });
});

test('POST /v1/completions: the completions-API shape, greedy = [gMASK] infill, streaming, stop sequences', async () => {
  const prompt = 'the history of the city begins';
  // The library appends the generation mask to a text without one ([gMASK], or [MASK] for a BERT vocabulary).
  const want = infillText(model, tok, prompt, { maxLength: 8, layout })[0]!.blanks[0]!;
  const r = await postJson(`${url}/v1/completions`, { model: 'anything', prompt, max_tokens: 8, temperature: 0, logprobs: 2 });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.object, 'text_completion');
  assert.match(r.json.id, /^cmpl-/);
  const c = r.json.choices[0];
  assert.equal(c.text, want.text);
  assert.equal(c.finish_reason, want.stop === 'length' ? 'length' : 'stop');
  assert.equal(c.logprobs.token_logprobs.length, want.tokens.length);
  assert.equal(Object.keys(c.logprobs.top_logprobs[0]).length, 2);
  assert.equal(r.json.usage.completion_tokens, want.tokens.length);
  assert.equal(r.json.usage.total_tokens, r.json.usage.prompt_tokens + want.tokens.length);

  const s = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: [prompt], max_tokens: 8, temperature: 0, stream: true }) });
  const { messages, done } = parseSse(await s.text());
  assert.ok(done);
  assert.equal(messages.map((m) => m.choices[0].text).join(''), want.text);
  assert.equal(messages.at(-1).choices[0].finish_reason, c.finish_reason);
  assert.ok(messages.slice(0, -1).every((m) => m.choices[0].finish_reason === null));

  // A stop sequence cuts the text before it, streamed or not.
  const word = want.text.trim().split(/\s+/)[2]!;
  const cut = want.text.slice(0, want.text.indexOf(word));
  const st = await postJson(`${url}/v1/completions`, { prompt, max_tokens: 8, temperature: 0, stop: [word, 'zzzz'] });
  assert.equal(st.json.choices[0].text, cut);
  assert.equal(st.json.choices[0].finish_reason, 'stop');
  const ss = await fetch(`${url}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt, max_tokens: 8, temperature: 0, stop: word, stream: true }) });
  const sm = parseSse(await ss.text()).messages;
  assert.equal(sm.map((m) => m.choices[0].text).join(''), cut);
  assert.equal(sm.at(-1).choices[0].finish_reason, 'stop');
  // Sampling is seeded.
  const a = await postJson(`${url}/v1/completions`, { prompt, max_tokens: 6, temperature: 0.8, top_p: 0.9, seed: 7 });
  const b = await postJson(`${url}/v1/completions`, { prompt, max_tokens: 6, temperature: 0.8, top_p: 0.9, seed: 7 });
  assert.equal(a.json.choices[0].text, b.json.choices[0].text);
  const bad = await postJson(`${url}/v1/completions`, { prompt: 'a [MASK] here' });
  assert.equal(bad.status, 400);
  assert.match(bad.json.error.message, /use \/v1\/infill/);
});

test('POST /v1/score equals scoreTextChoices; /v1/classify with a pattern, a task, and refusals', async () => {
  const text = 'the capital of france is [MASK] .';
  const want = scoreTextChoices(model, tok, text, ['paris', 'london', 'new york']);
  const r = await postJson(`${url}/v1/score`, { text, candidates: ['paris', 'london', 'new york'] });
  assert.equal(r.status, 200);
  r.json.candidates.forEach((c: { text: string; logprob: number; probability: number }, i: number) => {
    assert.equal(c.text, want[i]!.choice);
    assert.ok(Math.abs(c.logprob - want[i]!.logProb) < 1e-4);
    assert.ok(Math.abs(c.probability - want[i]!.probability) < 1e-5);
  });
  assert.equal(r.json.best, want.reduce((x, y) => (y.score > x.score ? y : x)).choice);

  const texts = ['the food was great', 'a dull and boring film'];
  const verbalizer = { neg: ' bad', pos: ' good' };
  const c = await postJson(`${url}/v1/classify`, { texts, pattern: '{text} It was [MASK].', verbalizer });
  assert.equal(c.status, 200, JSON.stringify(c.json));
  assert.deepEqual(c.json.labels, ['neg', 'pos']);
  texts.forEach((t, i) => {
    // The same cloze question scored through /v1/score: same ranking of the two answers.
    const res = c.json.results[i];
    assert.ok(Math.abs(res.probabilities[0] + res.probabilities[1] - 1) < 1e-9);
    assert.equal(res.label, res.probabilities[0] > res.probabilities[1] ? 'neg' : 'pos');
    // One-token answers: the cloze score is log p(answer) at [sop], [eop] not scored.
    const direct = scoreTextChoices(model, tok, `${t} It was[MASK].`, [' bad', ' good'], { leadingSpace: false, includeEop: false });
    assert.ok(Math.abs(res.scores[0] - direct[0]!.logProb) < 1e-3 && Math.abs(res.scores[1] - direct[1]!.logProb) < 1e-3, `${res.scores} vs ${direct.map((d) => d.logProb)}`);
  });
  const task = await postJson(`${url}/v1/classify`, { texts, task: 'sentiment' });
  assert.equal(task.status, 200);
  assert.deepEqual(task.json.labels, ['0', '1']);
  for (const [body, code] of [
    [{ texts, task: 'copa' }, 'E_TASK_KIND'],
    [{ texts, task: '/etc/passwd' }, 'E_TASK_UNKNOWN'],
    [{ texts }, 'E_REQUEST_INVALID'],
    [{ texts, pattern: '{text} no mask', verbalizer }, 'E_PATTERN'],
    [{ texts: [{ premise: 'x' }], pattern: '{text} It was [MASK].', verbalizer }, 'E_TASK_FIELD_MISSING'],
  ] as const) {
    const e = await postJson(`${url}/v1/classify`, body);
    assert.equal(e.status, 400, JSON.stringify(body));
    assert.equal(e.json.error.code, code);
  }
});

test('POST /v1/tokenize both ways; GET /health, /openapi.json, /metrics, the playground files', async () => {
  const t = await postJson(`${url}/v1/tokenize`, { text: 'hello [MASK] world' });
  assert.deepEqual(t.json.ids, tok.encode('hello [MASK] world'));
  assert.deepEqual(t.json.tokens, ['hello', '[MASK]', 'world']);
  const back = await postJson(`${url}/v1/tokenize`, { ids: t.json.ids });
  assert.equal(back.json.text, tok.decode(t.json.ids));
  const h = (await (await fetch(`${url}/health`)).json()) as { status: string; model: string };
  assert.equal(h.status, 'ok');
  assert.equal(h.model, srv.server.context.served.name);
  const models = (await (await fetch(`${url}/v1/models`)).json()) as { object: string; data: { id: string }[] };
  assert.equal(models.object, 'list');
  assert.deepEqual(models.data.map((m) => m.id), [srv.server.context.served.name]);
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, any> };
  assert.equal(doc.openapi, '3.1.0');
  for (const p of ['/v1/infill', '/v1/score', '/v1/classify', '/v1/completions', '/v1/tokenize', '/v1/models', '/health', '/metrics']) assert.ok(doc.paths[p], p);
  assert.equal(doc.paths['/v1/infill'].post.requestBody.content['application/json'].schema.additionalProperties, false);
  const m = await fetch(`${url}/metrics`);
  assert.match(m.headers.get('content-type')!, /text\/plain/);
  const text = await m.text();
  for (const name of ['glm_requests_total', 'glm_request_duration_seconds_bucket', 'glm_queue_depth', 'glm_batch_rows_bucket', 'glm_generated_tokens_total', 'glm_tokens_per_second']) {
    assert.match(text, new RegExp(`^${name}`, 'm'), name);
  }
  assert.match(text, /glm_requests_total\{route="\/v1\/infill",status="200"\} [1-9]/);
  assert.match(text, /glm_generated_tokens_total [1-9]/);
  const page = await fetch(`${url}/`);
  assert.match(page.headers.get('content-type')!, /text\/html/);
  assert.match(await page.text(), /<script src="\/app.js">/);
  assert.equal((await fetch(`${url}/app.js`)).status, 200);
  assert.equal((await fetch(`${url}/style.css`)).status, 200);
  assert.equal((await fetch(`${url}/../package.json`)).status, 404);
});
