/**
 * runFinetune / runEval end to end on a tiny model with task files (classification in cloze and
 * classifier-head modes, and seq2seq with beam-search ROUGE), and bad task files: each error names
 * the file and the line (missing field, unknown label, empty text) or the key of the task file.
 */
import { fileWriter, jsonl, writeReviewFiles } from '../testing/review-files.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { saveModel } from '../io/checkpoint.js';
import { isGlmError } from '../util/errors.js';
import { ToyTokenizer } from '../testing/toy-tokenizer.js';
import { runFinetune } from './run.js';
import { runEval } from './evaluate.js';
import { readFinetuneInfo } from './model-dir.js';
import { readTaskFile, resolveTask } from './task-file.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-ft-'));
const write = fileWriter(root);
writeReviewFiles(root, 2);
const taskFile = write('reviews.json', JSON.stringify({
  name: 'reviews', labels: ['neg', 'pos'], textFields: ['text'],
  pattern: { template: '{text} Verdict: [MASK].', verbalizer: { neg: ' thumbs down', pos: ' thumbs up' } },
  files: { train: 'train.jsonl', validation: 'dev.jsonl', test: 'dev.jsonl' },
}));
write('s2s.jsonl', jsonl([{ source: 'a tool to list files', target: 'list files' }, { source: 'reads and writes images', target: 'image library' }]));
const s2sFile = write('s2s.json', JSON.stringify({ kind: 'seq2seq', files: { train: 's2s.jsonl', validation: 's2s.jsonl', test: 's2s.jsonl' } }));

const modelDir = path.join(root, 'base');
saveModel(new GLMModel(makeConfig({ num_layers: 2, vocab_size: 128, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 48 })).initialize(3), modelDir);
const quiet = { progress: false, log: (): void => {} };

test('cloze fine-tuning with a multi-token verbalizer, then glm eval on the saved folder', async () => {
  const tok = new ToyTokenizer();
  const out = path.join(root, 'cloze');
  const r = await runFinetune({ model: modelDir, task: taskFile, tokenizer: tok, out, epochs: 4, batch: 5, lr: 3e-3, warmup: 0, weightDecay: 0, ...quiet });
  assert.equal(r.mode, 'cloze');
  assert.equal(r.trainExamples, 10);
  assert.equal(r.loop.epochs.length, 4);
  assert.equal(r.loop.steps, 8);
  assert.ok(r.loop.epochs.every((e) => typeof e.score === 'number'));
  const info = readFinetuneInfo(out)!;
  assert.equal(info.mode, 'cloze');
  assert.equal(info.epoch, r.loop.bestEpoch);
  assert.equal(info.task, path.resolve(taskFile));
  assert.ok(fs.existsSync(path.join(out, 'train-log.json')));
  const ev = await runEval({ model: out, task: taskFile, split: 'test', tokenizer: tok });
  assert.equal(ev.mode, 'cloze');
  assert.equal(ev.n, 4);
  // The saved best epoch reproduces its validation accuracy (test = dev here).
  assert.equal(ev.metrics['accuracy'], r.loop.bestScore);
  const zs = await runEval({ model: out, task: taskFile, split: 'test', tokenizer: tok, zeroShot: true });
  assert.equal(zs.mode, 'zero-shot-cloze');
  assert.equal(zs.metrics['accuracy'], ev.metrics['accuracy'], 'zero-shot scoring of the tuned weights is the same cloze scoring');
});

test('classifier-head fine-tuning saves and evaluates through the head', async () => {
  const tok = new ToyTokenizer();
  const out = path.join(root, 'head');
  const r = await runFinetune({ model: modelDir, task: taskFile, mode: 'classifier', head: 'hub', pool: 'pad', tokenizer: tok, out, epochs: 6, batch: 5, lr: 3e-3, warmup: 0, ...quiet });
  assert.equal(r.mode, 'classifier');
  const info = readFinetuneInfo(out)!;
  assert.deepEqual(info.head, { variant: 'hub', pool: 'pad', numLabels: 2, dropout: 0.1 });
  const ev = await runEval({ model: out, task: taskFile, tokenizer: tok });
  assert.equal(ev.mode, 'classifier');
  assert.equal(ev.metrics['accuracy'], r.loop.bestScore);
  assert.ok(typeof ev.metrics['macroF1'] === 'number');
});

test('seq2seq fine-tuning with beam-search ROUGE on validation, then glm eval', async () => {
  const tok = new ToyTokenizer();
  const out = path.join(root, 's2s');
  const r = await runFinetune({ model: modelDir, task: s2sFile, tokenizer: tok, out, epochs: 2, batch: 2, lr: 1e-3, srcLen: 12, tgtLen: 6, beams: 2, ...quiet });
  assert.equal(r.mode, 'seq2seq');
  const rouge = r.loop.epochs[0]!.metrics!['rouge'] as Record<string, number>;
  assert.deepEqual(Object.keys(rouge).sort(), ['rouge1', 'rouge2', 'rougeL', 'rougeLsum']);
  const info = readFinetuneInfo(out)!;
  assert.deepEqual(info.seq2seq, { srcLen: 12, tgtLen: 6, maskKind: 'mask', numBeams: 2, lengthPenalty: 1, minLength: 2, noRepeatNgram: 3 });
  const ev = await runEval({ model: out, task: s2sFile, tokenizer: tok });
  assert.equal(ev.mode, 'seq2seq');
  assert.equal(ev.n, 2);
  assert.equal(ev.outputs.length, 2);
});

