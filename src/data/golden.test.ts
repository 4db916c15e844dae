/**
 * Example construction against the golden data: every case of ../shared/golden/blank/examples.json
 * and the three examples of tiny/forward.safetensors, rebuilt from their text and spans and
 * compared exactly (tokens, targets, loss mask, both position rows, sep), padded batch included.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { goldenDir } from '../testing/helpers.js';
import { readAll } from '../io/safetensors.js';
import { makeBlockData, type Span, type BlockExample } from './blocks.js';
import { BlockStrategy } from './objectives.js';
import { padBatch } from './batch.js';
import type { BlockVocab } from './vocab.js';

interface GoldenCase {
  name: string;
  kind: 'token' | 'sentence' | 'generation_suffix' | 'generation_infill';
  mask_token_id: number;
  input_tokens: number[];
  spans_part_b_order: Span[];
  document_loss_mask?: number[];
  generation_length?: number;
  sentence_spans?: Span[];
  sentence_order_after_shuffle?: Span[];
  mask_threshold?: number;
  spans_selected?: Span[];
  expected: { tokens: number[]; targets: number[]; loss_mask: number[]; position_ids: [number[], number[]]; sep: number };
}

/** The golden files' symbolic ids (README "Special token ids"); 9 is the only sentence end. */
function goldenVocab(size: number): BlockVocab {
  const sentenceEnd = new Uint8Array(size);
  sentenceEnd[9] = 1;
  return { pad: 0, cls: 1, eos: 2, mask: 3, sMask: 4, gMask: 5, sop: 6, eop: 7, size, sentenceEnd };
}

const vocab = goldenVocab(160);
const strategy = new BlockStrategy(vocab, { maxSeqLength: 48, taskMask: true });
const taskOf = { token: 'bert', sentence: 'gap_sentence', generation_infill: 'generation' } as const;

function build(c: Pick<GoldenCase, 'kind' | 'input_tokens' | 'spans_part_b_order' | 'document_loss_mask' | 'generation_length'>): BlockExample {
  if (c.kind === 'generation_suffix') {
    const lossMask = c.document_loss_mask ?? c.input_tokens.map((_, i) => (i === 0 ? 0 : 1));
    return strategy.suffixExample({ text: c.input_tokens, lossMask }, c.generation_length!);
  }
  const spans = c.spans_part_b_order.map((s) => [s[0], s[1]] as Span);
  return makeBlockData(c.input_tokens, spans, null, vocab, {
    task: taskOf[c.kind], shuffleBlocks: true, blockPositionEncoding: true, sentinelToken: false,
    randomPosition: false, maxSeqLength: 48, blockMaskProb: 0,
  }, true);
}

const examples = JSON.parse(fs.readFileSync(goldenDir('blank', 'examples.json'), 'utf8')) as { cases: GoldenCase[] };

test('golden blank/examples.json has the five documented cases', () => {
  assert.deepEqual(examples.cases.map((c) => c.name), ['worked_example_spec_1_4', 'three_spans', 'gmask_suffix', 'sentence_smask', 'gmask_single_infill']);
});

for (const c of examples.cases) {
  test(`golden blank example ${c.name} (${c.kind}) is reproduced exactly`, () => {
    const ex = build(c);
    assert.deepEqual(ex.tokens, c.expected.tokens, 'tokens');
    assert.deepEqual(ex.targets, c.expected.targets, 'targets');
    assert.deepEqual(ex.lossMask, c.expected.loss_mask, 'loss_mask');
    assert.deepEqual(ex.positions, c.expected.position_ids[0], 'positions');
    assert.deepEqual(ex.blockPositions, c.expected.position_ids[1], 'block positions');
    assert.equal(ex.sep, c.expected.sep, 'sep');
    // The mask token in Part A is the documented one.
    if (c.kind !== 'generation_suffix') assert.ok(ex.tokens.slice(0, ex.sep).includes(c.mask_token_id));
  });
}

test('golden sentence_smask: segmentation, shuffled selection up to the threshold', () => {
  const c = examples.cases.find((x) => x.kind === 'sentence')!;
  assert.deepEqual(strategy.sentenceSpans(c.input_tokens), c.sentence_spans);
  assert.equal(Math.floor(0.15 * c.input_tokens.length), c.mask_threshold);
  // The selection rule of spec §1.6 applied to the recorded shuffle.
  const chosen: Span[] = [];
  let len = 0;
  for (const s of c.sentence_order_after_shuffle!) {
    chosen.push(s);
    len += s[1] - s[0];
    if (len >= c.mask_threshold!) break;
  }
  assert.deepEqual(chosen, c.spans_selected);
  assert.deepEqual([...chosen].sort((a, b) => a[0] - b[0]).map((s) => s.join()).sort(), c.spans_part_b_order.map((s) => s.join()).sort());
});

