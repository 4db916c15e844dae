/**
 * `glm finetune --model DIR --task NAME|FILE [--mode cloze|classifier|seq2seq] --out DIR`:
 * fine-tunes a model folder on a task (spec §5) and saves the best epoch as a model folder.
 * Progress and the per-epoch table go to stderr; the result JSON to stdout.
 */
import { defaultModelDir } from '../io/default-model.js';
import { Option, type Command } from 'commander';
import { runFinetune, type FinetuneRunOptions } from '../finetune/run.js';
import { finetuneTable } from '../finetune/report.js';
import type { FinetuneMode } from '../finetune/model-dir.js';
import type { SpellFunc } from '../finetune/prompt-encoder.js';
import { GlmError } from '../util/errors.js';
import type { ChoiceLoss } from '../tensor/ops/scoring.js';
import type { HeadVariant, PoolToken } from '../finetune/classifier.js';
import { num } from './flags.js';
import { resolveModel } from '../hub/resolve.js';


interface Flags {
  model: string; task: string; mode?: FinetuneMode; pattern?: string; tokenizer?: string; dataDir?: string; out: string;
  epochs: number; batch: number; lr?: number; warmup?: number; weightDecay: number; clip: number; seed: number;
  maxSeqLength?: number; limitTrain?: number; limitEval?: number; maxSteps?: number; eval: boolean;
  loss?: ChoiceLoss; lengthPenalty?: number; multiToken?: boolean; eop: boolean;
  head: HeadVariant; pool: PoolToken; headDropout?: number;
  srcLen?: number; tgtLen?: number; beams?: number; minLength?: number; repeatNgram?: number | boolean; smask?: boolean;
  randomSubset?: boolean; spellLength?: number; spellFunc?: SpellFunc; freezeModel?: boolean; continuousPrompt?: boolean;
  progress: boolean;
}

