/**
 * `glm infill --model DIR "text with [MASK] … [gMASK]"`: fills every blank left to right with
 * greedy decoding, sampling or beam search, printing the filled text (live with --stream, or
 * JSON). `--ids` takes Part A as token ids instead of text; the command-token ids then come
 * from the tokenizer (--tokenizer, or files in the model folder), else from config.json's
 * special_token_ids.
 */
import { defaultModelDir } from '../io/default-model.js';
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { GlmError } from '../util/errors.js';
import { num } from './flags.js';
import { resolveModel } from '../hub/resolve.js';
import { loadFolder } from '../io/checkpoint.js';
import { readSafetensorsHeader } from '../io/safetensors.js';
import type { GLMModel } from '../model/glm.js';
import type { GlmTokenizer, InputLayout } from '../tokenizer/types.js';
import { hasTokenizerFiles, loadTokenizer } from '../tokenizer/load.js';
import { infill, streamInfill, type InfillOptions, type InfillResult } from '../generate/index.js';
import { encodePrompts, renderResult, textDelta } from '../generate/text.js';
import { generationTokens, specialTokensFromConfig, type GenerationTokens } from '../generate/tokens.js';
import type { EarlyStopping } from '../generate/beam.js';
import { promptSeed } from '../generate/groups.js';

export interface InfillCommandOptions {
  model: string;
  tokenizer?: string;
  ids?: string;
  strategy: 'greedy' | 'sample' | 'beam';
  beams?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
  maxLength?: number;
  minLength?: number;
  /** commander's name for --no-repeat-ngram <n> (true when the flag is absent). */
  repeatNgram?: number | boolean;
  lengthPenalty?: number;
  earlyStopping?: 'true' | 'false' | 'never';
  beamSample?: boolean;
  layout?: InputLayout;
  stream?: boolean;
  json?: boolean;
}


/** "1,20,3,2" (prompts separated by ";") → id lists. */
export function parseIdLists(raw: string): number[][] {
  return raw.split(';').map((part, i) => {
    const ids = part.split(/[\s,]+/).filter((x) => x !== '').map((x) => Number(x));
    if (ids.length === 0 || ids.some((x) => !Number.isInteger(x) || x < 0)) {
      throw new GlmError('E_CLI_OPTION', `--ids: prompt ${i} must be a comma-separated list of non-negative integer ids, got ${JSON.stringify(part)}`);
    }
    return ids;
  });
}

/** Decoding options from the flags. */
export function infillOptions(o: InfillCommandOptions): InfillOptions {
  const out: InfillOptions = { strategy: o.strategy };
  if (o.beams !== undefined) out.numBeams = o.beams;
  if (o.temperature !== undefined) out.temperature = o.temperature;
  if (o.topK !== undefined) out.topK = o.topK;
  if (o.topP !== undefined) out.topP = o.topP;
  if (o.seed !== undefined) out.seed = o.seed;
  if (o.maxLength !== undefined) out.maxLength = o.maxLength;
  if (o.minLength !== undefined) out.minLength = o.minLength;
  if (typeof o.repeatNgram === 'number') out.noRepeatNgram = o.repeatNgram;
  if (o.lengthPenalty !== undefined) out.lengthPenalty = o.lengthPenalty;
  if (o.beamSample) out.beamSample = true;
  if (o.earlyStopping !== undefined) out.earlyStopping = (o.earlyStopping === 'never' ? 'never' : o.earlyStopping === 'true') as EarlyStopping;
  return out;
}

/**
 * The input layout: --layout, else 'original' for a model written by `glm pretrain` (it trains on
 * [CLS] … eos), else the tokenizer's default.
 */
function layoutFor(o: InfillCommandOptions, tok: GlmTokenizer): InputLayout {
  if (o.layout) return o.layout;
  const file = path.join(o.model, 'model.safetensors');
  try {
    if (readSafetensorsHeader(file).metadata['glm_ts_steps'] !== undefined) return 'original';
  } catch {
    // loadFolder reports a bad file; the layout question is moot then.
  }
  return tok.defaultLayout ?? 'original';
}

interface Prepared {
  model: GLMModel;
  tokenizer: GlmTokenizer | null;
  tokens: GenerationTokens;
  contexts: number[][];
}

function prepare(texts: string[], o: InfillCommandOptions): Prepared {
  const { model } = loadFolder(o.model);
  if (o.ids !== undefined) {
    if (texts.length) throw new GlmError('E_CLI_OPTION', 'give either text prompts or --ids, not both');
    const tokenizer = o.tokenizer ? loadTokenizer(o.tokenizer) : hasTokenizerFiles(o.model) ? loadTokenizer(o.model) : null;
    const tokens = tokenizer ? generationTokens(tokenizer.special) : specialTokensFromConfig(model.config);
    return { model, tokenizer, tokens, contexts: parseIdLists(o.ids) };
  }
  if (texts.length === 0) throw new GlmError('E_CLI_OPTION', 'no prompt given: pass text with [MASK], [sMASK] or [gMASK] (or --ids)');
  const source = o.tokenizer ?? o.model;
  if (!o.tokenizer && !hasTokenizerFiles(o.model)) {
    throw new GlmError('E_CLI_OPTION', `the model folder has no tokenizer files; pass --tokenizer NAME|DIR (or --ids)`, { path: o.model });
  }
  const tokenizer = loadTokenizer(source);
  if (tokenizer.paddedVocabSize > model.config.vocab_size) {
    throw new GlmError('E_CLI_OPTION', `tokenizer ${source} has ${tokenizer.paddedVocabSize} ids but the model's vocab_size is ${model.config.vocab_size}`);
  }
  const { tokens, contexts } = encodePrompts(tokenizer, texts, { layout: layoutFor(o, tokenizer) });
  return { model, tokenizer, tokens, contexts };
}

