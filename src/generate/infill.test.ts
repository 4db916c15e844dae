/**
 * Multi-blank filling: equal to filling the blanks one at a time by hand with full forward passes;
 * later blanks depend on earlier answers; batching changes nothing; stops, length limits,
 * processors, streaming and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backend, setBackend, withBackend } from '../backend/index.js';
import { isGlmError } from '../util/errors.js';
import type { GLMModel } from '../model/glm.js';
import { testBackends } from '../testing/helpers.js';
import { infill, infillSteps, type InfillEvent } from './infill.js';
import { streamInfill } from './stream.js';
import { argmax, bannedNgramTokens, logSoftmax } from './logits.js';
import { promptSeed } from './groups.js';
import type { InfillOptions, InfillPrompt, InfillResult } from './options.js';
import { buildContext, findMasks, type GenerationTokens } from './tokens.js';
import { TINY_TOKENS, tinyModel } from '../testing/test-model.js';

const T = TINY_TOKENS;
// [CLS] a b [MASK] c d e [sMASK] f g [gMASK]: three blanks of three kinds.
const PROMPT = [1, 20, 21, 3, 30, 31, 32, 4, 40, 41, 5];

interface Fed {
  token: number;
  pos: number;
  block: number;
}

/** Log-softmax of the last position after `context` + `fed`, by one full forward pass. */
function fullLastLogProbs(model: GLMModel, context: readonly number[], fed: readonly Fed[]): Float64Array {
  const C = context.length, S = C + fed.length, V = model.config.vocab_size;
  const pos = new Int32Array(2 * S);
  for (let s = 0; s < C; s++) pos[s] = s;
  fed.forEach((f, i) => {
    pos[C + i] = f.pos;
    pos[S + C + i] = f.block;
  });
  const ids = Int32Array.from([...context, ...fed.map((f) => f.token)]);
  const { logits } = model.forward({ batch: 1, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep: Int32Array.of(C) } });
  return logSoftmax(logits.f32.subarray((S - 1) * V, S * V));
}

/**
 * Greedy filling by hand (spec §4.2): blank after blank, each from [sop] at (mask, 1), every
 * token recomputed from scratch over context + everything fed so far.
 */
function handGreedy(model: GLMModel, context: number[], tok: GenerationTokens, maxLength: number): { tokens: number[]; logProbs: number[]; end: number | null }[] {
  const fed: Fed[] = [];
  return findMasks(context, tok).map((m) => {
    const tokens: number[] = [], logProbs: number[] = [];
    fed.push({ token: tok.sop, pos: m, block: 1 });
    for (;;) {
      const lp = fullLastLogProbs(model, context, fed);
      const t = argmax(lp);
      if (t === tok.eop || t === tok.eos) return { tokens, logProbs, end: lp[t]! };
      tokens.push(t);
      logProbs.push(lp[t]!);
      fed.push({ token: t, pos: m, block: tokens.length + 1 });
      if (tokens.length === maxLength) return { tokens, logProbs, end: null };
    }
  });
}

function assertCloseArrays(got: readonly number[], want: readonly number[], tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) <= tol, `${what}[${i}]: ${g} vs ${want[i]}`));
}

/** Same answers (ids exact, log-probs to 1e-5) for two result lists. */
function assertSameResults(got: InfillResult[], want: InfillResult[], what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((r, i) => {
    assert.deepEqual(r.filled, want[i]!.filled, `${what}: prompt ${i} filled ids`);
    r.blanks.forEach((b, j) => {
      const w = want[i]!.blanks[j]!;
      assert.deepEqual(b.tokens, w.tokens, `${what}: prompt ${i} blank ${j} tokens`);
      assert.equal(b.stop, w.stop);
      assertCloseArrays(b.logProbs, w.logProbs, 1e-5, `${what}: prompt ${i} blank ${j} log-probs`);
    });
  });
}

/** The first k ≥ 1 whose token did not occur before: using it as [eop] stops the blank after k tokens. */
function freshIndex(tokens: readonly number[]): number {
  for (let k = 1; k < tokens.length; k++) if (!tokens.slice(0, k).includes(tokens[k]!)) return k;
  return -1;
}

