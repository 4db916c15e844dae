/**
 * Statistical and structural tests of the objectives over 10,000 generated examples each
 * (generation only, no model): span lengths vs the truncated Poisson(3) by chi-square, masked
 * fraction and its exact expected mean, no span over eos / [CLS], Part B layout, whole
 * sentences, [gMASK] lengths in range, plus the ablation switches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockSampler } from './sampler.js';
import { BlockStrategy, spanLengthWeights, type ExampleBatch } from './objectives.js';
import type { RawSample } from './blocks.js';
import { chiSquareSf, chiSquareTest, stoppedSumMoments } from './stats.js';
import { checkBlockExample, syntheticSource, syntheticVocab } from '../testing/data.js';
import { padBatch } from './batch.js';
import { PyRandom } from './pyrandom.js';

const v = syntheticVocab();
const N = 10_000;
const BATCH = 4;

function run(strategy: BlockStrategy, sampler: BlockSampler, batches: number, fn: (b: ExampleBatch, samples: RawSample[]) => void): void {
  for (let k = 0; k < batches; k++) {
    const samples = Array.from({ length: BATCH }, (_, j) => sampler.sample(k * BATCH + j));
    fn(strategy.constructBlocks(samples, k), samples);
  }
}

test('chi-square p-values agree with scipy (chi2.sf)', () => {
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)) || Math.abs(a / b - 1) < 1e-9;
  assert.ok(close(chiSquareSf(3.841458820694124, 1), 0.05));
  assert.ok(close(chiSquareSf(18.307038053275146, 10), 0.05));
  assert.ok(close(chiSquareSf(50, 9), 1.0772382022574693e-07));
  assert.ok(close(chiSquareSf(0.5, 3), 0.9188914116546758));
  assert.ok(close(chiSquareSf(200, 38), 7.067548071417514e-24));
  // scipy poisson.pmf(k, 3)
  const w = spanLengthWeights(3, 40);
  assert.equal(w.length, 39);
  assert.ok(Math.abs(w[0]! - 0.14936120510359185) < 1e-15 && Math.abs(w[2]! - 0.22404180765538775) < 1e-15);
  assert.ok(Math.abs(w[38]! / 9.89146028321656e-30 - 1) < 1e-12);
});

test('token-level: 10,000 examples — span lengths ~ truncated Poisson(3) (chi-square), masked ≥ int(0.15·T) with the exact expected mean', (t) => {
  // Long documents: samples are single-document crops, where nothing is dropped.
  const src = syntheticSource(300, 400, 2000, 7);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 256 });
  const strategy = new BlockStrategy(v, { maxSeqLength: 256 });
  const hist = new Array<number>(39).fill(0);
  let examples = 0, dropped = 0, masked = 0, expMean = 0, expVar = 0, fracSum = 0;
  const moments = new Map<number, { mean: number; variance: number }>();
  const w = spanLengthWeights(3, 40);
  run(strategy, sampler, N / BATCH, (b, samples) => {
    assert.equal(b.mode, 'bert');
    dropped += b.dropped;
    b.examples.forEach((ex, i) => {
      const text = samples[i]!.text, T = text.length;
      checkBlockExample(text, ex, v, () => v.mask);
      let m = 0;
      for (const [s, e] of ex.spans!) {
        const len = e - s;
        assert.ok(len >= 1 && len <= 39, `span length ${len} in 1..39`);
        hist[len - 1]!++;
        m += len;
      }
      const need = Math.floor(0.15 * T);
      assert.ok(m >= need, `masked ${m} ≥ int(0.15·${T}) = ${need}`);
      if (!moments.has(need)) moments.set(need, stoppedSumMoments(w, need));
      const mo = moments.get(need)!;
      masked += m;
      expMean += mo.mean;
      expVar += mo.variance;
      fracSum += m / T;
      examples++;
    });
  });
  assert.equal(dropped, 0, 'no sample dropped on single-document crops');
  assert.equal(examples, N);
  const chi = chiSquareTest(hist, w);
  assert.ok(chi.df >= 8, `enough bins (${chi.df + 1})`);
  assert.ok(chi.p > 0.001, `chi-square ${chi.stat.toFixed(2)} on ${chi.df} df, p = ${chi.p}`);
  // Σ masked vs its exact expectation: |z| < 4.
  const z = (masked - expMean) / Math.sqrt(expVar);
  assert.ok(Math.abs(z) < 4, `masked total ${masked} vs expected ${expMean.toFixed(1)} (z = ${z.toFixed(2)})`);
  const meanFrac = fracSum / examples;
  assert.ok(meanFrac >= 0.15 && meanFrac < 0.2, `mean masked fraction ${meanFrac.toFixed(4)}`);
  t.diagnostic(`${hist.reduce((a, b) => a + b, 0)} spans: chi-square ${chi.stat.toFixed(2)} on ${chi.df} df, p = ${chi.p.toFixed(4)}; masked ${(masked / examples).toFixed(2)} tokens per example vs exact expectation ${(expMean / examples).toFixed(2)} (z = ${z.toFixed(2)}); mean fraction ${meanFrac.toFixed(4)}`);
});

test('chi-square detects a wrong span-length distribution (the test can fail)', () => {
  // Lengths drawn from Poisson(3.3) truncated, tested against Poisson(3).
  const rng = new PyRandom(5);
  const wrong = spanLengthWeights(3.3, 40);
  const cum: number[] = [];
  wrong.reduce((a, x) => (cum.push(a + x), a + x), 0);
  const hist = new Array<number>(39).fill(0);
  for (let i = 0; i < 130_000; i++) hist[rng.choiceIndex(cum)]!++;
  assert.ok(chiSquareTest(hist, spanLengthWeights(3, 40)).p < 1e-6);
});

test('token-level, multi-document samples: no span covers eos, [CLS] or a cut-off last token; layout checked on 10,000 examples', (t) => {
  const src = syntheticSource(2000, 3, 60, 11);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 128 });
  const strategy = new BlockStrategy(v, { maxSeqLength: 128 });
  let examples = 0, dropped = 0, multi = 0;
  let k = 0;
  while (examples < N) {
    const samples = Array.from({ length: BATCH }, (_, j) => sampler.sample(k * BATCH + j));
    const b = strategy.constructBlocks(samples, k++);
    dropped += b.dropped;
    // Dropped samples leave no trace; match examples to samples by rebuilding each one's text.
    const left = [...samples];
    for (const ex of b.examples) {
      const idx = left.findIndex((s) => s.text.length + 2 * ex.spans!.length === ex.tokens.length && sameKept(s.text, ex));
      assert.ok(idx >= 0, 'example belongs to a sample');
      const text = left.splice(idx, 1)[0]!.text;
      checkBlockExample(text, ex, v, () => v.mask);
      if (text.slice(0, -1).includes(v.eos)) multi++;
      const T = text.length;
      for (const [s, e] of ex.spans!) {
        for (let i = s; i < e; i++) {
          assert.notEqual(text[i], v.eos, 'span covers eos');
          assert.notEqual(text[i], v.cls, 'span covers [CLS]');
        }
        if (text[T - 1] !== v.eos) assert.ok(e <= T - 1, 'the last token of a cut-off document is never masked');
      }
      examples++;
    }
  }
  assert.ok(multi > N / 2, `most samples hold several documents (${multi})`);
  // Short documents make some span sets not fit; the original drops those samples (spec §1.3 step 7).
  assert.ok(dropped < examples / 5, `dropped ${dropped} of ${examples + dropped}`);
  t.diagnostic(`${multi} multi-document samples; ${dropped} of ${examples + dropped} samples dropped because their spans did not fit`);
});

/** Part A tokens outside the masks equal the text outside the spans. */
function sameKept(text: readonly number[], ex: { tokens: number[]; sep: number; spans?: [number, number][] }): boolean {
  const inSpan = new Uint8Array(text.length);
  for (const [s, e] of ex.spans!) {
    if (e > text.length) return false;
    for (let i = s; i < e; i++) inSpan[i] = 1;
  }
  const kept: number[] = [];
  let prevMasked = false;
  for (let i = 0; i < text.length; i++) {
    if (!inSpan[i]) {
      kept.push(text[i]!);
      prevMasked = false;
    } else if (!prevMasked || ex.spans!.some(([s]) => s === i)) {
      kept.push(-1);
      prevMasked = true;
    }
  }
  if (kept.length !== ex.sep) return false;
  return kept.every((t, i) => t === -1 || t === ex.tokens[i]);
}