const print = (s: string): void => void process.stdout.write(s);

function summary(r: InfillResult, tokenizer: GlmTokenizer | null): string {
  if (!tokenizer) return r.blanks.map((b, j) => `blank ${j + 1} @${b.maskPosition}: ${b.tokens.join(' ')} (${b.stop})`).join('\n') + `\nfilled: ${r.filled.join(' ')}\n`;
  return renderResult(tokenizer, r).text + '\n';
}

/** Runs the command; returns the results (printing as it goes). */
export async function runInfill(texts: string[], o: InfillCommandOptions): Promise<InfillResult[]> {
  const p = prepare(texts, o);
  const opts = infillOptions(o);
  if (!o.stream) {
    const results = infill(p.model, p.contexts, p.tokens, opts);
    if (o.json) print(JSON.stringify(p.tokenizer ? results.map((r) => renderResult(p.tokenizer!, r)) : results, null, 2) + '\n');
    else results.forEach((r) => print(summary(r, p.tokenizer)));
    return results;
  }
  // Streaming: one prompt at a time, so that the terminal shows one answer growing at a time.
  const results: InfillResult[] = [];
  for (const [i, context] of p.contexts.entries()) {
    let ids: number[] = [], shown = '';
    if (p.contexts.length > 1) print(`# prompt ${i + 1}\n`);
    for await (const e of streamInfill(p.model, [context], p.tokens, { ...opts, seed: promptSeed(opts.seed ?? 0, i) })) {
      if (e.type === 'token') {
        if (e.index === 0) {
          ids = [];
          shown = '';
          print(`[${e.blank + 1}] `);
        }
        ids.push(e.token);
        if (p.tokenizer) {
          const d = textDelta(p.tokenizer, ids, shown);
          shown = d.shown;
          print(d.delta);
        } else print(`${e.token} `);
      } else if (e.type === 'blank') {
        if (e.result.tokens.length === 0) print(`[${e.blank + 1}] `);
        print(`  (${e.result.stop})\n`);
      } else {
        const r = e.results[0]!;
        results.push(r);
        if (o.json) print(JSON.stringify(p.tokenizer ? renderResult(p.tokenizer, r) : r) + '\n');
        else print(p.tokenizer ? `=> ${renderResult(p.tokenizer, r).text}\n` : `=> ${r.filled.join(' ')}\n`);
      }
    }
  }
  return results;
}

export function register(program: Command): void {
  program
    .command('infill')
    .description('fill every [MASK], [sMASK] and [gMASK] of the text, left to right (later blanks see earlier answers)')
    .argument('[text...]', 'prompts (several are decoded as one batch)')
    .option('--model <dir>', 'model folder: config.json + model.safetensors (+ tokenizer files); or a Hub name OWNER/NAME[@REVISION]; default: the shipped English GLM (models/glm-en-small)')
    .option('--tokenizer <name|dir>', 'tokenizer name or folder (default: the model folder)')
    .option('--ids <list>', 'Part A as token ids instead of text: "1,20,3,2" (";" separates prompts)')
    .addOption(new Option('--strategy <name>', 'decoding strategy').choices(['greedy', 'sample', 'beam']).default('greedy'))
    .option('--beams <n>', 'beam search: beams per prompt (default 4)', num('--beams', { int: true, min: 1 }))
    .option('--temperature <t>', 'sampling temperature (default 0.9)', num('--temperature', { min: 1e-6 }))
    .option('--top-k <k>', 'sampling: keep the k most likely tokens (default 40; 0 = off)', num('--top-k', { int: true, min: 0 }))
    .option('--top-p <p>', 'sampling: nucleus probability (0 = off)', num('--top-p', { min: 0, max: 1 }))
    .option('--seed <n>', 'seed for sampling and --beam-sample (default 0)', num('--seed', { int: true, min: 0 }))
    .option('--max-length <n>', 'most tokens per blank (default 64)', num('--max-length', { int: true, min: 1 }))
    .option('--min-length <n>', 'fewest tokens per blank (default 0)', num('--min-length', { int: true, min: 0 }))
    .option('--no-repeat-ngram <n>', 'never repeat an n-gram within a blank (0 = off)', num('--no-repeat-ngram', { int: true, min: 0 }))
    .option('--length-penalty <x>', 'beam search: score = sum log p / length^x (default 0)', num('--length-penalty'))
    .addOption(new Option('--early-stopping <mode>', 'beam search: stop a blank when n hypotheses are done (true), by the GLM heuristic (false), or only when no beam can win (never)').choices(['true', 'false', 'never']))
    .option('--beam-sample', 'beam search: draw each step\'s candidates from softmax(scores) instead of the top ones (GLM without --select-topk)')
    .addOption(new Option('--layout <layout>', 'Part A layout: original ([CLS] … eos) or hub (spec §3.3)').choices(['original', 'hub']))
    .option('--stream', 'print tokens as they are produced')
    .option('--json', 'print the results as JSON')
    .action(async (texts: string[], o: InfillCommandOptions) => {
      o.model = o.model === undefined ? defaultModelDir() : await resolveModel(o.model);
      if (!fs.existsSync(o.model)) throw new GlmError('E_CHECKPOINT_MISSING', 'no such model folder', { path: o.model });
      await runInfill(texts, o);
    });
}