for (const be of testBackends()) {
  const run = (fn: () => void) => () => withBackend(be, fn);

  test(`[${be.name}] every blank in one call equals filling them one at a time by hand`, run(() => {
    const model = tinyModel({ seed: 7 });
    const [r] = infill(model, [PROMPT], T, { maxLength: 6 });
    const hand = handGreedy(model, PROMPT, T, 6);
    assert.equal(r!.blanks.length, 3);
    assert.deepEqual(r!.blanks.map((b) => b.maskPosition), [3, 7, 10]);
    assert.deepEqual(r!.blanks.map((b) => b.maskToken), [3, 4, 5]);
    r!.blanks.forEach((b, j) => {
      assert.deepEqual(b.tokens, hand[j]!.tokens, `blank ${j} tokens`);
      assertCloseArrays(b.logProbs, hand[j]!.logProbs, 1e-5, `blank ${j} log-probs`);
    });
    // Same again where blank 1 stops on [eop] midway: make the token it emits at k the eop id.
    const k = freshIndex(r!.blanks[0]!.tokens);
    assert.ok(k > 0, 'blank 1 needs two different tokens for this test');
    const tok2 = { ...T, eop: r!.blanks[0]!.tokens[k]! };
    const [r2] = infill(model, [PROMPT], tok2, { maxLength: 6 });
    const hand2 = handGreedy(model, PROMPT, tok2, 6);
    assert.equal(r2!.blanks[0]!.stop, 'eop');
    assert.deepEqual(r2!.blanks[0]!.tokens, r!.blanks[0]!.tokens.slice(0, k));
    r2!.blanks.forEach((b, j) => {
      assert.deepEqual(b.tokens, hand2[j]!.tokens, `eop case, blank ${j} tokens`);
      assertCloseArrays(b.logProbs, hand2[j]!.logProbs, 1e-5, `eop case, blank ${j} log-probs`);
      if (hand2[j]!.end !== null) assert.ok(Math.abs(b.endLogProb! - hand2[j]!.end!) <= 1e-5, `blank ${j} end log-prob`);
    });
    // The filled context puts every answer in place of its mask.
    const want = [1, 20, 21, ...r2!.blanks[0]!.tokens, 30, 31, 32, ...r2!.blanks[1]!.tokens, 40, 41, ...r2!.blanks[2]!.tokens];
    assert.deepEqual(r2!.filled, want);
  }));

  test(`[${be.name}] blank 2's distribution depends on blank 1's answer`, run(() => {
    const model = tinyModel({ seed: 7 });
    const V = model.config.vocab_size;
    const prompt = [1, 20, 21, 3, 30, 31, 32, 3, 40, 2];
    const answers = [[50], [60, 61], [70, 71, 72]];
    const dists = answers.map((a) => {
      const [r] = infill(model, [{ context: prompt, fixed: [a] }], T, { maxLength: 4, topLogProbs: V });
      const b1 = r!.blanks[0]!, b2 = r!.blanks[1]!;
      assert.equal(b1.stop, 'fixed');
      assert.deepEqual(b1.tokens, a);
      // Blank 2's first-step distribution, checked against a full pass over context + [sop] a [sop].
      const first = new Float64Array(V);
      for (const { token, logProb } of b2.top![0]!) first[token] = logProb;
      const fed: Fed[] = [{ token: T.sop, pos: 3, block: 1 }, ...a.map((t, i) => ({ token: t, pos: 3, block: i + 2 })), { token: T.sop, pos: 7, block: 1 }];
      const hand = fullLastLogProbs(model, prompt, fed);
      assertCloseArrays([...first], [...hand], 1e-5, `blank 2 distribution after answer ${a}`);
      return first;
    });
    for (let i = 0; i < dists.length; i++) {
      for (let j = i + 1; j < dists.length; j++) {
        let d = 0;
        for (let v = 0; v < V; v++) d = Math.max(d, Math.abs(dists[i]![v]! - dists[j]![v]!));
        assert.ok(d > 1e-2, `blank 2's distribution barely moved between answers ${i} and ${j} (max |Δ log p| ${d})`);
      }
    }
  }));

  test(`[${be.name}] a batch of prompts of different lengths equals each prompt alone (greedy, sample, beam; kv and mems)`, run(() => {
    const model = tinyModel({ seed: 8 });
    const prompts: InfillPrompt[] = [
      PROMPT,
      [1, 50, 51, 5],
      [1, 22, 3, 23, 24, 25, 26, 27, 28, 29, 3, 33, 34, 35, 36, 37, 4, 38, 2],
      { context: [1, 60, 3, 61, 62, 3, 2], fixed: [[70, 71]] },
    ];
    const cases: InfillOptions[] = [
      { strategy: 'greedy', maxLength: 5 },
      { strategy: 'greedy', maxLength: 5, cacheKind: 'mems' },
      { strategy: 'sample', maxLength: 5, seed: 42, topK: 10, temperature: 0.8 },
      { strategy: 'beam', maxLength: 4, numBeams: 3, lengthPenalty: 1 },
      { strategy: 'beam', maxLength: 4, numBeams: 3, beamSample: true, seed: 9 },
    ];
    for (const opts of cases) {
      const batched = infill(model, prompts, T, opts);
      const alone = prompts.map((p, i) => infill(model, [p], T, { ...opts, seed: promptSeed(opts.seed ?? 0, i) })[0]!);
      assertSameResults(batched, alone, `${opts.strategy}/${opts.cacheKind ?? 'kv'}`);
    }
    // kv and mems caches give the same answers.
    assertSameResults(infill(model, prompts, T, { maxLength: 5, cacheKind: 'mems' }), infill(model, prompts, T, { maxLength: 5 }), 'mems vs kv');
  }));

  test(`[${be.name}] stops at eop or eos, min length, no-repeat-ngram, suppressed tokens`, run(() => {
    const model = tinyModel({ seed: 7 });
    const prompt = [1, 20, 21, 3, 30, 31, 2];
    const [base] = infill(model, [prompt], T, { maxLength: 8 });
    const toks = base!.blanks[0]!.tokens;
    assert.equal(base!.blanks[0]!.stop, 'length');
    assert.equal(toks.length, 8);
    // The first token as eos: the blank ends at once, empty.
    const [e] = infill(model, [prompt], { ...T, eos: toks[0]! }, { maxLength: 8 });
    assert.equal(e!.blanks[0]!.stop, 'eos');
    assert.deepEqual(e!.blanks[0]!.tokens, []);
    assert.ok(Math.abs(e!.blanks[0]!.endLogProb! - base!.blanks[0]!.logProbs[0]!) <= 1e-5);
    // ... unless a minimum length bans the end tokens for two tokens.
    for (const strategy of ['greedy', 'sample', 'beam'] as const) {
      const [m] = infill(model, [prompt], { ...T, eos: toks[0]! }, { maxLength: 8, minLength: 2, strategy, numBeams: 3, seed: 1 });
      const got = m!.blanks[0]!.tokens;
      assert.ok(got.length >= 2, `${strategy}: min length 2, got ${got.length} tokens`);
      assert.ok(!got.slice(0, 2).includes(toks[0]!), `${strategy}: an end token inside the minimum length`);
    }
    // No repeated bigram, whatever the strategy (the tiny model loves repeating itself).
    assert.ok(bannedNgramTokens(toks, 2).length > 0 || new Set(toks).size < toks.length, 'the base answer repeats');
    for (const strategy of ['greedy', 'sample', 'beam'] as const) {
      const [n] = infill(model, [prompt], T, { maxLength: 12, noRepeatNgram: 2, strategy, numBeams: 3, seed: 2 });
      const t = n!.blanks[0]!.tokens;
      const grams = new Set<string>();
      for (let i = 0; i + 1 < t.length; i++) {
        const g = `${t[i]},${t[i + 1]}`;
        assert.ok(!grams.has(g), `${strategy}: bigram ${g} repeated in ${t}`);
        grams.add(g);
      }
    }
    const [s] = infill(model, [prompt], T, { maxLength: 8, suppressTokens: [toks[0]!] });
    assert.ok(!s!.blanks[0]!.tokens.includes(toks[0]!), 'suppressed token generated');
  }));

  test(`[${be.name}] streaming delivers tokens as they are produced, and the same answers`, async () => {
    // withBackend() is synchronous: hold the backend across the awaits by hand.
    const prev = backend();
    setBackend(be);
    try {
      await streamingCase();
    } finally {
      setBackend(prev);
    }
  });
}