test('sentence-level: 10,000 examples — spans are whole sentences, taken until ≥ int(0.15·T), [sMASK] in Part A', () => {
  const src = syntheticSource(1500, 5, 400, 13);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 192 });
  const strategy = new BlockStrategy(v, { maxSeqLength: 192, bertProb: 0, gapSentenceProb: 1, taskMask: true });
  let examples = 0;
  run(strategy, sampler, N / BATCH, (b, samples) => {
    assert.equal(b.mode, 'sentence');
    b.examples.forEach((ex, i) => {
      const text = samples[i]!.text, T = text.length;
      checkBlockExample(text, ex, v, () => v.sMask);
      const sentences = new Set(strategy.sentenceSpans(text).map((s) => s.join()));
      let masked = 0;
      for (const [s, e] of ex.spans!) {
        assert.ok(sentences.has(`${s},${e}`), `span [${s},${e}) is one sentence`);
        // A sentence starts after [CLS], a sentence end or an eos, and ends at a sentence end or the sample end.
        assert.ok(s === 1 || v.sentenceEnd[text[s - 1]!] === 1 || text[s - 1] === v.eos, 'starts at a sentence boundary');
        assert.ok(v.sentenceEnd[text[e - 1]!] === 1 || e === T, 'ends at a sentence end');
        for (let j = s; j < e - 1; j++) assert.ok(v.sentenceEnd[text[j]!] !== 1 && text[j] !== v.eos, 'no boundary inside');
        masked += e - s;
      }
      const need = Math.floor(0.15 * T);
      const last = ex.spans!.length;
      // Taken until the threshold: without the last-chosen sentence it was still below.
      assert.ok(masked >= need || last === sentences.size, `masked ${masked} ≥ ${need}`);
      examples++;
    });
  });
  assert.equal(examples, N);
});

