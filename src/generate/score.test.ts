/**
 * Answer scoring: golden multiple-choice log-probs (tiny/explicit_mask), batched scoring in one
 * pass equal to one candidate at a time, with and without [eop], agreement with the decoder's
 * log-probs, the gradient of candidateLogProbs, and bad input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { isGlmError } from '../util/errors.js';
import { loadFolder } from '../io/checkpoint.js';
import { readAll } from '../io/safetensors.js';
import type { GLMModel } from '../model/glm.js';
import { Tensor, backward } from '../tensor/tensor.js';
import { goldenDir, testBackends } from '../testing/helpers.js';
import { infill } from './infill.js';
import { logSoftmax } from './logits.js';
import { buildChoiceLayout, candidateLogProbs, scoreCandidates, type ScoreItem } from './score.js';
import { specialTokensFromConfig } from './tokens.js';
import { TINY_TOKENS, tinyModel } from '../testing/test-model.js';

const T = TINY_TOKENS;

/** One candidate alone: context + [sop] + answer (+ nothing), sep = context length, full pass. */
function scoreAlone(model: GLMModel, item: ScoreItem, answer: readonly number[], includeEop: boolean): number[] {
  const C = item.context.length, V = model.config.vocab_size;
  const inputs = [T.sop, ...(includeEop ? answer : answer.slice(0, -1))];
  const targets = includeEop ? [...answer, T.eop] : [...answer];
  const S = C + inputs.length;
  const pos = new Int32Array(2 * S);
  for (let s = 0; s < C; s++) pos[s] = s;
  inputs.forEach((_, i) => {
    pos[C + i] = item.maskPosition;
    pos[S + C + i] = i + 1;
  });
  const { logits } = model.forward({ batch: 1, seqLen: S, inputIds: Int32Array.from([...item.context, ...inputs]), positionIds: pos, mask: { sep: Int32Array.of(C) } });
  return targets.map((t, i) => logSoftmax(logits.f32.subarray((C + i) * V, (C + i + 1) * V))[t]!);
}

const ITEMS: ScoreItem[] = [
  { context: [1, 20, 21, 3, 30, 31, 2], maskPosition: 3, candidates: [[40], [41, 42], [43, 44, 45], [40, 46]] },
  { context: [1, 50, 3, 51, 52, 53, 54, 55, 56, 3, 2], maskPosition: 9, candidates: [[60, 61, 62, 63], [64]] },
  { context: [1, 5], maskPosition: 1, candidates: [[70, 71], [72, 73, 74]] },
];

const explicit = readAll(goldenDir('tiny', 'explicit_mask.safetensors'));

for (const be of testBackends()) {
  test(`[${be.name}] golden multiple-choice log-probs (tiny/explicit_mask)`, () =>
    withBackend(be, () => {
      const { model } = loadFolder(goldenDir('tiny'));
      const ids = explicit['input_ids']!.data as Int32Array, S = explicit['input_ids']!.shape[1]!;
      const choice = explicit['choice_tokens']!.data as Int32Array;
      const want = explicit['choice_logprob']!.data as Float32Array;
      // README: sample 0 has a context of 10 with [MASK] at 4, sample 1 a context of 8 with it at 5.
      const layout = [{ C: 10, mask: 4 }, { C: 8, mask: 5 }];
      const items: ScoreItem[] = layout.map(({ C, mask }, b) => ({
        context: [...ids.subarray(b * S, b * S + C)],
        maskPosition: mask,
        candidates: [0, 1, 2].map((c) => [...choice.subarray((b * 3 + c) * 4, (b * 3 + c + 1) * 4)].filter((t) => t >= 0)),
      }));
      const got = scoreCandidates(model, items, specialTokensFromConfig(model.config));
      got.forEach((cands, b) => cands.forEach((c, k) => assert.ok(Math.abs(c.logProb - want[b * 3 + k]!) <= 1e-4, `choice ${b},${k}: ${c.logProb} vs ${want[b * 3 + k]}`)));
    }));

  test(`[${be.name}] batched scoring in one pass equals scoring each answer alone (with and without eop)`, () =>
    withBackend(be, () => {
      const model = tinyModel({ seed: 9 });
      for (const includeEop of [false, true]) {
        const got = scoreCandidates(model, ITEMS, T, { includeEop });
        ITEMS.forEach((item, i) =>
          item.candidates.forEach((c, k) => {
            const alone = scoreAlone(model, item, c, includeEop);
            const g = got[i]![k]!;
            assert.equal(g.tokenLogProbs.length, c.length + (includeEop ? 1 : 0));
            g.tokenLogProbs.forEach((lp, t) => assert.ok(Math.abs(lp - alone[t]!) <= 1e-5, `item ${i} cand ${k} token ${t}: ${lp} vs ${alone[t]}`));
            const sum = alone.reduce((a, b) => a + b, 0);
            assert.ok(Math.abs(g.logProb - sum) <= 1e-5, `item ${i} cand ${k}: ${g.logProb} vs ${sum} (eop ${includeEop})`);
          }),
        );
      }
      // Scoring with [eop] adds exactly the [eop] term.
      const a = scoreCandidates(model, ITEMS, T), b = scoreCandidates(model, ITEMS, T, { includeEop: true });
      assert.ok(Math.abs(b[0]![1]!.logProb - a[0]![1]!.logProb - b[0]![1]!.tokenLogProbs[2]!) <= 1e-5);
    }));

  test(`[${be.name}] scores agree with the decoder's log-probs of its own answer`, () =>
    withBackend(be, () => {
      const model = tinyModel({ seed: 9 });
      const context = [1, 20, 21, 3, 30, 31, 2];
      // Suppress the end tokens so that the answer runs to its full length.
      const [r] = infill(model, [context], T, { maxLength: 5, minLength: 5 });
      const ans = r!.blanks[0]!;
      assert.equal(ans.tokens.length, 5);
      const s = scoreCandidates(model, [{ context, maskPosition: 3, candidates: [ans.tokens] }], T)[0]![0]!;
      s.tokenLogProbs.forEach((lp, t) => assert.ok(Math.abs(lp - ans.logProbs[t]!) <= 1e-5, `token ${t}`));
    }));
}

