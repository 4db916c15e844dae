/**
 * `glm score --model DIR "text with [MASK]" --choices a,b,c`: how likely each answer is for the
 * blank, all answers scored in one forward pass. Table on stderr, JSON on stdout.
 */
import { defaultModelDir } from '../io/default-model.js';
import { type Command } from 'commander';
import { GlmError } from '../util/errors.js';
import { loadFinetuned } from '../finetune/model-dir.js';
import { openTokenizer } from '../finetune/setup.js';
import { scoreTextChoices } from '../finetune/score-text.js';
import { table } from '../finetune/report.js';
import { num } from './flags.js';
import { resolveModel } from '../hub/resolve.js';

interface Flags { model: string; choices: string; tokenizer?: string; eop: boolean; firstMask?: boolean; rawChoices?: boolean; lengthPenalty?: number; separator: string }

export function register(program: Command): void {
  program
    .command('score')
    .description('score answers for the blank of a text: log p(answer + [eop] | text), every answer in one forward pass')
    .argument('<text>', 'text with a [MASK] (the last one is the blank)')
    .option('--model <dir>', 'model folder, or a Hugging Face Hub name OWNER/NAME[@REVISION] (downloaded into the HF cache); default: the shipped English GLM (models/glm-en-small)')
    .requiredOption('--choices <list>', 'answers, comma-separated (see --separator); a leading space is added unless --raw-choices')
    .option('--separator <s>', 'separator of --choices', ',')
    .option('--tokenizer <name|dir>', 'tokenizer (default: the model folder\'s)')
    .option('--no-eop', 'do not score [eop] after each answer (hub scoring)')
    .option('--first-mask', 'the blank is the first mask ([hub]) instead of the last ([orig])')
    .option('--raw-choices', 'tokenise the choices exactly as written (no leading space)')
    .option('--length-penalty <x>', 'rank by log p / len^x', num('--length-penalty'))
    .action(async (text: string, f: Flags) => {
      f.model = f.model === undefined ? defaultModelDir() : await resolveModel(f.model);
      const choices = f.choices.split(f.separator).map((c) => c.trim()).filter((c) => c !== '');
      if (choices.length === 0) throw new GlmError('E_CLI_OPTION', `--choices: no answers in ${JSON.stringify(f.choices)}`);
      const { model } = loadFinetuned(f.model);
      const tok = openTokenizer(f.model, f.tokenizer, model);
      const r = scoreTextChoices(model, tok, text, choices, {
        includeEop: f.eop, blank: f.firstMask ? 'first' : 'last', leadingSpace: !f.rawChoices, ...(f.lengthPenalty !== undefined ? { lengthPenalty: f.lengthPenalty } : {}),
      });
      const best = r.reduce((b, x) => (x.score > b.score ? x : b));
      process.stderr.write(table(['choice', 'tokens', 'log p', 'log p / token', 'p (among choices)'], r.map((x) => [
        (x === best ? '* ' : '  ') + x.choice, String(x.tokens), x.logProb.toFixed(4), (x.logProb / x.tokenLogProbs.length).toFixed(4), x.probability.toFixed(4),
      ])));
      process.stdout.write(JSON.stringify({ text, best: best.choice, choices: r }, null, 2) + '\n');
    });
}