test('document-level: 10,000 examples — G in [int(r·min_len), max_len−2], g = min(G, T−2), both branches laid out per spec §1.7', (t) => {
  const src = syntheticSource(1500, 5, 300, 17);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 160 });
  const ratio = 0.25;
  const strategy = new BlockStrategy(v, { maxSeqLength: 160, bertProb: 0, gapSentenceProb: 0, taskMask: true, gptMinRatio: ratio });
  let examples = 0, singleDoc = 0, singleSuffix = 0;
  run(strategy, sampler, N / BATCH, (b, samples) => {
    assert.equal(b.mode, 'gpt');
    const lens = samples.map((s) => s.text.length);
    const G = b.generationLength!;
    assert.ok(G >= Math.floor(ratio * Math.min(...lens)) && G <= Math.max(...lens) - 2, `G = ${G} in range`);
    b.examples.forEach((ex, i) => {
      const text = samples[i]!.text, T = text.length;
      const g = Math.min(G, T - 2);
      assert.equal(ex.sep, T - g + 1, 'sep = T − g + 1');
      const firstEos = text.indexOf(v.eos);
      const multiDoc = firstEos !== -1 && firstEos !== T - 1;
      if (multiDoc) assert.ok(b.suffix![i], 'multi-document samples take the suffix branch');
      else {
        singleDoc++;
        if (b.suffix![i]) singleSuffix++;
      }
      if (b.suffix![i]) {
        const src0 = text.slice(0, T - g);
        assert.deepEqual(ex.tokens, [...src0, v.gMask, v.sop, ...text.slice(T - g, T - 1)]);
        assert.deepEqual(ex.targets, [...src0, v.gMask, ...text.slice(T - g)], 'no [eop]: the target runs to the end');
        assert.deepEqual(ex.positions, [...src0.map((_, j) => j), ...new Array<number>(g + 1).fill(T - g)]);
        assert.deepEqual(ex.blockPositions, [...new Array<number>(T - g).fill(0), ...Array.from({ length: g + 1 }, (_, j) => j)]);
        assert.deepEqual(ex.lossMask, [...new Array<number>(T - g + 1).fill(0), ...samples[i]!.lossMask.slice(T - g)]);
      } else {
        assert.equal(ex.spans!.length, 1);
        assert.equal(ex.spans![0]![1] - ex.spans![0]![0], g, 'one span of g tokens');
        checkBlockExample(text, ex, v, () => v.gMask);
      }
      examples++;
    });
  });
  assert.equal(examples, N);
  // Single-document samples take the suffix branch with probability gpt_infill_prob = 0.5.
  const p = singleSuffix / singleDoc, se = Math.sqrt(0.25 / singleDoc);
  assert.ok(singleDoc > 1000 && Math.abs(p - 0.5) < 4 * se, `suffix share ${p.toFixed(3)} of ${singleDoc}`);
  t.diagnostic(`single-document samples: ${singleDoc}, suffix branch share ${p.toFixed(3)}`);
});