test('candidateLogProbs is differentiable: gradient matches finite differences', () => {
  const model = tinyModel({ seed: 9 });
  const layout = buildChoiceLayout(model.config, ITEMS.slice(0, 2), T, { includeEop: true });
  const base = model.forward(layout.input).logits.f32;
  const logits = new Tensor(Float32Array.from(base), [layout.input.batch, layout.input.seqLen, model.config.vocab_size], true);
  const weights = Float32Array.from({ length: layout.numCandidates }, (_, i) => 0.5 + i);
  const out = candidateLogProbs(logits, layout);
  backward(out, weights);
  const f = (x: Float32Array): number => {
    const o = candidateLogProbs(new Tensor(x, logits.shape), layout).f32;
    return o.reduce((a, v, i) => a + v * weights[i]!, 0);
  };
  const V = model.config.vocab_size;
  // Probe a scored row's target, another entry of that row, and an unscored row.
  const probes = [layout.rows[0]! * V + layout.targets[0]!, layout.rows[3]! * V + 11, 2 * V + 5];
  for (const i of probes) {
    const x1 = Float32Array.from(base), x2 = Float32Array.from(base);
    x1[i]! += 1e-2;
    x2[i]! -= 1e-2;
    const fd = (f(x1) - f(x2)) / 2e-2;
    assert.ok(Math.abs(fd - logits.grad![i]!) <= 2e-3, `d/dlogits[${i}]: analytic ${logits.grad![i]} vs numeric ${fd}`);
  }
});

test('scoring: bad input gets a named GlmError', () => {
  const model = tinyModel({ seed: 9 });
  const expectCode = (code: string, items: ScoreItem[], re: RegExp, eop = false): void =>
    assert.throws(() => scoreCandidates(model, items, T, { includeEop: eop }), (e: unknown) => isGlmError(e, code) && re.test((e as Error).message));
  expectCode('E_GENERATE_OPTION', [{ context: [1, 3, 2], maskPosition: 5, candidates: [[9]] }], /maskPosition 5 is outside/);
  expectCode('E_INPUT_SHAPE', [{ context: [1, 3, 2], maskPosition: 1, candidates: [[]] }], /empty answer/);
  expectCode('E_INPUT_SHAPE', [{ context: [1, 3, 2], maskPosition: 1, candidates: [] }], /no candidates/);
  expectCode('E_TOKEN_ID', [{ context: [1, 3, 2], maskPosition: 1, candidates: [[1000]] }], /1000/);
  // An empty answer is fine with [eop]: its score is log p(eop).
  const e = scoreCandidates(model, [{ context: [1, 3, 2], maskPosition: 1, candidates: [[]] }], T, { includeEop: true })[0]![0]!;
  assert.equal(e.tokenLogProbs.length, 1);
});
