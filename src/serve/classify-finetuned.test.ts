/**
 * /v1/classify on fine-tuned model folders: with no pattern in the request, a cloze model uses
 * its finetune.json task and pattern, and a classifier-head model uses its head; the answers
 * equal the fine-tuning code's own scoring; a P-tuning folder scores with its prompt encoder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadFolder } from '../io/checkpoint.js';
import { noGrad } from '../tensor/tensor.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { ClassifierHead, classifierLogits } from '../finetune/classifier.js';
import { clozeScorer } from '../finetune/cloze.js';
import { loadFinetuned, saveFinetuned, type FinetuneInfo } from '../finetune/model-dir.js';
import { tokensOf } from '../finetune/setup.js';
import { PromptEncoder } from '../finetune/prompt-encoder.js';
import { encodeClassifier, encodeCloze, getPvp, getTask, type ClozeTask } from '../tasks/index.js';
import { tinyModelDir, startTestServer, postJson } from '../testing/serve.js';

const base = tinyModelDir();
const texts = ['the food was wonderful', 'cold soup and a rude waiter'];
const info = (mode: 'cloze' | 'classifier' | 'ptuning', extra: Partial<FinetuneInfo>): FinetuneInfo => ({
  format: 'glm-ts-finetune', version: 1, task: 'sentiment', mode, labels: ['0', '1'], maxSeqLength: 64, epoch: 1, baseModel: base, ...extra,
});
test.after(() => fs.rmSync(base, { recursive: true, force: true }));

test('a cloze fine-tuned folder classifies with its own task and pattern', async () => {
  const dir = path.join(base, 'cloze');
  const { model } = loadFolder(base);
  saveFinetuned(dir, model, info('cloze', { pattern: '1', cloze: { answerMode: 'auto', includeEop: true, lengthPenalty: 0, loss: 'cross_entropy' } }));
  const srv = await startTestServer(dir);
  try {
    const r = await postJson(`${srv.url}/v1/classify`, { texts });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const tok = loadTokenizer(dir);
    const pvp = getPvp(getTask('sentiment'), '1');
    const want = clozeScorer(model, tokensOf(tok), { answerMode: 'auto', includeEop: true, lengthPenalty: 0 })(texts.map((t, i) => encodeCloze(pvp, { id: String(i), fields: { text: t } }, tok, { maxSeqLength: 64 }))) as number[][];
    r.json.results.forEach((res: { scores: number[] }, i: number) => res.scores.forEach((s, k) => assert.ok(Math.abs(s - want[i]![k]!) < 1e-4)));
  } finally {
    await srv.close();
  }
});

test('a classifier-head folder classifies with its head', async () => {
  const dir = path.join(base, 'head');
  const { model } = loadFolder(base);
  const head = new ClassifierHead(model.config.hidden_size, { variant: 'hub', pool: 'cls', numLabels: 2 }).initialize(0.5, 3);
  saveFinetuned(dir, model, info('classifier', { head: head.spec }), head);
  const srv = await startTestServer(dir);
  try {
    const r = await postJson(`${srv.url}/v1/classify`, { texts });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.deepEqual(r.json.labels, ['0', '1']);
    const loaded = loadFinetuned(dir);
    const tok = loadTokenizer(dir);
    const task = getTask('sentiment') as ClozeTask;
    const enc = texts.map((t, i) => encodeClassifier(task.classifierInput!({ id: String(i), fields: { text: t } }), undefined, tok, 64));
    const logits = noGrad(() => classifierLogits(loaded.model, loaded.head!, enc, tokensOf(tok), false)).f32;
    r.json.results.forEach((res: { scores: number[]; probabilities: number[] }, i: number) => {
      assert.ok(Math.abs(res.scores[0]! - logits[2 * i]!) < 1e-5 && Math.abs(res.scores[1]! - logits[2 * i + 1]!) < 1e-5);
      assert.ok(Math.abs(res.probabilities[0]! + res.probabilities[1]! - 1) < 1e-9);
    });
    // A pattern in the request still works on the same model (zero-shot cloze).
    const z = await postJson(`${srv.url}/v1/classify`, { texts, pattern: '{text} It was [MASK].', verbalizer: { neg: ' bad', pos: ' good' } });
    assert.equal(z.status, 200);
    assert.deepEqual(z.json.labels, ['neg', 'pos']);
  } finally {
    await srv.close();
  }
});

test('a P-tuning folder classifies with its pattern and its prompt encoder', async () => {
  const dir = path.join(base, 'ptuning');
  const { model } = loadFolder(base);
  const prompt = new PromptEncoder(model.config.hidden_size, { spellLength: 8, spellFunc: 'mlp' }).initialize(0.5, 5);
  const cloze = { answerMode: 'auto' as const, includeEop: true, lengthPenalty: 0, loss: 'cross_entropy' };
  saveFinetuned(dir, model, info('ptuning', { pattern: '1', cloze, ptuning: { ...prompt.spec, freezeModel: true } }), prompt);
  const srv = await startTestServer(dir);
  try {
    const r = await postJson(`${srv.url}/v1/classify`, { texts });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    const tok = loadTokenizer(dir);
    const pvp = getPvp(getTask('sentiment'), '1');
    const enc = texts.map((t, i) => encodeCloze(pvp, { id: String(i), fields: { text: t } }, tok, { maxSeqLength: 64 }));
    const want = clozeScorer(model, tokensOf(tok), { prompt })(enc) as number[][];
    const plain = clozeScorer(model, tokensOf(tok))(enc) as number[][];
    assert.ok(Math.abs(want[0]![0]! - plain[0]![0]!) > 1e-4, 'the prompt should change the scores');
    r.json.results.forEach((res: { scores: number[] }, i: number) => res.scores.forEach((s, k) => assert.ok(Math.abs(s - want[i]![k]!) < 1e-4)));
  } finally {
    await srv.close();
  }
});
