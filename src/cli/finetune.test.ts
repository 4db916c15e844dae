/**
 * `glm finetune`, `glm eval` and `glm score` as a user runs them (the built CLI in a child
 * process), on a tiny model with the BERT vocabulary and the real sentiment data: a short cloze
 * run with the multi-token verbalizer (" thumbs up" / " thumbs down"), evaluation of the result,
 * answer scoring, and bad input surfacing as one clear line with exit status 2.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeConfig } from '../model/config.js';
import { GLMModel } from '../model/glm.js';
import { saveModel } from '../io/checkpoint.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { saveTokenizer } from '../tokenizer/save.js';
import { repoRoot } from '../testing/helpers.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-cli-ft-'));
const model = path.join(root, 'model');
const tok = loadTokenizer('bert-base-uncased', { layout: 'original' });
saveModel(new GLMModel(makeConfig({ num_layers: 1, vocab_size: tok.paddedVocabSize, hidden_size: 32, num_attention_heads: 2, max_sequence_length: 64 })).initialize(5), model);
saveTokenizer(tok, model);

function glm(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8', env: { ...process.env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('glm finetune (cloze, multi-token verbalizer) → glm eval → glm score', () => {
  const out = path.join(root, 'tuned');
  const ft = glm('finetune', '--model', model, '--task', 'sentiment', '--pattern', '2', '--epochs', '1', '--batch', '8', '--limit-train', '16', '--limit-eval', '8', '--lr', '1e-4', '--out', out, '--no-progress');
  assert.equal(ft.status, 0, ft.stderr);
  const r = JSON.parse(ft.stdout) as { mode: string; pattern: string; trainExamples: number; loop: { steps: number; epochs: { score: number }[] } };
  assert.equal(r.mode, 'cloze');
  assert.equal(r.pattern, '2');
  assert.equal(r.trainExamples, 16);
  assert.equal(r.loop.steps, 2);
  assert.match(ft.stderr, /multi-token scoring/);
  assert.match(ft.stderr, /valid accuracy/);
  assert.ok(fs.existsSync(path.join(out, 'finetune.json')) && fs.existsSync(path.join(out, 'glm_tokenizer.json')));

  const ev = glm('eval', '--model', out, '--task', 'sentiment', '--limit', '8', '--no-progress');
  assert.equal(ev.status, 0, ev.stderr);
  const e = JSON.parse(ev.stdout) as { mode: string; n: number; metrics: { accuracy: number; macroF1: number } };
  assert.equal(e.mode, 'cloze');
  assert.equal(e.n, 8);
  assert.ok(e.metrics.accuracy >= 0 && e.metrics.accuracy <= 1 && Number.isInteger(e.metrics.accuracy * 8));
  assert.match(ev.stderr, /accuracy\s+\d\.\d{4}/);
  assert.match(ev.stderr, /macro-F1/);

  const sc = glm('score', '--model', model, 'The food was cold and the staff rude. Verdict: [MASK].', '--choices', 'thumbs up,thumbs down,great');
  assert.equal(sc.status, 0, sc.stderr);
  const s = JSON.parse(sc.stdout) as { choices: { choice: string; tokens: number; logProb: number; probability: number }[] };
  assert.deepEqual(s.choices.map((c) => [c.choice, c.tokens]), [['thumbs up', 2], ['thumbs down', 2], ['great', 1]]);
  assert.ok(Math.abs(s.choices.reduce((t, c) => t + c.probability, 0) - 1) < 1e-9);
  assert.ok(s.choices.every((c) => c.logProb < 0));
  assert.match(sc.stderr, /thumbs down/);
});

test('bad input: one clear error line naming the file and line, exit status 2', () => {
  const data = path.join(root, 'bad.jsonl');
  fs.writeFileSync(data, '{"text": "fine", "label": "pos"}\n{"label": "neg"}\n');
  const spec = path.join(root, 'bad-task.json');
  fs.writeFileSync(spec, JSON.stringify({ labels: ['neg', 'pos'], textFields: ['text'], pattern: { template: '{text} It was [MASK].', verbalizer: { neg: ' bad', pos: ' good' } }, files: { train: 'bad.jsonl' } }));
  const r = glm('finetune', '--model', model, '--task', spec, '--out', path.join(root, 'x'), '--no-progress');
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim(), `glm: error: ${data}: line 2: missing field "text"`);
  const u = glm('eval', '--model', model, '--task', 'no-such-task');
  assert.equal(u.status, 2);
  assert.match(u.stderr, /glm: error: "no-such-task" is neither a built-in task \(sentiment, spam, brown-genres, debian-summaries/);
  const m = glm('score', '--model', model, 'no blank here', '--choices', 'a,b');
  assert.equal(m.status, 2);
  assert.match(m.stderr, /has no \[MASK\]/);
});

test('glm finetune --continuous-prompt --freeze-model → glm eval on the P-tuning folder', () => {
  const out = path.join(root, 'ptuned');
  const ft = glm('finetune', '--model', model, '--task', 'sentiment', '--continuous-prompt', '--freeze-model', '--spell-func', 'mlp', '--epochs', '1', '--batch', '8', '--limit-train', '16', '--limit-eval', '8', '--lr', '1e-3', '--out', out, '--no-progress');
  assert.equal(ft.status, 0, ft.stderr);
  assert.equal((JSON.parse(ft.stdout) as { mode: string }).mode, 'ptuning');
  assert.match(ft.stderr, /prompt encoder: mlp, \d+ prompt embeddings, \d+ parameters; model frozen/);
  const ev = glm('eval', '--model', out, '--task', 'sentiment', '--split', 'test', '--limit', '8', '--no-progress');
  assert.equal(ev.status, 0, ev.stderr);
  const e = JSON.parse(ev.stdout) as { mode: string; n: number; metrics: { accuracy: number } };
  assert.equal(e.mode, 'ptuning');
  assert.equal(e.n, 8);
  const bad = glm('finetune', '--model', model, '--task', 'sentiment', '--continuous-prompt', '--mode', 'classifier', '--out', path.join(root, 'bad'), '--no-progress');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--continuous-prompt is --mode ptuning, not --mode classifier/);
});
