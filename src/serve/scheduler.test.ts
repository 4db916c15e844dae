/**
 * The continuous-batching scheduler at the id level (tiny random GLM): requests that join a
 * running batch at different steps get exactly the answers they get alone, for greedy, sampling
 * and beam search; cancelled and timed-out requests leave the batch at once; the queue is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { infill } from '../generate/infill.js';
import type { InfillOptions, InfillResult } from '../generate/options.js';
import { tinyModel, TINY_TOKENS } from '../testing/test-model.js';
import { GlmError } from '../util/errors.js';
import { Scheduler } from './scheduler.js';

const model = tinyModel({ vocab: 96, hidden: 32, layers: 2, maxSeq: 64, seed: 11 });
const T = TINY_TOKENS;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Prompts of different lengths and blank counts ([CLS] … with [MASK]=3, [sMASK]=4, [gMASK]=5). */
const PROMPTS: number[][] = [
  [1, 20, 21, 3, 22, 2],
  [1, 30, 3, 31, 32, 33, 4, 34, 2],
  [1, 40, 41, 42, 43, 44, 45, 5],
  [1, 50, 3, 51, 3, 52, 2],
  [1, 60, 61, 62, 3, 2],
  [1, 70, 5],
];

function sameAnswers(got: InfillResult, want: InfillResult, what: string): void {
  assert.deepEqual(got.blanks.map((b) => b.tokens), want.blanks.map((b) => b.tokens), what);
  assert.deepEqual(got.blanks.map((b) => b.stop), want.blanks.map((b) => b.stop), what);
  got.blanks.forEach((b, j) => b.logProbs.forEach((lp, i) => assert.ok(Math.abs(lp - want.blanks[j]!.logProbs[i]!) < 1e-4, `${what}: blank ${j} token ${i}: ${lp} vs ${want.blanks[j]!.logProbs[i]}`)));
}

/** Submits request i after `delays[i]` scheduler turns, so later ones join a batch that is mid-decode. */
async function staggered(s: Scheduler, reqs: { prompt: number[]; options: InfillOptions }[], delays: number[]): Promise<InfillResult[]> {
  const out: Promise<InfillResult>[] = [];
  for (let i = 0; i < reqs.length; i++) {
    for (let k = 0; k < delays[i]!; k++) await tick();
    out.push(s.submit(reqs[i]!).result);
  }
  return Promise.all(out);
}

test('requests joining a running batch get the answers they get alone (greedy, sampling, beam mixed)', async () => {
  const strategies: InfillOptions[] = [
    { maxLength: 6 },
    { strategy: 'sample', seed: 5, maxLength: 5, temperature: 0.8 },
    { strategy: 'beam', numBeams: 3, maxLength: 4 },
    { maxLength: 8, minLength: 3 },
    { strategy: 'sample', seed: 9, topK: 10, maxLength: 6 },
    { maxLength: 12, topLogProbs: 3 },
  ];
  const reqs = PROMPTS.map((prompt, i) => ({ prompt, options: strategies[i]! }));
  const alone = reqs.map((r) => infill(model, [r.prompt], T, r.options)[0]!);
  let maxRows = 0;
  const s = new Scheduler(model, T, { maxBatch: 16, maxQueue: 16 }, { step: (rows) => (maxRows = Math.max(maxRows, rows)) });
  const batched = await staggered(s, reqs, [0, 1, 3, 0, 2, 5]);
  batched.forEach((r, i) => sameAnswers(r, alone[i]!, `request ${i}`));
  assert.ok(maxRows > 3, `requests were decoded together (most rows in a step: ${maxRows})`);
  // The same with batching off.
  const single = new Scheduler(model, T, { maxBatch: 3, maxQueue: 16 }, { step: (rows) => assert.ok(rows <= 3) });
  (await staggered(single, reqs, [0, 0, 0, 0, 0, 0])).forEach((r, i) => sameAnswers(r, alone[i]!, `unbatched request ${i}`));
});

test('a steady stream of greedy requests keeps the cache compact and the answers exact', async () => {
  const s = new Scheduler(model, T, { maxBatch: 4, maxQueue: 64 });
  const reqs = Array.from({ length: 48 }, (_, i) => ({ prompt: PROMPTS[i % PROMPTS.length]!, options: { maxLength: 3 + (i % 7) } }));
  const alone = reqs.map((r) => infill(model, [r.prompt], T, r.options)[0]!);
  let longest = 0;
  const watch = setInterval(() => (longest = Math.max(longest, s.cacheLength)), 0);
  const got = await staggered(s, reqs, reqs.map((_, i) => i % 3));
  clearInterval(watch);
  got.forEach((r, i) => sameAnswers(r, alone[i]!, `request ${i}`));
  // Without compaction the cache holds every step since the batch last emptied (106 columns here).
  assert.ok(longest > 0 && longest < 60, `cache length stayed bounded: ${longest}`);
});

