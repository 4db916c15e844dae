/**
 * Beam search against exhaustive search: on a tiny random model with an 8-token vocabulary and
 * short answers, every hypothesis can be enumerated and scored with full forward passes; beam
 * search with enough beams must return the best one under the same length penalty, min length
 * and no-repeat-ngram rules. Plus the BeamHypotheses bookkeeping and beam-vs-greedy sanity.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import type { GLMModel } from '../model/glm.js';
import { testBackends } from '../testing/helpers.js';
import { BeamHypotheses, sampleCandidates, topCandidates } from './beam.js';
import { Rng } from '../util/rng.js';
import { infill } from './infill.js';
import { applyProcessors, logSoftmax } from './logits.js';
import type { InfillOptions } from './options.js';
import type { GenerationTokens } from './tokens.js';
import { TINY_TOKENS, tinyModel } from '../testing/test-model.js';

// V = 8: five command tokens and three text tokens (0 doubles as padding).
const TOK8: GenerationTokens = { pad: 0, cls: 1, eos: 2, mask: 3, sop: 4, eop: 5 };
const CTX8 = [1, 6, 3, 7, 6, 2];
const MASK_POS = 2;

/** log_softmax after context + [sop] + prefix (one full forward pass). */
function stepLogProbs(model: GLMModel, prefix: readonly number[]): Float64Array {
  const C = CTX8.length, fed = [TOK8.sop, ...prefix], S = C + fed.length, V = model.config.vocab_size;
  const pos = new Int32Array(2 * S);
  for (let s = 0; s < C; s++) pos[s] = s;
  fed.forEach((_, i) => {
    pos[C + i] = MASK_POS;
    pos[S + C + i] = i + 1;
  });
  const { logits } = model.forward({ batch: 1, seqLen: S, inputIds: Int32Array.from([...CTX8, ...fed]), positionIds: pos, mask: { sep: Int32Array.of(C) } });
  return logSoftmax(logits.f32.subarray((S - 1) * V, S * V));
}

/**
 * Every answer the decoder could produce: ended by eop / eos after n < maxLength tokens, or cut
 * at maxLength tokens; scored sum(log p) / max(len, 1) ** lengthPenalty (spec §4.4).
 */
function exhaustiveBest(model: GLMModel, o: Required<Pick<InfillOptions, 'maxLength' | 'minLength' | 'noRepeatNgram' | 'lengthPenalty'>>): { tokens: number[]; score: number; count: number } {
  const stops = [TOK8.eop, TOK8.eos];
  let best = { tokens: [] as number[], score: -Infinity, count: 0 };
  const consider = (tokens: number[], sum: number): void => {
    const score = sum / Math.max(tokens.length, 1) ** o.lengthPenalty;
    best.count++;
    if (score > best.score) best = { tokens, score, count: best.count };
  };
  const walk = (prefix: number[], sum: number): void => {
    const lp = stepLogProbs(model, prefix);
    const allowed = Float64Array.from(lp);
    applyProcessors(allowed, prefix, { stopTokens: stops, minLength: o.minLength, noRepeatNgram: o.noRepeatNgram, suppress: [] });
    for (let t = 0; t < lp.length; t++) {
      if (allowed[t] === -Infinity) continue;
      const s = sum + lp[t]!;
      if (stops.includes(t)) consider(prefix, s);
      else if (prefix.length + 1 === o.maxLength) consider([...prefix, t], s);
      else walk([...prefix, t], s);
    }
  };
  walk([], 0);
  return best;
}

