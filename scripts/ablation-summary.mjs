#!/usr/bin/env node
// Markdown summary of the ablation study from its raw JSON runs (scripts/ablation-study.mjs):
// NLU accuracy per variant, the fine-tuning methods, blank filling and perplexity, and each claim
// of the paper next to our difference, its standard error and a verdict computed from them.
//
//   node scripts/ablation-summary.mjs RUNS_DIR OUT.md     (RUNS_DIR/../pretrain holds the pretrain.json files)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => (xs.length < 2 ? NaN : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const f3 = (x) => (Number.isFinite(x) ? x.toFixed(3) : '–');
const cell = (xs) => (xs.length === 0 ? '–' : xs.length === 1 ? f3(xs[0]) : `${f3(mean(xs))} ± ${f3(sd(xs))} (${xs.length})`);

export function readRuns(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
}

/** Accuracy runs of one variant / method / setting (all tasks and seeds). */
const nlu = (runs, q) => runs.filter((r) => r.part === 'nlu' && Object.entries(q).every(([k, v]) => r[k] === v));

/**
 * Mean test accuracy over the tasks both sides have, and its standard error: per task the binomial
 * SE over all test predictions of its seeds (or the spread over seeds when larger).
 */
function nluScore(runs, q, tasks) {
  const per = tasks.map((t) => {
    const rs = nlu(runs, { ...q, task: t });
    if (!rs.length) return null;
    const accs = rs.map((r) => r.test.metrics.accuracy);
    const p = mean(accs), n = rs.reduce((s, r) => s + r.test.n, 0);
    const se = Math.max(Math.sqrt((p * (1 - p)) / n), rs.length > 1 ? sd(accs) / Math.sqrt(rs.length) : 0);
    return { p, se };
  });
  if (per.some((x) => x === null) || per.length === 0) return null;
  return { value: mean(per.map((x) => x.p)), se: Math.sqrt(per.reduce((s, x) => s + x.se ** 2, 0)) / per.length };
}

function seedScore(runs, variant, part, get) {
  const xs = runs.filter((r) => r.part === part && r.variant === variant).map(get).filter(Number.isFinite);
  if (!xs.length) return null;
  return { value: mean(xs), se: xs.length > 1 ? sd(xs) / Math.sqrt(xs.length) : NaN };
}

/** Verdict for "a − b should have sign `dir`": agrees / disagrees beyond 2 SE, else within noise. */
function verdict(a, b, dir) {
  if (!a || !b) return { diff: '–', verdict: 'not run' };
  const diff = (a.value - b.value) * dir;
  const se = Math.sqrt((a.se || 0) ** 2 + (b.se || 0) ** 2);
  const noSpread = !Number.isFinite(a.se) || !Number.isFinite(b.se);
  const text = `${diff >= 0 ? '+' : ''}${f3(diff)}${noSpread ? ' (one seed: no spread)' : ` ± ${f3(se)}`}`;
  if (noSpread) return { diff: text, verdict: diff > 0 ? 'same direction, confidence unknown' : 'opposite direction, confidence unknown' };
  if (Math.abs(diff) < 2 * se) return { diff: text, verdict: 'within noise (|Δ| < 2 SE)' };
  return { diff: text, verdict: diff > 0 ? 'agrees (> 2 SE)' : 'disagrees (> 2 SE)' };
}

export function claims(runs) {
  const tasks = [...new Set(runs.filter((r) => r.part === 'nlu').map((r) => r.task))].sort();
  const s = (variant, method = 'cloze-single', setting = 'full') => nluScore(runs, { variant, method, setting }, tasks);
  const ppl = (v) => seedScore(runs, v, 'ppl', (r) => r.lm.meanNll);
  const bleu = (v) => seedScore(runs, v, 'infill', (r) => mean(Object.values(r.infill.bleu)));
  const rows = [
    ['GLM vs BERT-style MLM, NLU (cloze, full data)', 'GLM > BERT (SuperGLUE avg: GLM-Base 70.7 vs BERT-Base 66.1)', s('glm'), s('mlm'), 1],
    ['GLM vs causal LM, NLU', 'GLM > causal LM', s('glm'), s('causal'), 1],
    ['span shuffling, NLU', 'shuffled spans help (paper ablation table)', s('glm'), s('no-shuffle'), 1],
    ['2D positions, NLU', '2D positions help (paper ablation table)', s('glm'), s('no-2d'), 1],
    ['sentinel tokens, NLU', 'sentinel tokens hurt (paper ablation table)', s('glm'), s('sentinel'), 1],
    ['multi-task (doc) costs NLU', 'multi-task trades NLU for generation: GLM-Large 77.0 vs GLM-Doc 75.7', s('glm'), s('mt-doc'), 1],
    ['multi-task (sent) costs NLU', 'GLM-Large 77.0 vs GLM-Sent 76.8', s('glm'), s('mt-sent'), 1],
    ['document objective helps LM (mean NLL per token)', 'the document objective is what makes GLM a language model (GLM-Doc for LM)', ppl('mt-doc'), ppl('glm'), -1],
    ['blank filling BLEU (mean over ratios): GLM vs MLM', 'Yahoo infilling BLEU: GLM-Large above BERT at every ratio', bleu('glm'), bleu('mlm'), 1],
    ['cloze vs classifier head, few-shot (GLM)', 'cloze fine-tuning > classifier head (paper ablation table)', s('glm', 'cloze-single', 'few'), s('glm', 'classifier', 'few'), 1],
    ['cloze vs classifier head, full data (GLM)', 'cloze > head', s('glm'), s('glm', 'classifier'), 1],
    ['P-tuning vs cloze, few-shot (GLM)', 'P-tuning ≥ cloze (Liu et al. 2021; GLM repo option, no GLM-paper figure)', s('glm', 'ptuning', 'few'), s('glm', 'cloze-single', 'few'), 1],
  ];
  return rows.map(([claim, paper, a, b, dir]) => ({ claim, paper, ...verdict(a, b, dir) }));
}