test('objective mixture: mode frequencies follow bert/sentence/gpt probabilities (0.4/0.3/0.3)', () => {
  const src = syntheticSource(500, 5, 300, 19);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 96 });
  const strategy = new BlockStrategy(v, { maxSeqLength: 96, bertProb: 0.4, gapSentenceProb: 0.3, taskMask: true });
  const count: Record<string, number> = { bert: 0, sentence: 0, gpt: 0 };
  const n = 3000;
  run(strategy, sampler, n, (b) => count[b.mode]!++);
  const chi = chiSquareTest([count['bert']!, count['sentence']!, count['gpt']!], [0.4, 0.3, 0.3]);
  assert.ok(chi.p > 0.001, `modes ${JSON.stringify(count)}, p = ${chi.p}`);
});

test('ablations: no shuffling keeps Part B in text order; no block positions gives all 1; sentinel ids and positions; masked LM; causal LM', () => {
  const src = syntheticSource(300, 100, 600, 23);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 128 });
  const samples = Array.from({ length: 8 }, (_, i) => sampler.sample(i));

  const noShuffle = new BlockStrategy(v, { maxSeqLength: 128, shuffleBlocks: false }).constructBlocks(samples, 0);
  let shuffledSomewhere = false;
  const shuffled = new BlockStrategy(v, { maxSeqLength: 128 }).constructBlocks(samples, 0);
  for (const ex of noShuffle.examples) {
    const starts = ex.spans!.map((s) => s[0]);
    assert.deepEqual(starts, [...starts].sort((a, b) => a - b));
  }
  for (const ex of shuffled.examples) {
    const starts = ex.spans!.map((s) => s[0]);
    if (starts.some((s, i) => i > 0 && s < starts[i - 1]!)) shuffledSomewhere = true;
  }
  assert.ok(shuffledSomewhere, 'the default shuffles Part B');

  for (const ex of new BlockStrategy(v, { maxSeqLength: 128, blockPositionEncoding: false }).constructBlocks(samples, 0).examples) {
    assert.ok(ex.blockPositions.slice(ex.sep).every((x) => x === 1));
    assert.ok(ex.blockPositions.slice(0, ex.sep).every((x) => x === 0));
  }
  const noBlockGpt = new BlockStrategy(v, { maxSeqLength: 128, bertProb: 0, gptInfillProb: 1, blockPositionEncoding: false }).constructBlocks(samples, 0);
  for (const ex of noBlockGpt.examples) {
    assert.equal(ex.blockPositions.length, ex.tokens.length, 'suffix rows have the sample length (the original is one too long)');
    assert.ok(ex.blockPositions.slice(ex.sep).every((x) => x === 1));
  }

  const sent = new BlockStrategy(v, { maxSeqLength: 128, sentinelToken: true }).constructBlocks(samples, 0);
  for (const ex of sent.examples) {
    const partB = ex.tokens.slice(ex.sep);
    ex.spans!.forEach((_, k) => {
      const sopId = k === 0 ? v.sop : v.sentinelBase! + 2 * (k - 1) + 1;
      const maskId = k === 0 ? v.mask : v.sentinelBase! + 2 * (k - 1);
      assert.ok(partB.includes(sopId), `sop${k}`);
      assert.ok(ex.tokens.slice(0, ex.sep).includes(maskId), `MASK${k}`);
    });
    assert.ok(ex.positions.slice(ex.sep).every((p) => p === 128), 'Part B positions = max_seq_length');
  }

  const mlm = new BlockStrategy(v, { maxSeqLength: 128, maskedLm: true }).constructBlocks(samples, 0);
  mlm.examples.forEach((ex) => {
    assert.equal(ex.sep, ex.tokens.length, 'bidirectional over the whole sample');
    for (const [s, e] of ex.spans!) for (let i = s; i < e; i++) assert.equal(ex.tokens[i], v.mask);
    ex.lossMask.forEach((m, i) => { if (m) assert.equal(ex.tokens[i], v.mask); });
    assert.deepEqual(ex.positions, ex.tokens.map((_, i) => i));
  });

  const causal = new BlockStrategy(v, { maxSeqLength: 128, causalLm: true }).constructBlocks(samples, 0);
  causal.examples.forEach((ex, i) => {
    assert.equal(causal.mode, 'causal');
    assert.equal(ex.sep, 0);
    assert.deepEqual(ex.tokens, samples[i]!.text.slice(0, -1));
    assert.deepEqual(ex.targets, samples[i]!.text.slice(1));
  });
});