export function register(program: Command): void {
  program
    .command('finetune')
    .description('fine-tune a model on a task: cloze (pattern + verbalizer), classifier head, or seq2seq; keeps the best epoch')
    .option('--model <dir>', 'model folder to start from (e.g. the model/ folder written by glm pretrain), or a Hub name OWNER/NAME[@REVISION]; default: the shipped English GLM (models/glm-en-small)')
    .requiredOption('--task <name|file>', 'built-in task (sentiment, spam, brown-genres, debian-summaries, boolq, cb, copa, …) or a task file (JSON)')
    .addOption(new Option('--mode <mode>', 'cloze (default for classification), classifier (spec §5.2 head), seq2seq, or ptuning (cloze with continuous prompts)').choices(['cloze', 'classifier', 'seq2seq', 'ptuning']))
    .requiredOption('--out <dir>', 'output model folder (the best epoch) with finetune.json and train-log.json')
    .option('--pattern <id>', 'cloze pattern id (default: the task\'s)')
    .option('--tokenizer <name|dir>', 'tokenizer (default: the model folder\'s)')
    .option('--data-dir <dir>', 'SuperGLUE tasks: folder with train.jsonl / val.jsonl / test.jsonl')
    .option('--epochs <n>', 'epochs', num('--epochs', { int: true, min: 1 }), 3)
    .option('--batch <n>', 'examples per optimizer step', num('--batch', { int: true, min: 1 }), 16)
    .option('--lr <x>', 'peak learning rate (default 1e-5; seq2seq 3e-5 — GLM\'s values for its large models)', num('--lr', { min: 0 }))
    .option('--warmup <fraction>', 'linear warmup as a fraction of all steps (default 0.1; seq2seq 0.06)', num('--warmup', { min: 0, max: 1 }))
    .option('--weight-decay <x>', 'AdamW weight decay', num('--weight-decay', { min: 0 }), 0.1)
    .option('--clip <x>', 'global gradient-norm clip (0 = off)', num('--clip', { min: 0 }), 1)
    .option('--seed <n>', 'seed for shuffling, dropout and the head\'s initialisation', num('--seed', { int: true, min: 0 }), 1234)
    .option('--max-seq-length <n>', 'cloze / classifier input length (default min(256, max_sequence_length))', num('--max-seq-length', { int: true, min: 4 }))
    .option('--limit-train <n>', 'use the first n training examples', num('--limit-train', { int: true, min: 1 }))
    .option('--limit-eval <n>', 'validate on the first n validation examples (seq2seq default 100)', num('--limit-eval', { int: true, min: 1 }))
    .option('--max-steps <n>', 'stop after n optimizer steps', num('--max-steps', { int: true, min: 1 }))
    .option('--no-eval', 'skip per-epoch validation (the last epoch is saved)')
    .addOption(new Option('--loss <kind>', 'cloze loss over multi-token answer scores (spec §5.1)').choices(['cross_entropy', 'generative', 'mix', 'hinge']))
    .option('--length-penalty <x>', 'cloze: score / len^x for multi-token answers (default 0); seq2seq: beam-search length penalty (default 1)', num('--length-penalty'))
    .option('--multi-token', 'cloze: score every answer token by token with [eop], even one-token answers')
    .option('--no-eop', 'cloze: do not score [eop] after multi-token answers (hub scoring, spec §0.2 #5)')
    .addOption(new Option('--head <variant>', 'classifier head: orig tanh(Linear)→dropout→Linear, or hub dropout→dense→tanh→dropout→out_proj').choices(['orig', 'hub']).default('orig'))
    .addOption(new Option('--pool <token>', 'classifier: hidden state of [CLS] (cls), an appended [sop] (start) or the eos (pad)').choices(['cls', 'start', 'pad']).default('cls'))
    .option('--head-dropout <p>', 'classifier head dropout (default 0.1)', num('--head-dropout', { min: 0, max: 0.99 }))
    .option('--src-len <n>', 'seq2seq source length (default min(128, max_sequence_length))', num('--src-len', { int: true, min: 4 }))
    .option('--tgt-len <n>', 'seq2seq target length including eop (default 32)', num('--tgt-len', { int: true, min: 2 }))
    .option('--beams <n>', 'seq2seq validation: beams (default 4)', num('--beams', { int: true, min: 1 }))
    .option('--min-length <n>', 'seq2seq validation: fewest generated tokens (default 2)', num('--min-length', { int: true, min: 0 }))
    .option('--no-repeat-ngram <n>', 'seq2seq validation: n-gram blocking (default 3; 0 = off)', num('--no-repeat-ngram', { int: true, min: 0 }))
    .option('--smask', 'seq2seq: use [sMASK] as the blank (task-mask models)')
    .option('--random-subset', 'with --limit-train / --limit-eval: a random subset (seeded by --seed) instead of the first examples')
    .option('--continuous-prompt', 'P-tuning: the same as --mode ptuning (GLM\'s option name)')
    .option('--spell-length <n>', 'P-tuning: prompt embeddings (default: config spell_length, else the pattern\'s prompt-token count)', num('--spell-length', { int: true, min: 1 }))
    .addOption(new Option('--spell-func <f>', 'P-tuning prompt encoder (default: config spell_func, else lstm)').choices(['lstm', 'mlp', 'none']))
    .option('--freeze-model', 'P-tuning: train only the prompt encoder')
    .option('--no-progress', 'no progress bar')
    .action(async (f: Flags) => {
      f.model = f.model === undefined ? defaultModelDir() : await resolveModel(f.model);
      const o: FinetuneRunOptions = {
        model: f.model, task: f.task, out: f.out, epochs: f.epochs, batch: f.batch, weightDecay: f.weightDecay, clip: f.clip, seed: f.seed,
        head: f.head, pool: f.pool, includeEop: f.eop, noEval: !f.eval, progress: f.progress,
      };
      const opt = <K extends keyof FinetuneRunOptions>(k: K, v: FinetuneRunOptions[K] | undefined): void => {
        if (v !== undefined) o[k] = v;
      };
      opt('mode', f.mode); opt('pattern', f.pattern); opt('tokenizer', f.tokenizer); opt('dataDir', f.dataDir); opt('lr', f.lr); opt('warmup', f.warmup);
      opt('maxSeqLength', f.maxSeqLength); opt('limitTrain', f.limitTrain); opt('limitEval', f.limitEval); opt('maxSteps', f.maxSteps);
      opt('loss', f.loss); opt('lengthPenalty', f.lengthPenalty); opt('headDropout', f.headDropout); opt('srcLen', f.srcLen); opt('tgtLen', f.tgtLen); opt('beams', f.beams); opt('minLength', f.minLength);
      if (f.continuousPrompt) {
        if (f.mode !== undefined && f.mode !== 'ptuning') throw new GlmError('E_FINETUNE_OPTION', `--continuous-prompt is --mode ptuning, not --mode ${f.mode}`);
        o.mode = 'ptuning';
      }
      if (f.randomSubset) o.randomSubset = true;
      opt('spellLength', f.spellLength); opt('spellFunc', f.spellFunc); if (f.freezeModel) o.freezeModel = true;
      if (f.multiToken) o.answerMode = 'multi';
      if (typeof f.repeatNgram === 'number') o.noRepeatNgram = f.repeatNgram;
      if (f.smask) o.maskKind = 'sMask';
      const r = await runFinetune(o);
      process.stderr.write('\n' + finetuneTable(r));
      process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    });
}