async function streamingCase(): Promise<void> {
  {
    const model = tinyModel({ seed: 7 });
    const opts: InfillOptions = { maxLength: 6 };
    const want = infill(model, [PROMPT, [1, 50, 5]], T, opts);
    let ticks = 0, running = true;
    const spin = (): void => {
      ticks++;
      if (running) setImmediate(spin);
    };
    setImmediate(spin);
    const events: InfillEvent[] = [];
    const tickAt: number[] = [];
    for await (const e of streamInfill(model, [PROMPT, [1, 50, 5]], T, opts)) {
      events.push(e);
      tickAt.push(ticks);
    }
    running = false;
    const done = events[events.length - 1]!;
    assert.equal(done.type, 'done');
    assertSameResults((done as { results: InfillResult[] }).results, want, 'stream');
    const tokens = events.filter((e): e is Extract<InfillEvent, { type: 'token' }> => e.type === 'token');
    for (const [p, r] of want.entries()) {
      r.blanks.forEach((b, j) => assert.deepEqual(tokens.filter((e) => e.prompt === p && e.blank === j).map((e) => e.token), b.tokens));
    }
    // Other work ran between the first and the last token: the decode yields to the event loop.
    assert.ok(tickAt[tickAt.length - 1]! - tickAt[0]! >= 5, `event loop starved: ${tickAt[0]} → ${tickAt[tickAt.length - 1]}`);
    // Leaving early is fine; so is the synchronous event generator.
    let n = 0;
    for await (const e of streamInfill(model, [PROMPT], T, opts)) if (e.type === 'token' && ++n === 2) break;
    assert.equal(n, 2);
    const sync = [...infillSteps(model, [PROMPT], T, opts)];
    assert.equal(sync.filter((e) => e.type === 'blank').length, 3);
  }
}