export function summaryMarkdown(runs, meta = {}) {
  const L = [];
  const variants = [...new Set(runs.map((r) => r.variant))];
  const tasks = [...new Set(runs.filter((r) => r.part === 'nlu').map((r) => r.task))].sort();
  const settings = ['few', 'full'].filter((s) => runs.some((r) => r.setting === s));
  const methods = [...new Set(runs.filter((r) => r.part === 'nlu').map((r) => r.method))];
  const cols = tasks.flatMap((t) => settings.map((s) => [t, s]));
  L.push(`# Ablation study results${meta.quick ? ' (--quick: tiny sizes, a smoke run, not evidence)' : ''}`, '');
  if (meta.command) L.push(`Command: \`${meta.command}\`. ${runs.length} run file(s). Cells: mean ± sd over seeds (number of seeds); one seed shows the value alone.`, '');
  if (cols.length) {
    L.push('## NLU: test accuracy', '', `| variant | method | ${cols.map(([t, s]) => `${t} (${s})`).join(' | ')} |`, `|---|---|${cols.map(() => '---').join('|')}|`);
    for (const v of variants) {
      for (const m of methods) {
        const cs = cols.map(([task, setting]) => cell(nlu(runs, { variant: v, method: m, task, setting }).map((r) => r.test.metrics.accuracy)));
        if (cs.some((c) => c !== '–')) L.push(`| ${v} | ${m} | ${cs.join(' | ')} |`);
      }
    }
    L.push('');
  }
  const ratios = [...new Set(runs.filter((r) => r.part === 'infill').flatMap((r) => Object.keys(r.infill.bleu)))].sort();
  if (ratios.length || runs.some((r) => r.part === 'ppl')) {
    L.push('## Blank filling (infill-prose BLEU) and language modelling (held-out prose through [gMASK])', '',
      `| variant | ${ratios.map((x) => `BLEU @${x}`).join(' | ')} | perplexity | mean NLL/token |`, `|---|${ratios.map(() => '---').join('|')}|---|---|`);
    for (const v of variants) {
      const inf = runs.filter((r) => r.part === 'infill' && r.variant === v);
      const lm = runs.filter((r) => r.part === 'ppl' && r.variant === v);
      L.push(`| ${v} | ${ratios.map((x) => cell(inf.map((r) => r.infill.bleu[x]))).join(' | ')} | ${cell(lm.map((r) => r.lm.perplexity))} | ${cell(lm.map((r) => r.lm.meanNll))} |`);
    }
    L.push('');
  }
  if (meta.pretrain?.length) {
    L.push('## Pretraining compute', '', 'FLOPs: the 6·N·T estimate (N parameters, T training tokens; attention and the data pipeline not counted). Validation losses are over each objective\'s own targets, so they do not compare across variants.', '',
      '| variant | seed | parameters | tokens | ≈ FLOPs | train seconds | validation loss (start → end) |', '|---|---|---|---|---|---|---|');
    for (const p of meta.pretrain) {
      const t = p.train;
      L.push(`| ${p.variant} | ${p.seed} | ${p.parameters} | ${t.tokensSeen} | ${(6 * p.parameters * t.tokensSeen).toExponential(2)} | ${t.trainSeconds.toFixed(1)} | ${f3(t.initialValidLoss)} → ${f3(t.finalValidLoss)} |`);
    }
    L.push('');
  }
  L.push('## Claims of the paper and what these runs show', '', 'Δ is oriented so that a positive value is the paper\'s direction; SE from the binomial spread of the test predictions and, with several seeds, the spread over seeds.', '',
    '| claim | paper reports | Δ (ours) | verdict |', '|---|---|---|---|');
  for (const c of claims(runs)) L.push(`| ${c.claim} | ${c.paper} | ${c.diff} | ${c.verdict} |`);
  L.push('');
  return L.join('\n');
}

/** pretrain.json of every pretraining run under DIR/pretrain (written by ablation-study.mjs). */
export function readPretrain(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).sort().map((d) => path.join(dir, d, 'pretrain.json')).filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
}

export function writeSummary(runsDir, outFile, meta = {}) {
  const md = summaryMarkdown(readRuns(runsDir), { pretrain: readPretrain(path.join(runsDir, '..', 'pretrain')), ...meta });
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, md);
  return md;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [dir, out] = process.argv.slice(2);
  if (!dir || !out) {
    process.stderr.write('usage: ablation-summary.mjs RUNS_DIR OUT.md\n');
    process.exit(2);
  }
  writeSummary(dir, out);
}
