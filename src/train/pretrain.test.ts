/**
 * `glm pretrain` end to end on a tiny config and corpus (the shortened pretraining CI runs):
 * output folder contents, validation loss falling, the saved model reloading, resume of a
 * finished run, the memory refusal, and flag validation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPretrain, type PretrainRunOptions } from './pretrain-run.js';
import { FakeTokenizer } from '../testing/data.js';
import { loadFolder } from '../io/checkpoint.js';
import { isGlmError } from '../util/errors.js';
import { mixture } from '../cli/pretrain.js';
import { MetricsLog } from './metrics.js';

const WORDS = 'the a ship sea whale captain ahab ishmael sailed over and into great white storm night day old man boat harpoon deck wind waves crew'.split(' ');

function corpus(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-pt-corpus-'));
  let s = 7;
  const rnd = (n: number): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
  for (let f = 0; f < 40; f++) {
    const sentences: string[] = [];
    for (let k = 0; k < 30; k++) {
      // A little structure to learn: "the <noun> sailed over the <noun>."
      const n1 = WORDS[3 + rnd(6)]!, n2 = WORDS[3 + rnd(6)]!;
      sentences.push(rnd(2) ? `the ${n1} sailed over the ${n2}.` : `${WORDS[rnd(WORDS.length)]} ${n1} and ${n2} ${WORDS[rnd(WORDS.length)]}!`);
    }
    fs.writeFileSync(path.join(dir, `doc${f}.txt`), sentences.join(' ') + '\n');
  }
  return dir;
}

function tinyConfig(dir: string): string {
  const f = path.join(dir, 'tiny.json');
  fs.writeFileSync(f, JSON.stringify({ num_layers: 2, vocab_size: 128, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 48 }));
  return f;
}

function options(out: string, data: string, cfg: string, cache: string): PretrainRunOptions {
  return {
    config: cfg, data: [data], tokenizer: new FakeTokenizer(WORDS), cacheDir: cache, out, steps: 30, batch: 8, seq: 48, lr: 1e-2,
    warmup: 0.1, decayStyle: 'cosine', decayRatio: 0.1, weightDecay: 0.01, clip: 1, gradAccumulation: 1, validFraction: 0.1,
    evalInterval: 10, evalBatches: 4, checkpointInterval: 10, keepCheckpoints: 2, seed: 3, resume: false, samples: 2, progress: false,
    objective: { bertProb: 0.5, gapSentenceProb: 0.25, taskMask: true }, log: () => {},
  };
}

test('glm pretrain (tiny): writes model, checkpoints, metrics and curve; validation loss falls; the model reloads', { timeout: 300_000 }, async () => {
  const data = corpus();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-pt-'));
  const out = path.join(work, 'out');
  const r = await runPretrain(options(out, data, tinyConfig(work), path.join(work, 'cache')));
  assert.equal(r.train.steps, 30);
  assert.ok(r.train.initialValidLoss! > r.train.finalValidLoss! + 0.5, `validation loss ${r.train.initialValidLoss} → ${r.train.finalValidLoss}`);
  for (const f of ['model/config.json', 'model/model.safetensors', 'metrics.jsonl', 'loss-curve.svg', 'checkpoints/step-00000030/state.json']) {
    assert.ok(fs.existsSync(path.join(out, f)), f);
  }
  assert.equal(fs.readdirSync(path.join(out, 'checkpoints')).length, 2, 'keeps the last 2 checkpoints');
  const recs = new MetricsLog(path.join(out, 'metrics.jsonl')).read();
  assert.equal(recs.filter((x) => x.type === 'train').length, 30);
  assert.deepEqual(recs.filter((x) => x.type === 'valid').map((x) => x.step), [0, 10, 20, 30]);
  const { model } = loadFolder(path.join(out, 'model'));
  assert.equal(model.config.num_layers, 2);
  assert.equal(r.samples.length, 2);
  assert.ok(r.samples.every((s) => s.prompt.includes('[MASK]')));
  // The run trained the document objective (gpt share 0.25), so it also prints [gMASK] continuations.
  assert.equal(r.continuations.length, 1);
  assert.ok(r.continuations[0]!.original.length > 0 && !r.continuations[0]!.prompt.includes('[gMASK]'));
  assert.ok(r.dataExamplesPerSecond > r.trainExamplesPerSecond, 'the data pipeline outpaces training');
  assert.equal(r.corpus.cached, false);

  // Resuming a finished run with more steps continues from its last checkpoint and reuses the token store.
  const more = await runPretrain({ ...options(out, data, tinyConfig(work), path.join(work, 'cache')), steps: 34, resume: true });
  assert.equal(more.train.startStep, 30);
  assert.equal(more.train.steps, 34);
  assert.equal(more.corpus.cached, true);
  fs.rmSync(work, { recursive: true, force: true });
  fs.rmSync(data, { recursive: true, force: true });
});

test('glm pretrain refuses a configuration that does not fit in memory, before touching the corpus', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-pt-'));
  await assert.rejects(
    runPretrain({ ...options(path.join(work, 'out'), '/nonexistent', 'large', path.join(work, 'cache')), memoryLimit: 512 * 1024 * 1024 }),
    (e: unknown) => isGlmError(e, 'E_TRAIN_MEMORY') && /needs about .* but only 512\.0 MiB is available/.test((e as Error).message),
  );
  await assert.rejects(runPretrain({ ...options(path.join(work, 'out'), '/nonexistent', 'small', path.join(work, 'cache')), seq: 4096, config: 'base' }), /exceeds the base config's max_sequence_length 512/);
  await assert.rejects(runPretrain({ ...options(path.join(work, 'out'), '/nonexistent', path.join(work, 'missing.json'), path.join(work, 'cache')) }), (e: unknown) => isGlmError(e, 'E_CONFIG'));
  fs.rmSync(work, { recursive: true, force: true });
});

test('objective mixture flags: any two give the third, and they must sum to 1', () => {
  assert.deepEqual(mixture({}), { bertProb: 1, gapSentenceProb: 0 });
  assert.deepEqual(mixture({ gptProb: 0.3, gapSentenceProb: 0.3 }), { bertProb: 0.4, gapSentenceProb: 0.3 });
  assert.deepEqual(mixture({ bertProb: 0.5, gapSentenceProb: 0.3 }), { bertProb: 0.5, gapSentenceProb: 0.3 });
  assert.throws(() => mixture({ bertProb: 0.5, gapSentenceProb: 0.3, gptProb: 0.3 }), (e: unknown) => isGlmError(e, 'E_CLI_OPTION'));
  assert.throws(() => mixture({ gapSentenceProb: 0.8, gptProb: 0.5 }), /must be non-negative and sum to 1/);
});
