/**
 * scripts/ablation-study.mjs --quick on a subset (two variants, one task, two methods, few-shot):
 * one raw JSON per run with the run's identity and metrics, the summary table built from them,
 * and resumption (a second invocation runs nothing; a deleted result is the only one rerun).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../testing/helpers.js';

const out = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-ablation-'));
test.after(() => fs.rmSync(out, { recursive: true, force: true }));
const table = path.join(out, 'ablations.md');
const args = ['scripts/ablation-study.mjs', '--quick', '--out', out, '--table', table, '--variants', 'glm,mlm', '--tasks', 'sentiment',
  '--methods', 'cloze-single,ptuning-frozen', '--method-variants', 'glm,mlm', '--settings', 'few'];
function study(): { ran: number; skipped: number } {
  const r = spawnSync(process.execPath, args, { cwd: repoRoot(), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const m = /(\d+) run\(s\), (\d+) skipped/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return { ran: Number(m[1]), skipped: Number(m[2]) };
}

test('ablation study --quick: raw JSON per run, the summary table, and resumption', { timeout: 170_000 }, () => {
  assert.deepEqual(study(), { ran: 8, skipped: 0 });
  const runs = path.join(out, 'runs');
  const files = fs.readdirSync(runs).sort();
  assert.deepEqual(files, [
    'glm-s1234__infill.json', 'glm-s1234__ppl.json', 'glm-s1234__sentiment__cloze-single__few.json', 'glm-s1234__sentiment__ptuning-frozen__few.json',
    'mlm-s1234__infill.json', 'mlm-s1234__ppl.json', 'mlm-s1234__sentiment__cloze-single__few.json', 'mlm-s1234__sentiment__ptuning-frozen__few.json',
  ]);
  const read = (f: string): Record<string, any> => JSON.parse(fs.readFileSync(path.join(runs, f), 'utf8'));
  for (const v of ['glm', 'mlm']) {
    const pt = read(`${v}-s1234__sentiment__ptuning-frozen__few.json`);
    assert.equal(pt['variant'], v);
    assert.equal(pt['finetune'].options.mode, 'ptuning');
    assert.equal(pt['finetune'].options.freezeModel, true);
    assert.equal(pt['finetune'].options.randomSubset, true);
    assert.equal(pt['finetune'].trainExamples, 32);
    assert.equal(pt['test'].n, 64);
    const acc = pt['test'].metrics.accuracy;
    assert.ok(acc >= 0 && acc <= 1 && Math.abs(acc * 64 - Math.round(acc * 64)) < 1e-9, `accuracy ${acc} is not k/64`);
    const lm = read(`${v}-s1234__ppl.json`)['lm'];
    assert.equal(lm.mask, '[gMASK]');
    assert.ok(lm.tokens > 0 && Math.abs(lm.perplexity - Math.exp(lm.meanNll)) < 1e-6 * lm.perplexity);
    const bleu = read(`${v}-s1234__infill.json`)['infill'].bleu;
    assert.deepEqual(Object.keys(bleu).sort(), ['0.1', '0.2', '0.3', '0.4', '0.5']);
  }
  // Both variants were pretrained with the same settings apart from the objective flags.
  const pre = (v: string): string[] => JSON.parse(fs.readFileSync(path.join(out, 'pretrain', `${v}-s1234`, 'pretrain.json'), 'utf8')).args;
  const strip = (xs: string[]): string[] => xs.filter((x) => !['--bert-prob', '1', '--masked-lm'].includes(x)).map((x) => x.replace(/\/(glm|mlm)-s1234/, '/V'));
  assert.deepEqual(strip(pre('glm')), strip(pre('mlm')));

  const md = fs.readFileSync(table, 'utf8');
  const glmAcc = read('glm-s1234__sentiment__cloze-single__few.json')['test'].metrics.accuracy;
  assert.match(md, new RegExp(`\\| glm \\| cloze-single \\| ${glmAcc.toFixed(3)} \\|`));
  const glmPre = JSON.parse(fs.readFileSync(path.join(out, 'pretrain', 'glm-s1234', 'pretrain.json'), 'utf8'));
  assert.ok(md.includes(`| glm | 1234 | ${glmPre.parameters} | ${glmPre.train.tokensSeen} | ${(6 * glmPre.parameters * glmPre.train.tokensSeen).toExponential(2)} |`), 'compute row');
  assert.match(md, /\| mlm \| ptuning-frozen \| \d\.\d{3} \|/);
  assert.match(md, /\| GLM vs BERT-style MLM, NLU \(cloze, full data\) \| GLM > BERT .*\| – \| not run \|/);
  assert.match(md, /\| blank filling BLEU \(mean over ratios\): GLM vs MLM \| .* \| [+-]\d+\.\d{3} \(one seed: no spread\) \| (same|opposite) direction, confidence unknown \|/);

  // Resumable: nothing reruns; a deleted result is the only run done again.
  assert.deepEqual(study(), { ran: 0, skipped: 8 });
  fs.rmSync(path.join(runs, 'mlm-s1234__ppl.json'));
  assert.deepEqual(study(), { ran: 1, skipped: 7 });
  assert.ok(fs.existsSync(path.join(runs, 'mlm-s1234__ppl.json')));
});