for (const be of testBackends()) {
  test(`[${be.name}] beam search with enough beams finds the exhaustive optimum (V = 8)`, () =>
    withBackend(be, () => {
      const model = tinyModel({ vocab: 8, hidden: 16, heads: 2, layers: 2, maxSeq: 16, seed: 3 });
      const cases = [
        { maxLength: 3, minLength: 0, noRepeatNgram: 0, lengthPenalty: 0, earlyStopping: false as const },
        { maxLength: 3, minLength: 0, noRepeatNgram: 0, lengthPenalty: 1, earlyStopping: 'never' as const },
        { maxLength: 3, minLength: 0, noRepeatNgram: 0, lengthPenalty: 2.5, earlyStopping: 'never' as const },
        { maxLength: 3, minLength: 0, noRepeatNgram: 0, lengthPenalty: -0.5, earlyStopping: 'never' as const },
        { maxLength: 3, minLength: 2, noRepeatNgram: 0, lengthPenalty: 0.7, earlyStopping: 'never' as const },
        { maxLength: 3, minLength: 1, noRepeatNgram: 2, lengthPenalty: 1, earlyStopping: 'never' as const },
        { maxLength: 4, minLength: 0, noRepeatNgram: 2, lengthPenalty: 1.5, earlyStopping: 'never' as const },
      ];
      const winners = new Set<string>();
      for (const c of cases) {
        const want = exhaustiveBest(model, c);
        // Enough beams that nothing is pruned: every running prefix times every token.
        const numBeams = 6 ** (c.maxLength - 1) * 8;
        const [r] = infill(model, [CTX8], TOK8, { strategy: 'beam', numBeams, ...c });
        const b = r!.blanks[0]!;
        const what = `lp ${c.lengthPenalty}, min ${c.minLength}, ngram ${c.noRepeatNgram}`;
        assert.deepEqual(b.tokens, want.tokens, `${what}: beam ${b.tokens} (${b.score}) vs exhaustive ${want.tokens} (${want.score}) over ${want.count} answers`);
        assert.ok(Math.abs(b.score! - want.score) <= 1e-5 * Math.max(1, Math.abs(want.score)), `${what}: score ${b.score} vs ${want.score}`);
        winners.add(want.tokens.join(','));
      }
      // The cases really differ: the length penalty changes which answer wins.
      assert.ok(winners.size >= 2, `every case has the same optimum ${[...winners]}`);
    }));

  test(`[${be.name}] one beam is greedy; more beams never score worse on the blank`, () =>
    withBackend(be, () => {
      const model = tinyModel({ seed: 7 });
      const prompt = [1, 20, 21, 3, 30, 31, 4, 2];
      const greedy = infill(model, [prompt], TINY_TOKENS, { maxLength: 6 })[0]!;
      const one = infill(model, [prompt], TINY_TOKENS, { maxLength: 6, strategy: 'beam', numBeams: 1 })[0]!;
      one.blanks.forEach((b, j) => assert.deepEqual(b.tokens, greedy.blanks[j]!.tokens, `blank ${j}`));
      const sum = (xs: number[]): number => xs.reduce((a, x) => a + x, 0);
      const five = infill(model, [prompt], TINY_TOKENS, { maxLength: 6, strategy: 'beam', numBeams: 5 })[0]!;
      // Blank 1 has the same context in both runs, so a wider search can only do as well or better
      // (up to float noise: 5 beam rows and 1 row may round differently in the native GEMMs).
      const g = sum(greedy.blanks[0]!.logProbs) + (greedy.blanks[0]!.endLogProb ?? 0);
      const w = sum(five.blanks[0]!.logProbs) + (five.blanks[0]!.endLogProb ?? 0);
      assert.ok(w >= g - 1e-5, `5 beams ${w} < greedy ${g}`);
      // Blank 2 of the beam run is the beam search over the context with blank 1 fixed to its answer.
      const fixed = infill(model, [{ context: prompt, fixed: [five.blanks[0]!.tokens] }], TINY_TOKENS, { maxLength: 6, strategy: 'beam', numBeams: 5 })[0]!;
      assert.deepEqual(fixed.blanks[1]!.tokens, five.blanks[1]!.tokens);
      assert.ok(Math.abs(fixed.blanks[1]!.score! - five.blanks[1]!.score!) <= 1e-5);
    }));
}

