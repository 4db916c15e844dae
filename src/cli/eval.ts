/**
 * `glm eval --model DIR --task NAME|FILE [--split test] [--zero-shot]`: evaluates a model folder
 * (pretrained: zero-shot cloze / generation; fine-tuned: as finetune.json says) and prints a
 * readable table on stderr and the JSON result on stdout.
 */
import { defaultModelDir } from '../io/default-model.js';
import fs from 'node:fs';
import { Option, type Command } from 'commander';
import { runEval, type EvalRunOptions } from '../finetune/evaluate.js';
import { evalTable, progressPrinter } from '../finetune/report.js';
import type { Split } from '../tasks/index.js';
import { num } from './flags.js';
import { resolveModel } from '../hub/resolve.js';

interface Flags {
  model: string; task: string; split: Split; zeroShot?: boolean; pattern?: string; tokenizer?: string; dataDir?: string; limit?: number; batch?: number;
  maxSeqLength?: number; multiToken?: boolean; eop: boolean; lengthPenalty?: number; beams?: number; maxLength?: number; minLength?: number; repeatNgram?: number | boolean;
  srcLen?: number; tgtLen?: number; predictions?: string; randomSubset?: boolean; progress: boolean;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description('evaluate a model on a task split: accuracy / macro-F1 (cloze or classifier head), ROUGE (beam search), infilling BLEU')
    .option('--model <dir>', 'model folder (pretrained or fine-tuned), or a Hub name OWNER/NAME[@REVISION]; default: the shipped English GLM (models/glm-en-small)')
    .requiredOption('--task <name|file>', 'built-in task or task file')
    .addOption(new Option('--split <split>', 'which split').choices(['train', 'validation', 'test']).default('test'))
    .option('--zero-shot', 'score the cloze pattern with the weights as they are, ignoring a fine-tuned head or mode')
    .option('--pattern <id>', 'cloze pattern id (default: the fine-tuned one, else the task\'s)')
    .option('--tokenizer <name|dir>', 'tokenizer (default: the model folder\'s)')
    .option('--data-dir <dir>', 'SuperGLUE tasks: folder with the jsonl files')
    .option('--limit <n>', 'evaluate the first n examples', num('--limit', { int: true, min: 1 }))
    .option('--random-subset', 'with --limit: n examples drawn at random (a fixed seed, the same for every model) instead of the first n')
    .option('--batch <n>', 'examples per forward pass', num('--batch', { int: true, min: 1 }))
    .option('--max-seq-length <n>', 'cloze / classifier input length', num('--max-seq-length', { int: true, min: 4 }))
    .option('--multi-token', 'cloze: score every answer token by token with [eop]')
    .option('--no-eop', 'cloze: do not score [eop] (hub scoring)')
    .option('--length-penalty <x>', 'cloze: score / len^x (default 0); seq2seq: beam length penalty (default 1)', num('--length-penalty'))
    .option('--beams <n>', 'seq2seq: beams (default 4)', num('--beams', { int: true, min: 1 }))
    .option('--max-length <n>', 'seq2seq / infill: most generated tokens', num('--max-length', { int: true, min: 1 }))
    .option('--min-length <n>', 'seq2seq: fewest generated tokens (default 2)', num('--min-length', { int: true, min: 0 }))
    .option('--no-repeat-ngram <n>', 'seq2seq: n-gram blocking (default 3; 0 = off)', num('--no-repeat-ngram', { int: true, min: 0 }))
    .option('--src-len <n>', 'seq2seq source length', num('--src-len', { int: true, min: 4 }))
    .option('--tgt-len <n>', 'seq2seq target length', num('--tgt-len', { int: true, min: 2 }))
    .option('--predictions <file>', 'write per-example outputs as JSON Lines')
    .option('--no-progress', 'no progress line')
    .action(async (f: Flags) => {
      f.model = f.model === undefined ? defaultModelDir() : await resolveModel(f.model);
      const o: EvalRunOptions = { model: f.model, task: f.task, split: f.split, includeEop: f.eop, onProgress: progressPrinter('evaluating', f.progress) };
      const opt = <K extends keyof EvalRunOptions>(k: K, v: EvalRunOptions[K] | undefined): void => {
        if (v !== undefined) o[k] = v;
      };
      opt('zeroShot', f.zeroShot); opt('pattern', f.pattern); opt('tokenizer', f.tokenizer); opt('dataDir', f.dataDir); opt('limit', f.limit); opt('batch', f.batch);
      opt('maxSeqLength', f.maxSeqLength); opt('lengthPenalty', f.lengthPenalty); opt('beams', f.beams); opt('maxLength', f.maxLength); opt('minLength', f.minLength); opt('srcLen', f.srcLen); opt('tgtLen', f.tgtLen);
      if (f.randomSubset) o.randomSubset = true;
      if (f.multiToken) o.answerMode = 'multi';
      if (typeof f.repeatNgram === 'number') o.noRepeatNgram = f.repeatNgram;
      const r = await runEval(o);
      if (f.predictions) fs.writeFileSync(f.predictions, r.outputs.map((x) => JSON.stringify(x)).join('\n') + '\n');
      process.stderr.write(evalTable(r));
      // Per-example outputs go to --predictions; stdout keeps the summary.
      const { outputs: _outputs, ...summary } = r;
      process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    });
}