test('a cancelled request leaves the batch before the next step; the others are unaffected', async () => {
  const s = new Scheduler(model, T, { maxBatch: 8, maxQueue: 8 });
  const keepReq = { prompt: PROMPTS[1]!, options: { maxLength: 20 } };
  const want = infill(model, [keepReq.prompt], T, keepReq.options)[0]!;
  let tokens = 0;
  const victim = s.submit({ prompt: PROMPTS[2]!, options: { strategy: 'beam', numBeams: 4, maxLength: 40 }, onEvent: () => tokens++ });
  const other = s.submit(keepReq);
  await tick();
  await tick();
  await tick();
  assert.equal(s.batchRows, 5);
  victim.cancel();
  await tick();
  await tick();
  assert.equal(s.batchRows, 1, 'the beam rows left the batch');
  await assert.rejects(victim.result, (e: unknown) => e instanceof GlmError && e.code === 'E_CANCELLED');
  assert.equal(tokens, 0);
  sameAnswers(await other.result, want, 'the request that stayed');
  // Cancelling a request that is still waiting also settles it.
  const blocker = s.submit({ prompt: PROMPTS[0]!, options: { maxLength: 30, minLength: 30 } });
  const waiting = new Scheduler(model, T, { maxBatch: 1, maxQueue: 4 });
  const first = waiting.submit({ prompt: PROMPTS[0]!, options: { maxLength: 10 } });
  const queued = waiting.submit({ prompt: PROMPTS[3]!, options: { maxLength: 10 } });
  queued.cancel();
  await assert.rejects(queued.result, (e: unknown) => e instanceof GlmError && e.code === 'E_CANCELLED');
  await first.result;
  await blocker.result;
});

test('the queue is bounded (E_OVERLOADED), requests have a time limit (E_TIMEOUT), close() finishes or cancels', async () => {
  const s = new Scheduler(model, T, { maxBatch: 1, maxQueue: 2 });
  const long = { prompt: PROMPTS[0]!, options: { maxLength: 40, minLength: 40 } };
  const a = s.submit(long), b = s.submit(long);
  assert.throws(() => s.submit(long), (e: unknown) => e instanceof GlmError && e.code === 'E_OVERLOADED');
  assert.throws(() => s.runTask(() => 1), (e: unknown) => e instanceof GlmError && e.code === 'E_OVERLOADED');
  await Promise.all([a.result, b.result]);
  const t = s.submit({ ...long, timeoutMs: 1 });
  await assert.rejects(t.result, (e: unknown) => e instanceof GlmError && e.code === 'E_TIMEOUT');
  // Bad options are refused before anything is queued.
  assert.throws(() => s.submit({ prompt: PROMPTS[0]!, options: { maxLength: 0 } }), (e: unknown) => e instanceof GlmError && e.code === 'E_GENERATE_OPTION');
  assert.throws(() => s.submit({ prompt: [1, 200, 3], options: {} }), (e: unknown) => e instanceof GlmError && e.code === 'E_TOKEN_ID');
  assert.throws(() => s.submit({ prompt: PROMPTS[0]!, options: { strategy: 'beam', numBeams: 2 } }), /more than this server's batch/);
  // close(): running work finishes; close(true) cancels.
  const c = s.submit(long);
  await s.close();
  assert.equal((await c.result).blanks[0]!.tokens.length, 40);
  assert.throws(() => s.submit(long), (e: unknown) => e instanceof GlmError && e.code === 'E_SHUTTING_DOWN');
  const s2 = new Scheduler(model, T, { maxBatch: 2, maxQueue: 2 });
  const d = s2.submit(long);
  await tick();
  await s2.close(true);
  await assert.rejects(d.result, (e: unknown) => e instanceof GlmError && e.code === 'E_SHUTTING_DOWN');
});

test('a decode step that throws fails the requests in the batch with E_INTERNAL; the scheduler keeps serving', async () => {
  const m = tinyModel({ vocab: 96, hidden: 32, layers: 2, maxSeq: 64, seed: 12 });
  const s = new Scheduler(m, T, { maxBatch: 4, maxQueue: 4 });
  const real = m.forwardIncremental.bind(m);
  let calls = 0;
  m.forwardIncremental = (...a: Parameters<typeof real>) => {
    if (++calls === 3) throw new Error('simulated kernel failure');
    return real(...a);
  };
  const doomed = s.submit({ prompt: PROMPTS[0]!, options: { maxLength: 10, minLength: 10 } });
  await assert.rejects(doomed.result, (e: unknown) => e instanceof GlmError && e.code === 'E_INTERNAL' && /simulated kernel failure/.test(e.message));
  const want = infill(m, [PROMPTS[1]!], T, { maxLength: 5 })[0]!;
  sameAnswers(await s.submit({ prompt: PROMPTS[1]!, options: { maxLength: 5 } }).result, want, 'after the failure');
});
