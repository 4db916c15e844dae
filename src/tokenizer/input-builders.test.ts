/** Input builders (spec §3.3) against hand-worked examples, both layouts, and against the golden multiple-choice batch. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from './load.js';
import { buildGenerationInput, buildMultipleChoiceInput, collate, encodeSource, hubLabels, sourceFromIds } from './input-builders.js';
import { readAll } from '../io/safetensors.js';
import { goldenDir } from '../testing/helpers.js';
import { GlmError } from '../util/errors.js';
import type { SpecialTokenIdMap } from './types.js';

test('source text: [CLS] … eos per layout (BERT: [PAD] original, [SEP] hub; no eos after [gMASK] in original generation)', () => {
  const bert = loadTokenizer('glm-large');
  // "hello [MASK] world" = 7592 103 2088
  assert.deepEqual(encodeSource(bert, 'hello [MASK] world', { layout: 'original' }), [101, 7592, 103, 2088, 0]);
  assert.deepEqual(encodeSource(bert, 'hello [MASK] world', { layout: 'hub' }), [101, 7592, 103, 2088, 102]);
  // No mask in the text: the original appends " [MASK]" (BERT has no task masks).
  assert.deepEqual(encodeSource(bert, 'hello world', { layout: 'original' }), [101, 7592, 2088, 103, 0]);
  const gpt = loadTokenizer('glm-10b');
  // "Tsinghua [gMASK]" = 51 12215 33061 50263 (data-sources §5.3)
  assert.deepEqual(encodeSource(gpt, 'Tsinghua [gMASK]', { layout: 'original' }), [50259, 51, 12215, 33061, 50263]);
  assert.deepEqual(encodeSource(gpt, 'Tsinghua [gMASK]', { layout: 'hub' }), [50259, 51, 12215, 33061, 50263, 50256]);
  assert.deepEqual(encodeSource(gpt, 'Tsinghua', { layout: 'original' }), [50259, 51, 12215, 33061, 50263]);
  assert.deepEqual(encodeSource(gpt, 'Tsinghua [gMASK]', { layout: 'original', eosAfterGMask: true }), [50259, 51, 12215, 33061, 50263, 50256]);
});

test('generation input, inference: [sop] at the mask position, block positions 1..G', () => {
  const g = loadTokenizer('glm-10b').special;
  const hub = buildGenerationInput(g, [50259, 51, 12215, 33061, 50263, 50256], { layout: 'hub', maxGenLength: 3 });
  assert.deepEqual(hub, {
    inputIds: [50259, 51, 12215, 33061, 50263, 50256, 50257],
    positionIds: [0, 1, 2, 3, 4, 5, 4, 4, 4],
    blockPositionIds: [0, 0, 0, 0, 0, 0, 1, 2, 3],
    sep: 6,
    maskPosition: 4,
  });
  const orig = buildGenerationInput(g, [50259, 51, 12215, 33061, 50263], { layout: 'original', maxGenLength: 2 });
  assert.deepEqual(orig.inputIds, [50259, 51, 12215, 33061, 50263, 50257]);
  assert.deepEqual(orig.positionIds, [0, 1, 2, 3, 4, 4, 4]);
  assert.deepEqual(orig.blockPositionIds, [0, 0, 0, 0, 0, 1, 2]);
  assert.equal(orig.sep, 5);
});

test('first mask (hub) vs last mask (original)', () => {
  const s: SpecialTokenIdMap = { pad: 0, eos: 2, cls: 1, mask: 3, sep: 8, unk: 9, sop: 6, eop: 7, sMask: 4, gMask: 5 };
  const src = [1, 10, 3, 11, 4, 12, 2]; // [MASK] at 2, [sMASK] at 4
  assert.equal(buildGenerationInput(s, src, { layout: 'hub', maxGenLength: 1 }).maskPosition, 2);
  assert.equal(buildGenerationInput(s, src, { layout: 'original', maxGenLength: 1 }).maskPosition, 4);
  assert.throws(() => buildGenerationInput(s, [1, 10, 2], { layout: 'hub', maxGenLength: 1 }), (e: unknown) => e instanceof GlmError && e.code === 'E_INPUT_NO_MASK');
});

test('generation input, training: target + [eop], shifted inputs, padding to G, hub labels', () => {
  const s: SpecialTokenIdMap = { pad: 0, eos: 2, cls: 1, mask: 3, sep: 8, unk: 9, sop: 6, eop: 7 };
  const src = sourceFromIds(s, [10, 3, 11], { layout: 'hub' }); // [1, 10, 3, 11, 2]
  assert.deepEqual(src, [1, 10, 3, 11, 2]);
  const e = buildGenerationInput(s, src, { layout: 'hub', maxGenLength: 5, target: [20, 21] });
  assert.deepEqual(e.inputIds, [1, 10, 3, 11, 2, 6, 20, 21]);
  assert.deepEqual(e.targets, [0, 0, 0, 0, 0, 20, 21, 7]);
  assert.deepEqual(e.lossMask, [0, 0, 0, 0, 0, 1, 1, 1]);
  assert.deepEqual(e.positionIds, [0, 1, 2, 3, 4, 2, 2, 2]);
  assert.deepEqual(e.blockPositionIds, [0, 0, 0, 0, 0, 1, 2, 3]);
  assert.deepEqual(hubLabels(e), [-100, -100, -100, -100, -100, 20, 21, 7]);
  const p = buildGenerationInput(s, src, { layout: 'hub', maxGenLength: 5, target: [20, 21], padding: true });
  assert.deepEqual(p.inputIds, [1, 10, 3, 11, 2, 6, 20, 21, 7, 0]);
  assert.deepEqual(p.lossMask, [0, 0, 0, 0, 0, 1, 1, 1, 0, 0]);
  assert.deepEqual(p.blockPositionIds.slice(5), [1, 2, 3, 4, 5]);
  // Truncated to G: the [eop] falls off.
  assert.deepEqual(buildGenerationInput(s, src, { layout: 'hub', maxGenLength: 2, target: [20, 21, 22] }).targets!.slice(5), [20, 21]);
});

test('multiple choice, hand-worked: hub one row with a block-diagonal mask, original one row per choice with [eop]', () => {
  const bert = loadTokenizer('glm-large');
  const s = bert.special;
  const yes = bert.encode('yes'), noThanks = bert.encode('no thanks');
  assert.deepEqual([yes, noThanks], [[2748], [2053, 4283]]);
  const hub = buildMultipleChoiceInput(s, encodeSource(bert, 'hello [MASK] world', { layout: 'hub' }), [yes, noThanks], { layout: 'hub' });
  assert.equal(hub.rows.length, 1);
  assert.deepEqual(hub.rows[0]!.inputIds, [101, 7592, 103, 2088, 102, 30522, 30522, 2053]);
  assert.deepEqual(hub.rows[0]!.positionIds, [0, 1, 2, 3, 4, 2, 2, 2]);
  assert.deepEqual(hub.rows[0]!.blockPositionIds, [0, 0, 0, 0, 0, 1, 1, 2]);
  assert.deepEqual(hub.choices, [{ row: 0, indices: [5], targets: [2748] }, { row: 0, indices: [6, 7], targets: [2053, 4283] }]);
  assert.deepEqual(hub.rows[0]!.attentionMask, [
    [1, 1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 1, 0, 0, 0],
    [1, 1, 1, 1, 1, 1, 0, 0],
    [1, 1, 1, 1, 1, 0, 1, 0],
    [1, 1, 1, 1, 1, 0, 1, 1],
  ]);
  const orig = buildMultipleChoiceInput(s, encodeSource(bert, 'hello [MASK] world', { layout: 'original' }), [yes, noThanks], { layout: 'original' });
  assert.equal(orig.rows.length, 2);
  assert.deepEqual(orig.rows[1], {
    inputIds: [101, 7592, 103, 2088, 0, 30522, 2053, 4283],
    positionIds: [0, 1, 2, 3, 4, 2, 2, 2],
    blockPositionIds: [0, 0, 0, 0, 0, 1, 2, 3],
    sep: 5,
    targets: [0, 0, 0, 0, 0, 2053, 4283, 30523],
    lossMask: [0, 0, 0, 0, 0, 1, 1, 1],
  });
  assert.deepEqual(orig.choices[0], { row: 0, indices: [5, 6], targets: [2748, 30523] });
  // Collating the two original rows pads ids with eos (0) and positions with 0; sep stays per row.
  const batch = collate(orig.rows, { padId: s.eos });
  assert.equal(batch.input.seqLen, 8);
  assert.deepEqual([...batch.input.inputIds.slice(0, 8)], [101, 7592, 103, 2088, 0, 30522, 2748, 0]);
  assert.deepEqual('sep' in batch.input.mask ? [...batch.input.mask.sep] : null, [5, 5]);
});

test('hub multiple choice reproduces the golden tiny/explicit_mask batch exactly', () => {
  const g = readAll(goldenDir('tiny', 'explicit_mask.safetensors'));
  const ids = g['input_ids']!.data as Int32Array, pos = g['position_ids']!.data as Int32Array;
  const mask = g['attention_mask']!.data as Float32Array, choiceIndex = g['choice_index']!.data as Int32Array, choiceTokens = g['choice_tokens']!.data as Int32Array;
  const [B, S] = g['input_ids']!.shape as [number, number];
  const s: SpecialTokenIdMap = { pad: 0, eos: 2, cls: 1, mask: 3, sep: 8, unk: 9, sop: 6, eop: 7, sMask: 4, gMask: 5 };
  const contexts = [10, 8];
  const rows = [];
  for (let b = 0; b < B; b++) {
    const C = contexts[b]!;
    const source = [...ids.slice(b * S, b * S + C)];
    const choices: number[][] = [];
    for (let k = 0; k < 3; k++) choices.push([...choiceTokens.slice((b * 3 + k) * 4, (b * 3 + k + 1) * 4)].filter((t) => t >= 0));
    const mc = buildMultipleChoiceInput(s, source, choices, { layout: 'hub' });
    mc.choices.forEach((c, k) => assert.deepEqual(c.indices, [...choiceIndex.slice((b * 3 + k) * 4, (b * 3 + k + 1) * 4)].filter((t) => t >= 0), `sample ${b} choice ${k}`));
    rows.push(mc.rows[0]!);
  }
  const batch = collate(rows, { padId: 0 });
  assert.equal(batch.input.seqLen, S);
  const m = batch.input.mask;
  assert.ok('attentionMask' in m);
  const valid = [19, 14];
  for (let b = 0; b < B; b++) {
    const n = valid[b]!;
    assert.deepEqual([...batch.input.inputIds.slice(b * S, b * S + n)], [...ids.slice(b * S, b * S + n)], `ids ${b}`);
    for (let r = 0; r < 2; r++) assert.deepEqual([...batch.input.positionIds.slice((b * 2 + r) * S, (b * 2 + r) * S + n)], [...pos.slice((b * 2 + r) * S, (b * 2 + r) * S + n)], `pos ${b},${r}`);
    for (let i = 0; i < S; i++) for (let j = 0; j < S; j++) assert.equal(m.attentionMask[(b * S + i) * S + j], mask[(b * S + i) * S + j], `mask ${b},${i},${j}`);
  }
});