test('BeamHypotheses keeps the n best, normalises by length, and knows when to stop', () => {
  const h = new BeamHypotheses(2, 1, false, 10);
  const hyp = (n: number, sum: number) => ({ tokens: new Array<number>(n).fill(9), logProbs: [], sumLogProbs: sum, endToken: 7, endLogProb: -0.1 });
  h.add(hyp(2, -4)); // -2
  h.add(hyp(4, -4)); // -1
  h.add(hyp(1, -3)); // -3: worse than both kept, dropped
  assert.deepEqual(h.hyps.map((x) => x.score).sort((a, b) => a - b), [-2, -1]);
  h.add(hyp(0, -0.5)); // len 0 counts as 1: -0.5, evicts -2
  assert.deepEqual(h.hyps.map((x) => x.score).sort((a, b) => a - b), [-1, -0.5]);
  assert.equal(h.best()!.score, -0.5);
  // false: best running -3 over cur_len 2 = -1.5 < worst -1 → done; -1.8 over 2 = -0.9 > -1 → not.
  assert.equal(h.isDone(-3, 2), true);
  assert.equal(h.isDone(-1.8, 2), false);
  // 'never' with a positive penalty divides by the maximum length: -3 / 10 = -0.3 > -1 → not done.
  const n = new BeamHypotheses(2, 1, 'never', 10);
  n.add(hyp(2, -2));
  n.add(hyp(4, -4));
  assert.equal(n.isDone(-3, 2), false);
  assert.equal(n.isDone(-20, 2), true);
  const t = new BeamHypotheses(2, 1, true, 10);
  t.add(hyp(2, -2));
  assert.equal(t.isDone(0, 1), false);
  t.add(hyp(2, -9));
  assert.equal(t.isDone(0, 1), true);
});

test('topCandidates: best first, deterministic ties, -Infinity skipped', () => {
  const rows = [Float64Array.of(-1, -Infinity, -3), Float64Array.of(-1, -0.5, -Infinity)];
  assert.deepEqual(topCandidates(rows, 3), [
    { beam: 1, token: 1, score: -0.5 },
    { beam: 0, token: 0, score: -1 },
    { beam: 1, token: 0, score: -1 },
  ]);
  assert.equal(topCandidates(rows, 10).length, 4);
});

test('sampleCandidates draws without replacement with probability ∝ exp(score)', () => {
  const rows = [Float64Array.of(Math.log(0.5), Math.log(0.2), -Infinity), Float64Array.of(Math.log(0.2), Math.log(0.1), Math.log(1e-12))];
  const rng = new Rng(3), first = new Map<string, number>(), N = 20000;
  for (let n = 0; n < N; n++) {
    const c = sampleCandidates(rows, 3, rng);
    assert.equal(c.length, 3);
    assert.equal(new Set(c.map((x) => `${x.beam}:${x.token}`)).size, 3, 'drawn twice');
    assert.ok(c.every((x) => !(x.beam === 0 && x.token === 2)), 'a -Infinity entry was drawn');
    for (let i = 1; i < 3; i++) assert.ok(c[i - 1]!.score >= c[i]!.score, 'not sorted by score');
    // Which entry was drawn first: the highest perturbed score, ∝ exp(score).
    const one = sampleCandidates(rows, 1, rng)[0]!;
    const key = `${one.beam}:${one.token}`;
    first.set(key, (first.get(key) ?? 0) + 1);
  }
  const want: Record<string, number> = { '0:0': 0.5, '0:1': 0.2, '1:0': 0.2, '1:1': 0.1 };
  for (const [k, p] of Object.entries(want)) {
    const got = (first.get(k) ?? 0) / N;
    assert.ok(Math.abs(got - p) <= 4.5 * Math.sqrt((p * (1 - p)) / N), `${k}: frequency ${got} vs ${p}`);
  }
});
