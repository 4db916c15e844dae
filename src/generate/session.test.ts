/**
 * Incremental decoding equals full recomputation: DecodeSession (batched, rows of different
 * lengths, inactive rows, beam reorders and invalidated columns) against one full forward pass
 * per row and step over exactly the tokens that row should see, on every backend and both
 * cache kinds. Also the golden tiny/decode run through the infill API.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBackend } from '../backend/index.js';
import { readAll } from '../io/safetensors.js';
import { loadFolder } from '../io/checkpoint.js';
import type { GLMModel } from '../model/glm.js';
import { Rng } from '../util/rng.js';
import { goldenDir, maxAbs, maxAbsDiff, testBackends } from '../testing/helpers.js';
import { DecodeSession } from './session.js';
import { infill } from './infill.js';
import { logSoftmax } from './logits.js';
import { specialTokensFromConfig } from './tokens.js';
import { tinyModel } from '../testing/test-model.js';

interface Fed {
  col: number;
  token: number;
  pos: number;
  block: number;
}

/** Logits of the last of `fed` after `context`, by one full forward pass (sep = context length). */
function fullLastLogits(model: GLMModel, context: readonly number[], fed: readonly Fed[]): Float32Array {
  const C = context.length, S = C + fed.length, V = model.config.vocab_size;
  const ids = Int32Array.from([...context, ...fed.map((f) => f.token)]);
  const pos = new Int32Array(2 * S);
  for (let s = 0; s < C; s++) pos[s] = s;
  fed.forEach((f, i) => {
    pos[C + i] = f.pos;
    pos[S + C + i] = f.block;
  });
  const { logits } = model.forward({ batch: 1, seqLen: S, inputIds: ids, positionIds: pos, mask: { sep: Int32Array.of(C) } });
  return logits.f32.slice((S - 1) * V, S * V);
}

/** Incremental-vs-full tolerance: 1e-5 relative to the logits' scale (golden README: ≤ 1e-5). */
function close(got: Float32Array, want: Float32Array, what: string): void {
  const d = maxAbsDiff(got, want), tol = 1e-5 * Math.max(1, maxAbs(want));
  assert.ok(d <= tol, `${what}: incremental vs full recompute differ by ${d} (tolerance ${tol})`);
}

const decode = readAll(goldenDir('tiny', 'decode.safetensors'));

for (const be of testBackends()) {
  for (const kind of ['kv', 'mems'] as const) {
    test(`[${be.name}/${kind}] batched incremental decoding equals full recompute (different lengths, inactive rows, reorders)`, () =>
      withBackend(be, () => {
        const model = tinyModel({ hidden: 64, layers: 2, vocab: 96, maxSeq: 96, seed: 11 });
        const V = model.config.vocab_size;
        const rng = new Rng(5);
        const lens = [41, 17, 29];
        const contexts = lens.map((L) => Array.from({ length: L }, (_, i) => (i === 0 ? 1 : 10 + rng.int(80))));
        const session = DecodeSession.prefill(model, contexts, { padId: 0, cacheKind: kind });
        const hist: Fed[][] = contexts.map(() => []);
        const B = contexts.length;
        for (let step = 0; step < 28; step++) {
          const feed = { tokens: new Int32Array(B), positions: new Int32Array(B), blockPositions: new Int32Array(B), active: new Uint8Array(B) };
          const col = session.length;
          for (let b = 0; b < B; b++) {
            // Row 1 pauses every third step (a finished blank waiting for the others).
            feed.active[b] = b === 1 && step % 3 === 2 ? 0 : 1;
            feed.tokens[b] = 8 + rng.int(88);
            feed.positions[b] = rng.int(lens[b]!);
            feed.blockPositions[b] = 1 + (hist[b]!.length % 40);
            if (feed.active[b]) hist[b]!.push({ col, token: feed.tokens[b]!, pos: feed.positions[b]!, block: feed.blockPositions[b]! });
          }
          const logits = session.step(feed);
          for (let b = 0; b < B; b++) {
            if (!feed.active[b]) continue;
            close(logits.subarray(b * V, (b + 1) * V), fullLastLogits(model, contexts[b]!, hist[b]!), `step ${step}, row ${b}`);
          }
          if (step === 16) {
            // A finished beam search: row 0 forgets its last 6 columns.
            session.invalidate(0, col - 5);
            hist[0] = hist[0]!.filter((f) => f.col < col - 5);
          }
          if (step % 7 === 6) {
            // Rows 0 and 2 swap everything: cache, padding record and history.
            session.reorder(Int32Array.of(2, 1, 0));
            [hist[0], hist[2]] = [hist[2]!, hist[0]!];
            [contexts[0], contexts[2]] = [contexts[2]!, contexts[0]!];
            [lens[0], lens[2]] = [lens[2]!, lens[0]!];
          }
        }
        assert.ok(session.length > 41 + 25, 'the cache grew past the longest prompt');
      }));

    test(`[${be.name}/${kind}] beam-style reorder and row selection keep each row's history`, () =>
      withBackend(be, () => {
        const model = tinyModel({ hidden: 64, layers: 2, vocab: 96, maxSeq: 96, seed: 12 });
        const V = model.config.vocab_size;
        const ctx = [1, 20, 21, 3, 22, 23, 24, 25, 2];
        const session = DecodeSession.prefill(model, [ctx], { padId: 0, cacheKind: kind });
        session.select([0, 0, 0, 0]);
        const B = 4, rng = new Rng(9);
        let hist: Fed[][] = [[], [], [], []];
        for (let step = 0; step < 14; step++) {
          const col = session.length;
          const feed = { tokens: new Int32Array(B), positions: new Int32Array(B).fill(3), blockPositions: new Int32Array(B).fill(step + 1), active: new Uint8Array(B).fill(1) };
          for (let b = 0; b < B; b++) {
            feed.tokens[b] = 8 + rng.int(88);
            hist[b]!.push({ col, token: feed.tokens[b]!, pos: 3, block: step + 1 });
          }
          const logits = session.step(feed);
          for (let b = 0; b < B; b++) close(logits.subarray(b * V, (b + 1) * V), fullLastLogits(model, ctx, hist[b]!), `step ${step}, beam ${b}`);
          const perm = Int32Array.from({ length: B }, () => rng.int(B));
          session.reorder(perm);
          hist = Array.from(perm, (src) => [...hist[src]!]);
        }
        // Compaction to two rows keeps their histories too.
        session.select([3, 1]);
        hist = [hist[3]!, hist[1]!];
        const col = session.length;
        const logits = session.step({ tokens: Int32Array.of(40, 41), positions: Int32Array.of(3, 3), blockPositions: Int32Array.of(15, 15), active: Uint8Array.of(1, 1) });
        hist[0]!.push({ col, token: 40, pos: 3, block: 15 });
        hist[1]!.push({ col, token: 41, pos: 3, block: 15 });
        for (let b = 0; b < 2; b++) close(logits.subarray(b * V, (b + 1) * V), fullLastLogits(model, ctx, hist[b]!), `after select, row ${b}`);
      }));
  }

  test(`[${be.name}] golden tiny/decode through infill(): generated ids and step log-probs`, () =>
    withBackend(be, () => {
      const { model } = loadFolder(goldenDir('tiny'));
      const V = model.config.vocab_size;
      const ctx = [...(decode['full_input_ids']!.data as Int32Array).slice(0, 12)];
      const tokens = specialTokensFromConfig(model.config);
      for (const cacheKind of ['kv', 'mems'] as const) {
        const [r] = infill(model, [ctx], tokens, { maxLength: 5, cacheKind });
        const blank = r!.blanks[0]!;
        assert.deepEqual(blank.tokens, [...(decode['generated_ids']!.data as Int32Array)]);
        assert.equal(blank.maskPosition, 6);
        assert.equal(blank.stop, 'length');
        // log p of each generated token from the golden logits: prefill's last row, then steps 1..4.
        const rows = [(decode['prefill_logits']!.data as Float32Array).subarray(12 * V, 13 * V)];
        const step = decode['step_logits']!.data as Float32Array;
        for (let k = 0; k < 4; k++) rows.push(step.subarray(k * V, (k + 1) * V));
        rows.forEach((row, k) => {
          const want = logSoftmax(row)[blank.tokens[k]!]!;
          assert.ok(Math.abs(blank.logProbs[k]! - want) <= 1e-4, `${cacheKind} step ${k}: log-prob ${blank.logProbs[k]} vs golden ${want}`);
        });
      }
    }));
}