test('bad input gets a named GlmError', () => {
  const model = tinyModel({ seed: 7, maxSeq: 32 });
  const expectCode = (code: string, fn: () => unknown, re?: RegExp): void =>
    assert.throws(fn, (e: unknown) => isGlmError(e, code) && (!re || re.test((e as Error).message)), `expected ${code}`);
  expectCode('E_NO_MASK', () => infill(model, [[1, 20, 21, 2]], T), /prompt 0 has no \[MASK\]/);
  expectCode('E_NO_MASK', () => buildContext([20, 21], T, { appendMask: false }));
  expectCode('E_GENERATE_OPTION', () => infill(model, [PROMPT], T, { maxLength: 32 }), /maxLength/);
  expectCode('E_GENERATE_OPTION', () => infill(model, [PROMPT], T, { strategy: 'sample', temperature: 0 }), /temperature/);
  expectCode('E_GENERATE_OPTION', () => infill(model, [PROMPT], T, { topP: 1.5 }), /topP/);
  expectCode('E_GENERATE_OPTION', () => infill(model, [PROMPT], T, { strategy: 'nucleus' as 'sample' }), /strategy/);
  expectCode('E_GENERATE_OPTION', () => infill(model, [PROMPT], T, { numBeams: 0 }), /numBeams/);
  expectCode('E_GENERATE_OPTION', () => infill(model, [{ context: PROMPT, fixed: [[1], [2], [3], [4]] }], T), /4 fixed answers for 3 blank/);
  expectCode('E_TOKEN_ID', () => infill(model, [[1, 20, 500, 3]], T), /token id 500 at 2/);
  expectCode('E_SPECIAL_TOKENS', () => infill(model, [[1, 3, 2]], { ...T, eop: 999 }), /eop = 999/);
  expectCode('E_POSITION', () => infill(model, [[1, ...new Array<number>(40).fill(20), 3]], T), /max_sequence_length 32/);
});

test('buildContext: [CLS] + text + [eos], no eos after a trailing [gMASK] unless asked, mask appended when missing', () => {
  assert.deepEqual(buildContext([20, 3, 21], T), [1, 20, 3, 21, 2]);
  assert.deepEqual(buildContext([1, 20, 3, 21, 2], T), [1, 20, 3, 21, 2]);
  assert.deepEqual(buildContext([20, 21, 5], T), [1, 20, 21, 5]);
  assert.deepEqual(buildContext([20, 21, 5], T, { endAfterGMask: true }), [1, 20, 21, 5, 2]);
  assert.deepEqual(buildContext([20, 21], T), [1, 20, 21, 5]);
  assert.deepEqual(buildContext([20, 21], { ...T, gMask: undefined }), [1, 20, 21, 3, 2]);
  assert.deepEqual(buildContext([20, 3], { ...T, sep: 9 }, { end: 'sep' }), [1, 20, 3, 9]);
});
