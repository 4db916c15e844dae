/**
 * Sampling: reproducible from a seed; top-k and top-p never emit an excluded token (property
 * tests on random rows, and on the decoder's real per-step distributions).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { Rng } from '../util/rng.js';
import { testBackends } from '../testing/helpers.js';
import { infill } from './infill.js';
import { bannedNgramTokens, drawFrom, samplingDistribution, topKFilter, topPFilter } from './logits.js';
import { TINY_TOKENS, tinyModel } from '../testing/test-model.js';

/** Tokens top-k keeps, computed independently: value ≥ the k-th largest. */
function topKSet(x: ArrayLike<number>, k: number): Set<number> {
  const sorted = Array.from(x).sort((a, b) => b - a);
  const kth = sorted[Math.min(k, x.length) - 1]!;
  return new Set(Array.from({ length: x.length }, (_, i) => i).filter((i) => x[i]! >= kth));
}

/** Tokens top-p keeps: in descending order, a token stays while the mass ranked above it is ≤ p. */
function topPSet(x: ArrayLike<number>, p: number): Set<number> {
  const mx = Math.max(...Array.from(x));
  const e = Array.from(x, (v) => Math.exp(v - mx));
  const z = e.reduce((a, b) => a + b, 0);
  const order = e.map((_, i) => i).sort((a, b) => e[b]! - e[a]!);
  const keep = new Set<number>();
  let above = 0;
  for (const i of order) {
    if (keep.size === 0 || above <= p) keep.add(i);
    above += e[i]! / z;
  }
  return keep;
}

function randomRow(rng: Rng, V: number, spread: number): Float64Array {
  const x = new Float64Array(V);
  for (let i = 0; i < V; i++) x[i] = spread * rng.normal();
  return x;
}

test('top-k and top-p filters keep exactly the allowed tokens (random rows)', () => {
  const rng = new Rng(123);
  for (let trial = 0; trial < 300; trial++) {
    const V = 2 + rng.int(60);
    const x = randomRow(rng, V, 0.5 + 3 * rng.uniform());
    const k = 1 + rng.int(V);
    const a = Float64Array.from(x);
    topKFilter(a, k);
    const ks = topKSet(x, k);
    for (let i = 0; i < V; i++) assert.equal(a[i] !== -Infinity, ks.has(i), `top-k ${k} of ${V}, token ${i}`);
    assert.equal(ks.size, k, 'continuous values have no ties');
    const p = rng.uniform();
    const b = Float64Array.from(x);
    topPFilter(b, p);
    const ps = topPSet(x, p);
    for (let i = 0; i < V; i++) assert.equal(b[i] !== -Infinity, ps.has(i), `top-p ${p} of ${V}, token ${i}`);
  }
});

test('draws never leave the top-k / top-p set, and follow the filtered distribution', () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 40; trial++) {
    const V = 5 + rng.int(40);
    const x = randomRow(rng, V, 2);
    const T = 0.3 + 1.5 * rng.uniform();
    const topK = trial % 3 === 0 ? 0 : 1 + rng.int(V);
    const topP = trial % 2 === 0 ? 0 : 0.05 + 0.9 * rng.uniform();
    const probs = samplingDistribution(x, { temperature: T, topK, topP });
    // The allowed set, independently: top-k over x / T, then top-p over what is left.
    const scaled = Array.from(x, (v) => v / T);
    const kset = topK > 0 ? topKSet(scaled, topK) : new Set(scaled.keys());
    const restricted = scaled.map((v, i) => (kset.has(i) ? v : -Infinity));
    const allowed = topP > 0 ? [...topPSet(restricted, topP)].filter((i) => kset.has(i)) : [...kset];
    const counts = new Float64Array(V);
    const draws = 3000, drawRng = new Rng(trial);
    for (let n = 0; n < draws; n++) {
      const t = drawFrom(probs, drawRng);
      assert.ok(allowed.includes(t), `trial ${trial}: drew ${t}, outside the allowed set ${allowed} (k ${topK}, p ${topP}, T ${T})`);
      counts[t]!++;
    }
    // Frequencies match the distribution (4.5 standard deviations).
    for (let i = 0; i < V; i++) {
      const sd = Math.sqrt(draws * probs[i]! * (1 - probs[i]!));
      assert.ok(Math.abs(counts[i]! - draws * probs[i]!) <= 4.5 * sd + 1, `trial ${trial}, token ${i}: ${counts[i]} draws for p ${probs[i]}`);
    }
  }
});

test('no-repeat-ngram bans exactly the continuations of earlier n-grams', () => {
  assert.deepEqual(bannedNgramTokens([5, 6, 7, 5, 6], 3), [7]);
  assert.deepEqual(bannedNgramTokens([5, 6, 5, 6, 5], 2), [6, 6]);
  assert.deepEqual(bannedNgramTokens([1, 2, 3], 1), [1, 2, 3]);
  assert.deepEqual(bannedNgramTokens([1, 2], 3), []);
  assert.deepEqual(bannedNgramTokens([1, 2, 3], 0), []);
});

for (const be of testBackends()) {
  test(`[${be.name}] sampling is reproducible from a seed; seeds differ`, () =>
    withBackend(be, () => {
      const model = tinyModel({ seed: 8 });
      const prompts = [[1, 20, 21, 3, 30, 31, 3, 2], [1, 40, 5]];
      const opts = { strategy: 'sample' as const, maxLength: 8, temperature: 1.2 };
      const a = infill(model, prompts, TINY_TOKENS, { ...opts, seed: 5 });
      const b = infill(model, prompts, TINY_TOKENS, { ...opts, seed: 5 });
      assert.deepEqual(a, b);
      const others = [6, 7, 8].map((seed) => JSON.stringify(infill(model, prompts, TINY_TOKENS, { ...opts, seed }).map((r) => r.filled)));
      assert.ok(others.some((o) => o !== JSON.stringify(a.map((r) => r.filled))), 'every seed gave the same sample');
    }));

  test(`[${be.name}] top-k / top-p sampling never emits an excluded token (real decoder distributions)`, () =>
    withBackend(be, () => {
      const model = tinyModel({ seed: 8 });
      const V = model.config.vocab_size;
      const prompts = [[1, 20, 21, 3, 30, 31, 3, 2], [1, 40, 5], [1, 3, 50, 51, 4, 2]];
      let checked = 0;
      for (let seed = 0; seed < 6; seed++) {
        const topK = 1 + (seed % 4), topP = seed % 2 ? 0.3 + 0.1 * seed : 0, temperature = 0.6 + 0.3 * (seed % 3);
        const results = infill(model, prompts, TINY_TOKENS, { strategy: 'sample', maxLength: 6, topK, topP, temperature, seed, topLogProbs: V });
        for (const r of results) {
          for (const b of r.blanks) {
            b.tokens.forEach((t, s) => {
              // The step's full distribution (unprocessed log-probs) → the allowed set.
              const lp = new Float64Array(V);
              for (const { token, logProb } of b.top![s]!) lp[token] = logProb;
              const scaled = Array.from(lp, (v) => v / temperature);
              const ks = topKSet(scaled, topK);
              const restricted = scaled.map((v, i) => (ks.has(i) ? v : -Infinity));
              const allowed = topP > 0 ? topPSet(restricted, topP) : ks;
              assert.ok(allowed.has(t) && ks.has(t), `seed ${seed}: emitted ${t}, outside top-k ${topK} / top-p ${topP}`);
              checked++;
            });
          }
        }
      }
      assert.ok(checked > 50, `only ${checked} tokens checked`);
    }));
}
