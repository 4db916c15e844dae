#!/usr/bin/env node
// Quality against training tokens: GLM blank-filling exact match (the blanks of
// evaluate-model.mjs) for model folders saved from checkpoints of one run, with the run's
// validation loss at the same steps. Writes a JSON for the model card.
//   node scripts/eval-checkpoints.mjs --corpus DIR --metrics RUN/metrics.jsonl --out FILE SNAPSHOT_DIR...
// Each SNAPSHOT_DIR holds config.json, model.safetensors, state.json (from the checkpoint) and the tokenizer files.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';

const { values: a, positionals } = parseArgs({ options: { corpus: { type: 'string' }, metrics: { type: 'string' }, out: { type: 'string' } }, allowPositionals: true });
const metrics = fs.readFileSync(a.metrics, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const points = [];
for (const dir of positionals) {
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8'));
  const step = state.step;
  // A resumed run logs again the steps after its checkpoint: count each step once (its last record).
  const perStep = new Map(metrics.filter((m) => m.type === 'train' && m.step <= step).map((m) => [m.step, m.tokens]));
  const tokens = [...perStep.values()].reduce((s, t) => s + t, 0);
  const valid = metrics.filter((m) => m.type === 'valid' && m.step === step).pop();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-ckpt-eval-'));
  execFileSync(process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname), 'evaluate-model.mjs'), '--model', dir, '--corpus', a.corpus, '--out', tmp, '--parts', 'blanks', '--no-baselines'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const r = JSON.parse(fs.readFileSync(path.join(tmp, 'blank-filling.json'), 'utf8'));
  points.push({ step, tokens, validLoss: valid ? valid.loss : null, singleWord: r['single-word'].glm.exactMatch, multiWord: r['multi-word'].glm.exactMatch });
  process.stderr.write(`step ${step}: ${JSON.stringify(points.at(-1))}\n`);
}
points.sort((x, y) => x.step - y.step);
fs.writeFileSync(a.out, JSON.stringify({ note: 'GLM greedy exact match on the blank-filling sets of evaluate-model.mjs, per checkpoint of one run (tokens = input tokens of every training step up to the checkpoint)', points }, null, 2) + '\n');
