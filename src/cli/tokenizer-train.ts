/** `glm tokenizer train`: a WordPiece / byte-level BPE / unigram vocabulary with GLM command tokens. */
import { Option, type Command } from 'commander';
import { GlmError } from '../util/errors.js';
import { trainTokenizer, type TrainerType } from '../tokenizer/train/train.js';

function int(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new GlmError('E_CLI', `${name} must be a positive integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
}

export function register(program: Command): void {
  const tok = program.commands.find((c) => c.name() === 'tokenizer') ?? program.command('tokenizer').description('tokenizer utilities');
  tok
    .command('train')
    .description('train a tokenizer on text files; GLM command tokens are appended and the vocabulary padded to a multiple of 128')
    .addOption(new Option('--type <type>', 'subword model').choices(['wordpiece', 'bpe', 'unigram']).makeOptionMandatory())
    .requiredOption('--vocab-size <n>', 'size of the text vocabulary (before command tokens and padding)', int('--vocab-size'))
    .requiredOption('--data <files...>', 'training text files or folders of *.txt files')
    .requiredOption('--out <dir>', 'output folder (loadable with --tokenizer DIR)')
    .option('--cased', 'wordpiece: keep case and accents (default: lower-case like bert-base-uncased)')
    .option('--min-frequency <n>', 'merges need at least this many occurrences (default 2)', int('--min-frequency'))
    .option('--character-coverage <x>', 'unigram: spm_train --character_coverage (default 0.9995)', parseFloat)
    .action((o: { type: TrainerType; vocabSize: number; data: string[]; out: string; cased?: boolean; minFrequency?: number; characterCoverage?: number }) => {
      const { report } = trainTokenizer({
        type: o.type, vocabSize: o.vocabSize, data: o.data, out: o.out, lowercase: !o.cased,
        ...(o.minFrequency !== undefined ? { minFrequency: o.minFrequency } : {}),
        ...(o.characterCoverage !== undefined ? { characterCoverage: o.characterCoverage } : {}),
      });
      process.stdout.write(JSON.stringify(report) + '\n');
    });
}
