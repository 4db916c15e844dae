#!/usr/bin/env node
// Evaluates a GLM model folder with the baselines beside it, on the same held-out data, by the
// same script. Writes one JSON file per part under --out (raw results for the model card).
//
//   node scripts/evaluate-model.mjs --model models/glm-en-small --corpus DIR --out models/glm-en-small/eval
//     [--parts blanks,infill-prose,sentiment,spam] [--quick]
//
// DIR is the corpus folder written by scripts/build-corpus.mjs (train.jsonl for the n-gram
// baseline, test.jsonl for the held-out blanks). --quick shrinks every part (a smoke run).
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { loadModel } from '../dist/index.js';
import { loadTokenizer } from '../dist/tokenizer/load.js';
import { infillText } from '../dist/generate/text.js';
import { blankExamples, maskedText, scoreBlanks } from '../dist/eval/blank-filling.js';
import { TrigramModel } from '../dist/eval/baselines/ngram.js';
import { words } from '../dist/eval/baselines/words.js';
import { NaiveBayes, LogisticRegression, majorityLabel } from '../dist/eval/baselines/bow.js';
import { accuracy, macroF1 } from '../dist/eval/metrics/classification.js';
import { corpusBleu } from '../dist/eval/metrics/bleu.js';
import { resolveTask } from '../dist/finetune/task-file.js';
import { runFinetune } from '../dist/finetune/run.js';
import { runEval } from '../dist/finetune/evaluate.js';

const { values: a } = parseArgs({ options: {
  model: { type: 'string' }, corpus: { type: 'string' }, out: { type: 'string' },
  parts: { type: 'string', default: 'blanks,infill-prose,sentiment,spam' }, quick: { type: 'boolean', default: false },
  work: { type: 'string' }, 'no-baselines': { type: 'boolean', default: false },
  epochs: { type: 'string', default: '3' }, modes: { type: 'string', default: 'cloze,classifier' }, suffix: { type: 'string', default: '' },
} });
if (!a.model || !a.corpus || !a.out) { console.error('usage: evaluate-model.mjs --model DIR --corpus DIR --out DIR [--parts …] [--quick]'); process.exit(2); }
const parts = new Set(a.parts.split(','));
const Q = a.quick;
fs.mkdirSync(a.out, { recursive: true });
const work = a.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'glm-eval-'));
const log = (s) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const write = (name, obj) => { fs.writeFileSync(path.join(a.out, name), JSON.stringify(obj, null, 2) + '\n'); log(`wrote ${path.join(a.out, name)}`); };
const readDocs = (f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).text);

const { model } = loadModel(a.model);
const tok = loadTokenizer(a.model);
const meta = { model: a.model, parameters: model.params.data.length, quick: Q, date: new Date().toISOString() };