test('block_mask_prob replaces Part-B inputs (never [sop], never targets) with [dBLOCK], reproducibly', () => {
  const src = syntheticSource(300, 100, 600, 29);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 128 });
  const samples = Array.from({ length: 8 }, (_, i) => sampler.sample(i));
  const s = new BlockStrategy(v, { maxSeqLength: 128, blockMaskProb: 0.1 });
  const a = s.constructBlocks(samples, 3), b = s.constructBlocks(samples, 3);
  assert.deepEqual(a, b, 'same batch index, same batch');
  let dBlocks = 0, partB = 0;
  for (const ex of a.examples) {
    for (let i = ex.sep; i < ex.tokens.length; i++) {
      if (ex.blockPositions[i] === 1) assert.equal(ex.tokens[i], v.sop);
      else {
        partB++;
        if (ex.tokens[i] === v.dBlock) dBlocks++;
      }
      assert.notEqual(ex.targets[i], v.dBlock);
    }
  }
  assert.ok(dBlocks > 0 && dBlocks < partB * 0.3, `${dBlocks} of ${partB}`);
});

test('short-sequence splitting: k windows per sample, each starting with [CLS]; the batch grows k-fold', () => {
  const src = syntheticSource(300, 200, 800, 31);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 256 });
  const samples = Array.from({ length: 4 }, (_, i) => sampler.sample(i));
  const s = new BlockStrategy(v, { maxSeqLength: 256, shortSeqProb: 1 });
  for (let k = 0; k < 20; k++) {
    const b = s.constructBlocks(samples, k);
    assert.ok(b.examples.length + b.dropped >= samples.length);
    assert.equal((b.examples.length + b.dropped) % samples.length, 0);
    for (const ex of b.examples) assert.equal(ex.tokens[0], v.cls);
  }
});

test('padBatch right-pads with 0 and keeps sep per sample', () => {
  const src = syntheticSource(50, 20, 200, 37);
  const sampler = new BlockSampler(src, v, { maxSeqLength: 64 });
  const samples = Array.from({ length: 4 }, (_, i) => sampler.sample(i));
  const b = new BlockStrategy(v, { maxSeqLength: 64, bertProb: 0 }).constructBlocks(samples, 1);
  const p = padBatch(b.examples);
  const S = p.input.seqLen;
  b.examples.forEach((ex, i) => {
    for (let j = ex.tokens.length; j < S; j++) {
      assert.equal(p.input.inputIds[i * S + j], 0);
      assert.equal(p.lossMask[i * S + j], 0);
      assert.equal(p.input.positionIds[i * 2 * S + j], 0);
      assert.equal(p.input.positionIds[i * 2 * S + S + j], 0);
    }
    assert.equal((p.input.mask as { sep: Int32Array }).sep[i], ex.sep);
  });
});
