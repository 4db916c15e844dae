/** `glm pretrain`: flag parsing and the final report (the work is in src/train/pretrain-run.ts). */
import { Option, type Command } from 'commander';
import { GlmError } from '../util/errors.js';
import { num, prob } from './flags.js';
import { runPretrain, type PretrainRunOptions } from '../train/pretrain-run.js';
import type { DecayStyle } from '../train/schedule.js';
import type { DocSplit } from '../data/corpus.js';
import { formatBytes } from '../train/memory-estimate.js';
import { formatDuration } from '../train/progress.js';


interface Flags {
  config: string; data?: string[]; docSplit: DocSplit; tokenizer?: string; cacheDir?: string; out: string;
  steps: number; batch: number; seq: number; lr: number; warmup: number; decayStyle: DecayStyle; decayRatio: number; decayIters?: number;
  weightDecay: number; clip: number; gradAccumulation: number; dropout?: number; validFraction: number; evalInterval: number; evalBatches: number;
  checkpointInterval: number; keepCheckpoints: number; maxMinutes?: number; seed: number; resume?: boolean;
  bertProb?: number; gapSentenceProb?: number; gptProb?: number; gptInfillProb: number; gptMinRatio: number; avgBlockLength: number; maskRatio: number;
  blockMaskProb: number; shortSeqProb: number; singleSpanProb: number; taskMask?: boolean; shuffleBlocks: boolean; blockPosition: boolean;
  sentinelTokens?: boolean; maskedLm?: boolean; causalLm?: boolean; samples: number; progress: boolean; json?: boolean;
}

/** bert / sentence / gpt probabilities from any two or three of the flags (they must sum to 1). */
export function mixture(f: Pick<Flags, 'bertProb' | 'gapSentenceProb' | 'gptProb'>): { bertProb: number; gapSentenceProb: number } {
  const gap = f.gapSentenceProb ?? 0;
  let bert = f.bertProb;
  if (bert === undefined) bert = f.gptProb !== undefined ? 1 - gap - f.gptProb : 1 - gap;
  const gpt = f.gptProb ?? 1 - bert - gap;
  if (bert < -1e-9 || gpt < -1e-9 || Math.abs(bert + gap + gpt - 1) > 1e-9) {
    throw new GlmError('E_CLI_OPTION', `--bert-prob ${bert}, --gap-sentence-prob ${gap} and --gpt-prob ${gpt} must be non-negative and sum to 1`);
  }
  // Round away float noise (1 − 0.3 − 0.3 = 0.39999999999999997).
  const clean = (x: number): number => Math.max(0, Math.round(x * 1e12) / 1e12);
  return { bertProb: clean(bert), gapSentenceProb: clean(gap) };
}

