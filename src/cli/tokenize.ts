/** `glm tokenize`: text → {"ids", "tokens"} (or ids → text with --decode) for any GLM tokenizer. */
import { Option, type Command } from 'commander';
import { GlmError } from '../util/errors.js';
import { loadTokenizer, type LoadTokenizerOptions } from '../tokenizer/load.js';
import { encodeSource } from '../tokenizer/input-builders.js';
import type { InputLayout } from '../tokenizer/types.js';

export interface TokenizeCommandOptions {
  tokenizer: string;
  layout?: InputLayout;
  decode?: boolean;
  spModel?: string;
  vocab?: string;
  merges?: string;
  gmaskRule?: 'original' | 'hub';
}

/** Parses "1,2,3", "1 2 3" or "[1, 2, 3]" into ids. */
export function parseIds(text: string): number[] {
  const parts = text.replace(/^\s*\[|\]\s*$/g, '').split(/[\s,]+/).filter((x) => x !== '');
  return parts.map((p, i) => {
    if (!/^\d+$/.test(p)) throw new GlmError('E_CLI', `--decode expects token ids, got ${JSON.stringify(p)} at position ${i + 1}`);
    return Number(p);
  });
}

/** The JSON `glm tokenize` prints. */
export function runTokenize(text: string, o: TokenizeCommandOptions): Record<string, unknown> {
  const opts: LoadTokenizerOptions = {
    ...(o.layout ? { layout: o.layout } : {}),
    ...(o.spModel ? { spModel: o.spModel } : {}),
    ...(o.vocab ? { vocabFile: o.vocab } : {}),
    ...(o.merges ? { mergesFile: o.merges } : {}),
    ...(o.gmaskRule ? { chineseGMask: o.gmaskRule } : {}),
  };
  const tok = loadTokenizer(o.tokenizer, opts);
  if (o.decode) {
    const ids = parseIds(text);
    return { text: tok.decode(ids), tokens: ids.map((id) => tok.idToToken(id) ?? null) };
  }
  const ids = o.layout ? encodeSource(tok, text, { layout: o.layout }) : tok.encode(text);
  return { ids, tokens: ids.map((id) => tok.idToToken(id) ?? null) };
}

export function register(program: Command): void {
  program
    .command('tokenize')
    .description('tokenize TEXT with a GLM tokenizer and print {"ids": [...], "tokens": [...]} (--decode: ids → text)')
    .argument('<text...>', 'text (joined with spaces), or ids with --decode')
    .requiredOption('--tokenizer <name|dir>', 'bert-base-uncased, gpt2, a GLM model name (glm-large, glm-10b, glm-10b-chinese, …) or a tokenizer folder')
    .addOption(new Option('--layout <layout>', 'build the model input ([CLS] … eos) in this layout (spec §3.3)').choices(['original', 'hub']))
    .option('--decode', 'the arguments are token ids: print the text')
    .option('--sp-model <file>', 'SentencePiece model for glm-large-chinese / glm-10b-chinese (cog-pretrain.model)')
    .option('--vocab <file>', 'RoBERTa vocab.json for glm-roberta-large')
    .option('--merges <file>', 'RoBERTa merges.txt for glm-roberta-large')
    .addOption(new Option('--gmask-rule <rule>', 'glm-10b-chinese [gMASK] id: original (= eop) or hub (+2)').choices(['original', 'hub']))
    .action((words: string[], o: TokenizeCommandOptions) => {
      process.stdout.write(JSON.stringify(runTokenize(words.join(' '), o)) + '\n');
    });
}