/** Rebuilds a sample's text from a golden blank-infilling row: Part A with masks filled from Part B. */
function textFromRow(ids: number[], targets: number[], sep: number, spansBOrder: Span[]): number[] {
  const T = sep + spansBOrder.reduce((n, [s, e]) => n + (e - s - 1), 0);
  const text = new Array<number>(T).fill(-1);
  // Part B: span k's tokens are the targets of its slots (targets run span + [eop]).
  let at = sep;
  for (const [s, e] of spansBOrder) {
    for (let i = s; i < e; i++) text[i] = targets[at + (i - s)]!;
    at += e - s + 1;
  }
  // Part A: kept tokens in order around the masks.
  const sorted = [...spansBOrder].sort((a, b) => a[0] - b[0]);
  let a = 0, last = 0;
  for (const [s, e] of sorted) {
    for (let i = last; i < s; i++) text[i] = ids[a++]!;
    a++; // the mask token
    last = e;
  }
  for (let i = last; i < T; i++) text[i] = ids[a++]!;
  assert.ok(!text.includes(-1), 'text fully rebuilt');
  return text;
}

test('golden tiny/forward: the three examples rebuilt from their text and spans match input_ids, position_ids, targets, loss_mask, sep', () => {
  const g = readAll(goldenDir('tiny', 'forward.safetensors'));
  const [B, S] = g['input_ids']!.shape as [number, number];
  assert.equal(B, 3);
  const row = (name: string, b: number): number[] => Array.from((g[name]!.data as Int32Array).subarray(b * S, (b + 1) * S));
  const sep = Array.from(g['sep']!.data as Int32Array);
  const built: BlockExample[] = [];

  // 1. Token-level [MASK]: [CLS] + 20 tokens + [eos], spans [13,16), [2,4), [8,9) in Part-B order.
  const spans1: Span[] = [[13, 16], [2, 4], [8, 9]];
  const text1 = textFromRow(row('input_ids', 0), row('targets', 0), sep[0]!, spans1);
  assert.equal(text1.length, 22);
  assert.equal(text1[0], 1);
  assert.equal(text1[21], 2);
  built.push(build({ kind: 'token', input_tokens: text1, spans_part_b_order: spans1 }));

  // 2. Sentence-level [sMASK]: [CLS] a b . c d e f . g h . i j k l [eos]; [9,12) masked.
  const spans2: Span[] = [[9, 12]];
  const text2 = textFromRow(row('input_ids', 1), row('targets', 1), sep[1]!, spans2);
  assert.equal(text2.length, 17);
  assert.deepEqual(strategy.sentenceSpans(text2), [[1, 4], [4, 9], [9, 12]], 'the trailing fragment before eos is not a sentence');
  assert.equal(Math.floor(0.15 * 17), 2);
  built.push(build({ kind: 'sentence', input_tokens: text2, spans_part_b_order: spans2 }));

  // 3. Document-level [gMASK] suffix: [CLS] + 11 tokens + [eos], g = 6.
  const ids3 = row('input_ids', 2), tg3 = row('targets', 2);
  const text3 = [...ids3.slice(0, 7), ...tg3.slice(8, 14)];
  assert.equal(text3.length, 13);
  built.push(build({ kind: 'generation_suffix', input_tokens: text3, spans_part_b_order: [[7, 13]], generation_length: 6 }));

  const batch = padBatch(built);
  assert.equal(batch.input.seqLen, S);
  assert.deepEqual(Array.from(batch.input.inputIds), Array.from(g['input_ids']!.data as Int32Array));
  assert.deepEqual(Array.from(batch.input.positionIds), Array.from(g['position_ids']!.data as Int32Array));
  assert.deepEqual(Array.from(batch.targets), Array.from(g['targets']!.data as Int32Array));
  assert.deepEqual(Array.from(batch.lossMask), Array.from(g['loss_mask']!.data as Int32Array));
  assert.deepEqual(Array.from((batch.input.mask as { sep: Int32Array }).sep), sep);
  // valid = real lengths 28, 19, 14.
  assert.deepEqual(built.map((e) => e.tokens.length), [28, 19, 14]);
});