let trigram = null;
function ngram() {
  if (trigram) return trigram;
  const t0 = performance.now();
  trigram = new TrigramModel();
  for (const d of readDocs(path.join(a.corpus, 'train.jsonl'))) for (const p of d.split('\n\n')) trigram.add(words(p));
  trigram.finish();
  log(`trigram model: ${trigram.uni.size} words, ${trigram.tri.size} trigrams (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  return trigram;
}

/** GLM greedy answers, in batches. */
function modelAnswers(texts, maxLength) {
  const out = [];
  for (let i = 0; i < texts.length; i += 16) {
    for (const r of infillText(model, tok, texts.slice(i, i + 16), { maxLength, layout: 'original' })) out.push(r.blanks[0]?.text ?? '');
  }
  return out;
}

if (parts.has('blanks')) {
  const test = readDocs(path.join(a.corpus, 'test.jsonl'));
  const n = Q ? 40 : 500;
  const result = { ...meta, data: `${a.corpus}/test.jsonl (held-out documents)`, settings: {} };
  const samples = {};
  for (const [name, span, maxLength] of [['single-word', [1, 1], 8], ['multi-word', [2, 4], 16]]) {
    // Windows whose text takes more than 200 tokens (long URLs, code) are skipped, for every system alike.
    const ex = blankExamples(test, { count: n + 100, spanWords: span, windowWords: 60, seed: 2024 }).filter((e) => tok.encode(maskedText(e)).length <= 200).slice(0, n);
    const t0 = performance.now();
    const glm = modelAnswers(ex.map(maskedText), maxLength);
    const glmSeconds = (performance.now() - t0) / 1000;
    result.settings[name] = { examples: ex.length, spanWords: span, windowWords: 60, seed: 2024, maxTokens: 200, glmDecoding: `greedy, at most ${maxLength} tokens, stops at [eop]` };
    if (a['no-baselines']) { result[name] = { glm: { ...scoreBlanks(ex, glm), seconds: glmSeconds } }; continue; }
    const tg = ngram();
    const ng = ex.map((e) => tg.fill(words(e.left), words(e.right), e.span).join(' '));
    const mf = ex.map((e) => Array(e.span).fill(tg.mostFrequent()).join(' '));
    result[name] = {
      glm: { ...scoreBlanks(ex, glm), seconds: glmSeconds },
      trigram: { ...scoreBlanks(ex, ng), note: 'word trigram, stupid backoff, both-side context, given the gold number of words' },
      mostFrequentWord: { ...scoreBlanks(ex, mf), word: tg.mostFrequent(), note: 'the most frequent training word, repeated to the gold number of words' },
    };
    // The first 12 examples, not chosen by hand.
    samples[name] = ex.slice(0, 12).map((e, i) => ({ text: maskedText(e), gold: e.gold, glm: glm[i], trigram: ng[i] }));
    log(`${name}: glm EM ${result[name].glm.exactMatch.toFixed(3)}, trigram ${result[name].trigram.exactMatch.toFixed(3)}, most-frequent ${result[name].mostFrequentWord.exactMatch.toFixed(3)}`);
  }
  write('blank-filling.json', result);
  if (!a['no-baselines']) write('blank-filling-samples.json', samples);
}

if (parts.has('infill-prose')) {
  // The infill-prose task (Copyright Does Not Exist passages, never in the pretraining corpus): BLEU per mask ratio.
  const task = resolveTask('infill-prose');
  const ex = task.load('test', Q ? { limit: 20 } : {});
  const r = await runEval({ model: a.model, task: 'infill-prose', split: 'test', ...(Q ? { limit: 20 } : {}) });
  const tg = ngram();
  const byRatio = {};
  for (const e of ex) {
    const pieces = e.masked.split('[MASK]');
    let text = pieces[0];
    const filledWords = [];
    for (let j = 0; j < e.spans.length; j++) {
      const left = words(text), right = words(pieces[j + 1]);
      const fill = tg.fill(left.slice(-2), right, Math.max(1, words(e.spans[j]).length)).join(' ');
      filledWords.push(fill);
      text += ` ${fill} ${pieces[j + 1]}`;
    }
    (byRatio[e.ratio] ??= { hyp: [], ref: [] });
    byRatio[e.ratio].hyp.push(words(text).join(' '));
    byRatio[e.ratio].ref.push(words(e.original).join(' '));
  }
  const trigramBleu = Object.fromEntries(Object.entries(byRatio).map(([k, v]) => [k, corpusBleu(v.hyp, [v.ref]).score]));
  write('infill-prose.json', { ...meta, task: 'infill-prose (test split)', examples: ex.length, glm: r.metrics, trigram: { bleu: trigramBleu, note: 'trigram fill of each blank with its gold number of words' } });
}

/**
 * The task to fine-tune on. Spam trains on every 4th message of its training split (1,216 of
 * 4,863; the split is ordered by message group, so a prefix would be all ham), written as a task
 * file with the spam task's own pattern and its full validation and test splits: the fine-tuning
 * budget of 2 CPU cores. GLM and the bag-of-words baselines see the same examples.
 */
function taskFor(name) {
  const task = resolveTask(name);
  if (name !== 'spam' || Q) return { ref: name, task };
  const dir = path.join(work, 'spam-subset');
  fs.mkdirSync(dir, { recursive: true });
  const rows = (split, keep) => task.load(split).filter((_, i) => keep(i)).map((e) => JSON.stringify({ ...e.fields, label: e.label })).join('\n') + '\n';
  const files = { train: path.join(dir, 'train.jsonl'), validation: path.join(dir, 'validation.jsonl'), test: path.join(dir, 'test.jsonl') };
  fs.writeFileSync(files.train, rows('train', (i) => i % 4 === 0));
  fs.writeFileSync(files.validation, rows('validation', () => true));
  fs.writeFileSync(files.test, rows('test', () => true));
  const spec = { name: 'spam-subset', labels: ['ham', 'spam'], textFields: ['subject', 'text'], files,
    pattern: { template: 'Subject: {subject}. {text} This message is [MASK].', verbalizer: { ham: ' normal', spam: ' spam' } } };
  const ref = path.join(dir, 'task.json');
  fs.writeFileSync(ref, JSON.stringify(spec, null, 2));
  return { ref, task: resolveTask(ref) };
}

for (const name of ['sentiment', 'spam']) {
  if (!parts.has(name)) continue;
  const { ref, task } = taskFor(name);
  const lim = (n) => (Q ? { limit: n } : {});
  const text = (e) => Object.values(e.fields).join(' ');
  const train = task.load('train', lim(200)).map((e) => ({ text: text(e), label: e.label }));
  const valid = task.load('validation', lim(50)).map((e) => ({ text: text(e), label: e.label }));
  const test = task.load('test', lim(100)).map((e) => ({ text: text(e), label: e.label }));
  const gold = test.map((e) => e.label);
  const cls = (pred) => ({ accuracy: accuracy(pred, gold), macroF1: macroF1(pred, gold, task.labels).macroF1 });
  const maj = majorityLabel(train);
  const nb = new NaiveBayes(1).fit(train);
  // Logistic regression: L2 strength chosen on the validation split.
  let best = null;
  for (const l2 of [1e-3, 1e-4, 1e-5]) {
    const m = new LogisticRegression({ l2, epochs: Q ? 20 : 150, lr: 0.05, minCount: 2 }).fit(train);
    const acc = accuracy(valid.map((v) => m.predict(v.text)), valid.map((v) => v.label));
    if (!best || acc > best.acc) best = { l2, acc, m };
  }
  const res = {
    ...meta, task: name, taskUsed: ref === name ? name : 'spam-subset: every 4th message of the spam training split; full spam validation and test splits', splits: { train: train.length, validation: valid.length, test: test.length },
    baselines: {
      majorityClass: { label: maj, ...cls(test.map(() => maj)) },
      naiveBayes: { features: 'binary unigrams + bigrams', alpha: 1, ...cls(test.map((e) => nb.predict(e.text))) },
      logisticRegression: { features: 'binary unigrams + bigrams (count >= 2)', l2: best.l2, validationAccuracy: best.acc, ...cls(test.map((e) => best.m.predict(e.text))) },
    },
    glm: {},
  };
  log(`${name}: majority ${res.baselines.majorityClass.accuracy.toFixed(3)}, NB ${res.baselines.naiveBayes.accuracy.toFixed(3)}, LR ${res.baselines.logisticRegression.accuracy.toFixed(3)}`);
  const evalLim = Q ? { limit: 100 } : {};
  const zs = await runEval({ model: a.model, task: ref, split: 'test', zeroShot: true, ...evalLim });
  res.glm.zeroShotCloze = { pattern: task.defaultPvp, ...zs.metrics };
  const ft = { epochs: Q ? 1 : Number(a.epochs), lr: 1e-4, batch: 16, maxSeqLength: name === 'spam' ? 128 : 64, seed: 1234, trainExamples: train.length };
  for (const mode of a.modes.split(',')) {
    const out = path.join(work, `${name}-${mode}`);
    const t0 = performance.now();
    await runFinetune({ model: a.model, task: ref, mode, out, epochs: ft.epochs, lr: ft.lr, batch: ft.batch, maxSeqLength: ft.maxSeqLength, seed: ft.seed, ...(Q ? { limitTrain: 200, limitEval: 50 } : {}) });
    const ev = await runEval({ model: out, task: ref, split: 'test', ...evalLim });
    res.glm[mode === 'cloze' ? 'fineTunedCloze' : 'fineTunedClassifierHead'] = { ...ft, ...ev.metrics, trainSeconds: (performance.now() - t0) / 1000 };
    log(`${name} ${mode}: ${JSON.stringify(ev.metrics)}`);
  }
  write(`${name}${a.suffix}.json`, res);
}