export function register(program: Command): void {
  program
    .command('pretrain')
    .description('GLM blank-infilling pretraining; with no arguments, trains the small config on the bundled corpus for about 10 minutes')
    .option('--config <name|file>', 'model config: small, base, large, 410m, 515m, 2b, 10b, or a config.json', 'small')
    .option('--data <paths...>', 'corpus files or folders (.txt/.md/.jsonl {"prompt"?, "text"}); default: the bundled corpus')
    .addOption(new Option('--doc-split <mode>', 'documents in plain-text files: one per file, line or blank-line paragraph').choices(['file', 'line', 'blank-line']).default('file'))
    .option('--tokenizer <name|dir>', 'tokenizer name (bert-base-uncased, gpt2, …) or folder (glm tokenizer train); default: an 8,000-piece WordPiece vocabulary trained on the corpus and cached')
    .option('--cache-dir <dir>', 'where tokenised corpora are cached (default ~/.cache/glm-ts, or $GLM_CACHE_DIR)')
    .option('--out <dir>', 'output folder: model/, checkpoints/, metrics.jsonl, loss-curve.svg', 'glm-pretrain')
    .option('--steps <n>', 'optimizer steps', num('--steps', { int: true, min: 1 }), 300)
    .option('--batch <n>', 'samples per micro-batch', num('--batch', { int: true, min: 1 }), 8)
    .option('--seq <n>', 'raw sample length in tokens (Part B adds two per span)', num('--seq', { int: true, min: 16 }), 128)
    .option('--lr <x>', 'peak learning rate', num('--lr', { min: 0 }), 1e-3)
    .option('--warmup <fraction>', 'warmup as a fraction of the decay iterations (spec §6.1)', prob('--warmup'), 0.05)
    .addOption(new Option('--decay-style <style>', 'learning-rate decay').choices(['cosine', 'linear', 'constant']).default('cosine'))
    .option('--decay-ratio <r>', 'final learning rate / peak', prob('--decay-ratio'), 0.1)
    .option('--decay-iters <n>', 'iterations over which the rate decays (default: --steps)', num('--decay-iters', { int: true, min: 1 }))
    .option('--weight-decay <x>', 'AdamW weight decay (none on biases and LayerNorm)', num('--weight-decay', { min: 0 }), 0.1)
    .option('--clip <x>', 'global gradient-norm clip (0 = off)', num('--clip', { min: 0 }), 1.0)
    .option('--grad-accumulation <n>', 'micro-batches per optimizer step', num('--grad-accumulation', { int: true, min: 1 }), 1)
    .option('--dropout <p>', 'override the config\'s dropout probabilities', num('--dropout', { min: 0, max: 0.99 }))
    .option('--valid-fraction <f>', 'documents held out for validation', num('--valid-fraction', { min: 0, max: 0.5 }), 0.02)
    .option('--eval-interval <n>', 'validation loss every n steps (0 = start and end only)', num('--eval-interval', { int: true, min: 0 }), 25)
    .option('--eval-batches <n>', 'validation batches', num('--eval-batches', { int: true, min: 1 }), 8)
    .option('--checkpoint-interval <n>', 'checkpoint every n steps (0 = end only)', num('--checkpoint-interval', { int: true, min: 0 }), 100)
    .option('--keep-checkpoints <k>', 'checkpoints kept', num('--keep-checkpoints', { int: true, min: 1 }), 3)
    .option('--max-minutes <m>', 'stop cleanly (with a checkpoint) after this much training time; 0 = no limit', num('--max-minutes', { min: 0 }), 10)
    .option('--seed <n>', 'seed for initialisation, data and dropout', num('--seed', { int: true, min: 0 }), 1234)
    .option('--resume', 'continue from the newest valid checkpoint in --out')
    .option('--bert-prob <p>', 'per-batch probability of token-level blank infilling (spec §1.2)', prob('--bert-prob'))
    .option('--gap-sentence-prob <p>', 'probability of sentence-level [sMASK]', prob('--gap-sentence-prob'))
    .option('--gpt-prob <p>', 'probability of document-level [gMASK] (default: the rest)', prob('--gpt-prob'))
    .option('--gpt-infill-prob <p>', 'gpt mode: probability of the suffix branch for single-document samples', prob('--gpt-infill-prob'), 0.5)
    .option('--gpt-min-ratio <r>', 'gpt mode: shortest generation as a fraction of the shortest sample', prob('--gpt-min-ratio'), 0.5)
    .option('--avg-block-length <λ>', 'Poisson mean of token-level span lengths', num('--avg-block-length', { min: 0.1 }), 3)
    .option('--mask-ratio <r>', 'token-level objective: share of the tokens masked (GLM\'s bert_ratio)', prob('--mask-ratio'), 0.15)
    .option('--block-mask-prob <p>', '[dBLOCK] corruption of Part-B inputs', prob('--block-mask-prob'), 0)
    .option('--short-seq-prob <p>', 'probability of splitting a batch into short pieces', prob('--short-seq-prob'), 0)
    .option('--single-span-prob <p>', 'probability of one span per sample', prob('--single-span-prob'), 0)
    .option('--task-mask', 'use [sMASK] / [gMASK] for the sentence and document objectives')
    .option('--no-shuffle-blocks', 'ablation: keep Part B in text order')
    .option('--no-block-position', 'ablation: block positions all 1 instead of 1..len+1')
    .option('--sentinel-tokens', 'ablation: T5-style sentinel tokens MASK{i} / sop{i}')
    .option('--masked-lm', 'ablation: BERT-style masked LM (tokens masked in place, bidirectional)')
    .option('--causal-lm', 'ablation: left-to-right language modelling')
    .option('--samples <n>', 'blank-filling samples printed at the end', num('--samples', { int: true, min: 0 }), 4)
    .option('--no-progress', 'no live progress bar')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (f: Flags) => {
      const { bertProb, gapSentenceProb } = mixture(f);
      const opts: PretrainRunOptions = {
        config: f.config, docSplit: f.docSplit, out: f.out, steps: f.steps, batch: f.batch, seq: f.seq, lr: f.lr, warmup: f.warmup,
        decayStyle: f.decayStyle, decayRatio: f.decayRatio, weightDecay: f.weightDecay, clip: f.clip, gradAccumulation: f.gradAccumulation,
        validFraction: f.validFraction, evalInterval: f.evalInterval, evalBatches: f.evalBatches, checkpointInterval: f.checkpointInterval,
        keepCheckpoints: f.keepCheckpoints, seed: f.seed, resume: f.resume ?? false, samples: f.samples, progress: f.progress,
        objective: {
          bertProb, gapSentenceProb, gptInfillProb: f.gptInfillProb, gptMinRatio: f.gptMinRatio, averageBlockLength: f.avgBlockLength, bertRatio: f.maskRatio,
          blockMaskProb: f.blockMaskProb, shortSeqProb: f.shortSeqProb, singleSpanProb: f.singleSpanProb, taskMask: f.taskMask ?? false,
          shuffleBlocks: f.shuffleBlocks, blockPositionEncoding: f.blockPosition, sentinelToken: f.sentinelTokens ?? false,
          maskedLm: f.maskedLm ?? false, causalLm: f.causalLm ?? false,
        },
      };
      if (f.data) opts.data = f.data;
      if (f.tokenizer) opts.tokenizer = f.tokenizer;
      if (f.cacheDir) opts.cacheDir = f.cacheDir;
      if (f.decayIters !== undefined) opts.decayIters = f.decayIters;
      if (f.dropout !== undefined) opts.dropout = f.dropout;
      if (f.maxMinutes !== undefined && f.maxMinutes > 0) opts.maxMinutes = f.maxMinutes;
      const r = await runPretrain(opts);
      const t = r.train;
      const out = process.stderr;
      out.write(`\ntrained ${t.steps - t.startStep} steps (${t.startStep ? `resumed at ${t.startStep}, ` : ''}${t.steps}/${f.steps})${t.stoppedByTime ? ' — stopped by --max-minutes' : ''} in ${formatDuration(t.trainSeconds)}: ${Math.round(t.tokensPerSecond)} tokens/s\n`);
      if (t.initialValidLoss !== undefined && t.finalValidLoss !== undefined) {
        out.write(`validation loss: ${t.initialValidLoss.toFixed(4)} → ${t.finalValidLoss.toFixed(4)} (${(t.initialValidLoss - t.finalValidLoss).toFixed(4)} lower)\n`);
      }
      out.write(`data pipeline: ${Math.round(r.dataExamplesPerSecond)} examples/s built vs ${r.trainExamplesPerSecond.toFixed(1)} examples/s trained (${(r.dataExamplesPerSecond / r.trainExamplesPerSecond).toFixed(0)}× headroom)\n`);
      out.write(`model: ${r.modelDir} (${(r.parameters / 1e6).toFixed(2)}M parameters, estimated ${formatBytes(r.estimatedBytes)})\n`);
      out.write(`checkpoint: ${t.lastCheckpoint}\nmetrics: ${t.metricsFile}\nloss curve: ${t.curveFile}\n`);
      if (r.samples.length) {
        out.write('\nblank-filling samples (greedy):\n');
        for (const s of r.samples) out.write(`  ${s.prompt}\n    → model: ${JSON.stringify(s.answer)}   original: ${JSON.stringify(s.original)}\n`);
      }
      if (r.context) {
        const c = r.context, pct = (x: number): string => `${(100 * x).toFixed(1)} %`;
        out.write(`\ncontext check (${c.examples} one-token validation blanks, the answer's first token):\n`
          + `  model:   −log p ${c.model.meanNll.toFixed(2)} nats, top-1 ${pct(c.model.top1)} (${c.model.distinctTop1} distinct answers)\n`
          + `  unigram: −log p ${c.unigram.meanNll.toFixed(2)} nats, top-1 ${pct(c.unigram.top1)} (always ${JSON.stringify(c.unigramText)}; training-token frequencies)\n`);
      }
      if (r.continuations.length) {
        out.write('\ncontinuations after [gMASK] (greedy):\n');
        for (const s of r.continuations) out.write(`  ${s.prompt} [gMASK]\n    → model: ${JSON.stringify(s.answer)}   original: ${JSON.stringify(s.original)}\n`);
      }
      if (f.json) process.stdout.write(JSON.stringify({ ...r, train: t }, null, 2) + '\n');
    });
}