for (const be of testBackends()) {
  for (const kind of ['kv', 'mems'] as const) {
    test(`[${be.name}/${kind}] append (rows joining mid-decode) and compact equal full recompute`, () =>
      withBackend(be, () => {
        const model = tinyModel({ hidden: 64, layers: 2, vocab: 96, maxSeq: 96, seed: 13 });
        const V = model.config.vocab_size;
        const rng = new Rng(9);
        const ctx = (L: number): number[] => Array.from({ length: L }, (_, i) => (i === 0 ? 1 : 10 + rng.int(80)));
        const contexts = [ctx(12), ctx(30), ctx(7)];
        const hist: Fed[][] = contexts.map(() => []);
        // Row 0 decodes alone for 4 steps, then rows 1 (longer) and 2 (shorter) join.
        const session = DecodeSession.prefill(model, [contexts[0]!], { padId: 0, cacheKind: kind });
        const rows = [0];
        const stepAll = (what: string): void => {
          const B = session.batch;
          const feed = { tokens: new Int32Array(B), positions: new Int32Array(B), blockPositions: new Int32Array(B), active: new Uint8Array(B).fill(1) };
          rows.forEach((p, b) => {
            const f = { col: session.length, token: 10 + rng.int(80), pos: contexts[p]!.length - 1, block: hist[p]!.length + 1 };
            hist[p]!.push(f);
            feed.tokens[b] = f.token;
            feed.positions[b] = f.pos;
            feed.blockPositions[b] = f.block;
          });
          const logits = session.step(feed);
          rows.forEach((p, b) => close(logits.slice(b * V, (b + 1) * V), fullLastLogits(model, contexts[p]!, hist[p]!), `${what}, prompt ${p}`));
        };
        for (let s = 0; s < 4; s++) stepAll(`alone step ${s}`);
        assert.equal(session.append(DecodeSession.prefill(model, [contexts[1]!, contexts[2]!], { padId: 0, cacheKind: kind })), 1);
        rows.push(1, 2);
        for (let s = 0; s < 3; s++) stepAll(`joined step ${s}`);
        // Prompt 1 (the longest) leaves: its columns are now unused by every row and can go.
        session.select([0, 2]);
        rows.splice(1, 1);
        const before = session.length;
        const dropped = session.compact();
        assert.ok(dropped > 0 && session.length === before - dropped, `dropped ${dropped} of ${before} columns`);
        for (let s = 0; s < 3; s++) stepAll(`compacted step ${s}`);
      }));
  }
}