test('bad task files: errors name the file and line (missing field, unknown label, empty text) or the task-file key', async () => {
  const tok = new ToyTokenizer();
  const spec = (train: string): string => write(`bad-${path.basename(train)}.json`, JSON.stringify({
    labels: ['neg', 'pos'], textFields: ['text'], pattern: { template: '{text} It was [MASK].', verbalizer: { neg: ' bad', pos: ' good' } }, files: { train },
  }));
  const cases: [object[], string, RegExp][] = [
    [[{ text: 'ok', label: 'pos' }, { label: 'neg' }], 'E_TASK_FIELD_MISSING', /line 2: missing field "text"/],
    [[{ text: 'ok', label: 'meh' }], 'E_TASK_UNKNOWN_LABEL', /line 1: unknown label "meh"/],
    [[{ text: 'ok', label: 'pos' }, { text: 'fine', label: 'pos' }, { text: ' ', label: 'neg' }], 'E_TASK_EMPTY_TEXT', /line 3: field "text" is empty/],
  ];
  for (const [i, [rows, code, re]] of cases.entries()) {
    const data = write(`bad${i}.jsonl`, jsonl(rows));
    await assert.rejects(runFinetune({ model: modelDir, task: spec(data), tokenizer: tok, out: path.join(root, 'never'), ...quiet }), (e) => {
      assert.ok(isGlmError(e, code), `${code}: ${(e as Error).message}`);
      assert.match((e as Error).message, re);
      assert.ok((e as Error).message.startsWith(data), 'names the file');
      return true;
    });
  }
  assert.ok(!fs.existsSync(path.join(root, 'never')), 'nothing is written');
  const badSpecs: [object, RegExp][] = [
    [{ labels: ['a', 'b'], textFields: ['t'], files: { train: 'train.jsonl' } }, /"pattern" must be/],
    [{ labels: ['a', 'b'], textFields: ['t'], pattern: { template: '{t}[MASK]', verbalizer: { a: ' x', b: ' y' } }, files: { training: 'x.jsonl' } }, /unknown split "training"/],
    [{ labels: ['a', 'b'], textFields: ['t'], pattern: { template: '{t}[MASK]', verbalizer: { a: ' x', b: ' y' } }, files: { train: 'missing.jsonl' } }, /no such file/],
    [{ labels: ['a', 'b', 'c'], textFields: ['t'], pattern: { template: '{t}[MASK]', verbalizer: { a: ' x', b: ' y' } }, files: { train: 'train.jsonl' } }, /no word for label\(s\) "c"/],
    [{ kind: 'regression', files: { train: 'train.jsonl' } }, /"kind" must be/],
  ];
  for (const [i, [s, re]] of badSpecs.entries()) {
    const f = write(`spec${i}.json`, JSON.stringify(s));
    assert.throws(() => readTaskFile(f), (e) => isGlmError(e, 'E_TASK_SPEC') && re.test((e as Error).message) && (e as Error).message.startsWith(f));
  }
  assert.throws(() => resolveTask('no-such-task'), (e) => isGlmError(e, 'E_TASK_UNKNOWN') && /sentiment/.test((e as Error).message));
});

test('multiple choice (COPA format, --data-dir): candidates scored token by token with eop, trained and evaluated', async () => {
  const tok = new ToyTokenizer();
  const dir = path.join(root, 'copa');
  fs.mkdirSync(dir);
  const rows = [
    { premise: 'The man broke his toe.', choice1: 'He dropped a hammer on his foot.', choice2: 'He got a hole in his sock.', question: 'cause', label: 0, idx: 0 },
    { premise: 'The sun rose.', choice1: 'The rooster crowed.', choice2: 'The night fell.', question: 'effect', label: 0, idx: 1 },
  ];
  for (const f of ['train.jsonl', 'val.jsonl', 'test.jsonl']) fs.writeFileSync(path.join(dir, f), jsonl(rows));
  const out = path.join(root, 'copa-out');
  const r = await runFinetune({ model: modelDir, task: 'copa', dataDir: dir, tokenizer: tok, out, epochs: 2, batch: 2, lr: 1e-3, ...quiet });
  assert.equal(r.trainExamples, 4, 'COPA training rows are mirrored');
  const info = readFinetuneInfo(out)!;
  assert.deepEqual(info.cloze, { answerMode: 'multi', includeEop: true, lengthPenalty: 0, loss: 'cross_entropy' });
  const ev = await runEval({ model: out, task: 'copa', dataDir: dir, split: 'validation', tokenizer: tok });
  assert.equal(ev.n, 2);
  assert.equal(ev.metrics['accuracy'], r.loop.bestScore);
  await assert.rejects(runFinetune({ model: modelDir, task: 'copa', mode: 'classifier', dataDir: dir, tokenizer: tok, out, ...quiet }), /multiple choice: it has no classifier input/);
});
