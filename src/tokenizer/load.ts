/**
 * `loadTokenizer(nameOrDir)`: the built-in GLM families by name (spec §3.1, §3.2), folders written
 * by `glm tokenizer train` / `glm convert` (glm_tokenizer.json), and hub-layout folders
 * (tokenizer_config.json naming a GLM*Tokenizer class, with its vocabulary files).
 */
import { defaultModelDir } from '../io/default-model.js';
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { CommandTokenizer } from './glm-tokenizer.js';
import { HfTextModel, bertTokenizerJson, byteLevelBpeTokenizerJson } from './hf-model.js';
import { SentencePieceModel } from './sentencepiece/model.js';
import { bertUncasedVocab, gpt2Files, readBpeFiles, readText, readVocabTxt, type BpeFiles } from './vocab-files.js';
import {
  bertCommands, chineseCommands, chineseNumTokens, customCommands, gpt2Commands, robertaCommands, specialFromCommands, type ChineseGMaskRule,
} from './families.js';
import type { CommandTokenInfo, InputLayout, TokenizerFamily } from './types.js';
import type { TextModel } from './text-model.js';
import { hubTokenizerClass } from './hub-class.js';

export interface LoadTokenizerOptions {
  /** The layout models using this tokenizer default to (recorded as defaultLayout; default 'hub'). */
  layout?: InputLayout;
  /** SentencePiece `.model` file: required by glm-large-chinese / glm-10b-chinese (GLM's cog-pretrain.model). */
  spModel?: string;
  /** RoBERTa vocab.json and merges.txt: required by glm-roberta-large. */
  vocabFile?: string;
  mergesFile?: string;
  /** glm-10b-chinese only: which [gMASK] id (spec §0.2 #6). Default: 'original' with layout 'original', else 'hub'. */
  chineseGMask?: ChineseGMaskRule;
}

/** Where a tokenizer's vocabulary came from, so that it can be written out again (save.ts). */
export type TokenizerSource =
  | { kind: 'bert-vocab'; vocab: string[] }
  | { kind: 'bpe'; files: BpeFiles }
  | { kind: 'sentencepiece'; bytes: Uint8Array }
  | { kind: 'hf-json'; json: Record<string, unknown> };

/** A loaded GLM tokenizer plus what is needed to save it. */
export class LoadedTokenizer extends CommandTokenizer {
  source!: TokenizerSource;
  /** Hub tokenizer class name (GLMBertTokenizer, …) for tokenizer_config.json. */
  hubClass!: string;
}

const BERT_NAMES = ['bert-base-uncased', 'glm-base', 'glm-large', 'glm-large-generation', 'glm-doc', 'glm-410m', 'glm-515m'];
const GPT2_NAMES = ['gpt2', 'glm-2b', 'glm-10b'];
const CHINESE_NAMES = ['glm-large-chinese', 'glm-10b-chinese'];
/** Every built-in name `loadTokenizer` accepts. */
export const BUILTIN_TOKENIZERS: readonly string[] = [...BERT_NAMES, ...GPT2_NAMES, 'glm-roberta-large', ...CHINESE_NAMES];

let bertModel: HfTextModel | undefined;
let gpt2Model: HfTextModel | undefined;

function bertText(): HfTextModel {
  bertModel ??= new HfTextModel(bertTokenizerJson(bertUncasedVocab()), { tokenizer_class: 'BertTokenizer', do_lower_case: true }, { joinWithSpace: true });
  return bertModel;
}

function bpeText(files: BpeFiles, added: { id: number; content: string }[]): HfTextModel {
  return new HfTextModel(byteLevelBpeTokenizerJson(files.vocab, files.merges, added), { tokenizer_class: 'GPT2Tokenizer' }, { joinWithSpace: false });
}

function gpt2Text(): HfTextModel {
  gpt2Model ??= bpeText(gpt2Files(), [{ id: 50256, content: '<|endoftext|>' }]);
  return gpt2Model;
}

function make(
  family: TokenizerFamily, text: TextModel, commands: CommandTokenInfo[], source: TokenizerSource, hubClass: string,
  extra: { name: string; layout: InputLayout; numTokens?: number },
): LoadedTokenizer {
  const t = new LoadedTokenizer({
    family, text, commands, special: specialFromCommands(commands), name: extra.name, defaultLayout: extra.layout,
    ...(extra.numTokens !== undefined ? { numTokens: extra.numTokens } : {}),
  });
  t.source = source;
  t.hubClass = hubClass;
  return t;
}

/** The BERT-uncased GLM tokenizer (30,522 text tokens + sop/eop = 30,524 → padded 30,592). */
export function bertGlmTokenizer(name = 'glm-large', layout: InputLayout = 'hub', text: { model: TextModel; vocab: string[] } = { model: bertText(), vocab: bertUncasedVocab() }): LoadedTokenizer {
  const n = text.vocab.length;
  return make('bert', text.model, bertCommands(n), { kind: 'bert-vocab', vocab: text.vocab }, 'GLMBertTokenizer', { name, layout, numTokens: n + 2 });
}

/** The GPT-2 GLM tokenizer (50,257 + 9 command tokens = 50,266 → padded 50,304). */
export function gpt2GlmTokenizer(name = 'glm-10b', layout: InputLayout = 'hub', files: BpeFiles = gpt2Files(), model: TextModel = gpt2Text()): LoadedTokenizer {
  const n = model.size;
  return make('gpt2', model, gpt2Commands(n), { kind: 'bpe', files }, 'GLMGPT2Tokenizer', { name, layout, numTokens: n + 9 });
}

/** glm-roberta-large: the user's RoBERTa vocab.json + merges.txt (50,265 + sop/eop → padded 50,304). */
export function robertaGlmTokenizer(files: BpeFiles, name = 'glm-roberta-large', layout: InputLayout = 'hub', where = 'vocab.json'): LoadedTokenizer {
  const need = (t: string): number => {
    const id = files.vocab[t];
    if (id === undefined) throw new GlmError('E_TOKENIZER_FILE', `RoBERTa vocabulary has no ${t} token`, { path: where });
    return id;
  };
  const ids = { s: need('<s>'), slashS: need('</s>'), unk: need('<unk>'), mask: need('<mask>') };
  const added = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'].filter((t) => t in files.vocab).map((t) => ({ id: files.vocab[t]!, content: t }));
  const model = bpeText(files, added);
  const n = model.size;
  return make('roberta', model, robertaCommands(n, ids), { kind: 'bpe', files }, 'GLMRobertaTokenizer', { name, layout, numTokens: n + 2 });
}

/** ChineseSPTokenizer over a SentencePiece model (glm-large-chinese: fixCommandToken; glm-10b-chinese: see ChineseGMaskRule). */
export function chineseGlmTokenizer(sp: SentencePieceModel, opts: { name: string; layout: InputLayout; fixCommandToken: boolean; dBlock?: boolean }): LoadedTokenizer {
  const n = sp.size;
  const layoutOpts = opts.dBlock === undefined ? { fixCommandToken: opts.fixCommandToken } : { fixCommandToken: opts.fixCommandToken, dBlock: opts.dBlock };
  return make('sentencepiece', sp, chineseCommands(n, layoutOpts), { kind: 'sentencepiece', bytes: sp.proto.bytes }, 'GLMChineseTokenizer', {
    name: opts.name, layout: opts.layout, numTokens: chineseNumTokens(n, layoutOpts),
  });
}

function loadBuiltin(name: string, opts: LoadTokenizerOptions): LoadedTokenizer {
  const layout = opts.layout ?? 'hub';
  if (BERT_NAMES.includes(name)) return bertGlmTokenizer(name, layout);
  if (GPT2_NAMES.includes(name)) return gpt2GlmTokenizer(name, layout);
  if (name === 'glm-roberta-large') {
    if (!opts.vocabFile || !opts.mergesFile) {
      throw new GlmError('E_TOKENIZER_FILES_REQUIRED', 'glm-roberta-large needs the RoBERTa vocab.json and merges.txt (no npm or Debian package ships them): pass vocabFile/mergesFile (--vocab, --merges)');
    }
    return robertaGlmTokenizer(readBpeFiles(opts.vocabFile, opts.mergesFile), name, layout, opts.vocabFile);
  }
  if (CHINESE_NAMES.includes(name)) {
    if (!opts.spModel) {
      throw new GlmError('E_TOKENIZER_FILES_REQUIRED', `${name} needs GLM's SentencePiece model (cog-pretrain.model, not shipped by npm or Debian): pass spModel (--sp-model FILE)`);
    }
    const sp = SentencePieceModel.fromFile(opts.spModel);
    if (name === 'glm-large-chinese') return chineseGlmTokenizer(sp, { name, layout, fixCommandToken: true });
    const rule = opts.chineseGMask ?? (layout === 'original' ? 'original' : 'hub');
    // The hub tokenizer of glm-10b-chinese uses the fix_command_token ids ([gMASK] 50009).
    return chineseGlmTokenizer(sp, { name, layout, fixCommandToken: rule === 'hub', dBlock: rule === 'original' });
  }
  throw new GlmError('E_TOKENIZER_UNKNOWN', `unknown tokenizer ${JSON.stringify(name)}: expected a folder or one of ${BUILTIN_TOKENIZERS.join(', ')}`);
}

/** The file glm-ts writes next to a tokenizer's vocabulary files. */
export const GLM_TOKENIZER_FILE = 'glm_tokenizer.json';

interface GlmTokenizerFile {
  format: 'glm-ts-tokenizer';
  version: 1;
  family: TokenizerFamily;
  name?: string;
  default_layout?: InputLayout;
  /** How to read the text model: 'bert-vocab' (vocab.txt), 'bpe' (vocab.json + merges.txt), 'sentencepiece' (a .model), 'hf-json' (tokenizer.json). */
  text: { kind: TokenizerSource['kind']; files: string[]; lowercase?: boolean };
  command_tokens: CommandTokenInfo[];
  num_tokens: number;
  padded_vocab_size: number;
  hub_class?: string;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readText(file));
  } catch (e) {
    if (e instanceof GlmError) throw e;
    throw new GlmError('E_TOKENIZER_FILE', `not valid JSON: ${(e as Error).message}`, { path: file, cause: e });
  }
}

function loadGlmTokenizerFile(dir: string, opts: LoadTokenizerOptions): LoadedTokenizer {
  const file = path.join(dir, GLM_TOKENIZER_FILE);
  const raw = readJson(file) as Partial<GlmTokenizerFile>;
  const bad = (what: string): never => {
    throw new GlmError('E_TOKENIZER_FILE', what, { path: file });
  };
  if (raw.format !== 'glm-ts-tokenizer') bad(`"format" must be "glm-ts-tokenizer", got ${JSON.stringify(raw.format)}`);
  if (raw.version !== 1) bad(`unsupported version ${JSON.stringify(raw.version)} (this glm-ts reads version 1)`);
  if (!raw.text || !Array.isArray(raw.text.files) || raw.text.files.length === 0) bad('"text" must give the kind and files of the vocabulary');
  if (!Array.isArray(raw.command_tokens)) bad('"command_tokens" must be a list');
  const commands = raw.command_tokens!.map((c, i) => {
    if (typeof c?.name !== 'string' || typeof c.token !== 'string' || !Number.isInteger(c.id) || c.id < 0) bad(`command_tokens[${i}] needs a name, token and non-negative integer id`);
    return { name: c.name, token: c.token, id: c.id, lstrip: c.lstrip === true };
  });
  const files = raw.text!.files.map((f) => path.join(dir, f));
  let text: TextModel;
  let source: TokenizerSource;
  switch (raw.text!.kind) {
    case 'bert-vocab': {
      const vocab = readVocabTxt(files[0]!);
      text = new HfTextModel(bertTokenizerJson(vocab, { lowercase: raw.text!.lowercase ?? true }), { tokenizer_class: 'BertTokenizer' }, { joinWithSpace: true });
      source = { kind: 'bert-vocab', vocab };
      break;
    }
    case 'bpe': {
      if (files.length < 2) bad('a "bpe" vocabulary needs two files: vocab.json and merges.txt');
      const bpe = readBpeFiles(files[0]!, files[1]!);
      const added = commands.filter((c) => bpe.vocab[c.token] === c.id).map((c) => ({ id: c.id, content: c.token }));
      text = bpeText(bpe, added);
      source = { kind: 'bpe', files: bpe };
      break;
    }
    case 'sentencepiece': {
      const sp = SentencePieceModel.fromFile(files[0]!);
      text = sp;
      source = { kind: 'sentencepiece', bytes: sp.proto.bytes };
      break;
    }
    case 'hf-json': {
      const json = readJson(files[0]!) as Record<string, unknown>;
      const model = json['model'] as { type?: string } | undefined;
      text = new HfTextModel(json, {}, { joinWithSpace: model?.type === 'WordPiece' });
      source = { kind: 'hf-json', json };
      break;
    }
    default:
      return bad(`unknown text kind ${JSON.stringify(raw.text!.kind)}`);
  }
  for (const c of commands) {
    if (c.id >= raw.padded_vocab_size! && raw.padded_vocab_size !== undefined) bad(`command token ${c.token} id ${c.id} is beyond padded_vocab_size ${raw.padded_vocab_size}`);
  }
  const t = new LoadedTokenizer({
    family: raw.family ?? 'custom', text, commands, special: specialFromCommands(commands), name: raw.name ?? dir,
    defaultLayout: opts.layout ?? raw.default_layout ?? 'hub',
    ...(raw.num_tokens !== undefined ? { numTokens: raw.num_tokens } : {}),
  });
  if (raw.padded_vocab_size !== undefined && t.paddedVocabSize !== raw.padded_vocab_size) bad(`padded_vocab_size ${raw.padded_vocab_size} is not num_tokens ${t.numTokens} rounded up to a multiple of 128`);
  t.source = source;
  t.hubClass = raw.hub_class ?? 'GLMTokenizer';
  return t;
}

/** A hub-layout folder: tokenizer_config.json's tokenizer_class picks the family (spec §3.2 notes). */
function loadHubDir(dir: string, opts: LoadTokenizerOptions): LoadedTokenizer | undefined {
  const cfgFile = path.join(dir, 'tokenizer_config.json');
  const cfg = fs.existsSync(cfgFile) ? (readJson(cfgFile) as Record<string, unknown>) : {};
  const cls = hubTokenizerClass(cfg);
  const has = (f: string): boolean => fs.existsSync(path.join(dir, f));
  const layout = opts.layout ?? 'hub';
  const name = dir;
  if (cls === 'GLMBertTokenizer' || (!cls && has('vocab.txt'))) {
    const vocab = readVocabTxt(path.join(dir, 'vocab.txt'));
    const model = new HfTextModel(bertTokenizerJson(vocab), { tokenizer_class: 'BertTokenizer' }, { joinWithSpace: true });
    return bertGlmTokenizer(name, layout, { model, vocab });
  }
  if (cls === 'GLMGPT2Tokenizer' || cls === 'GLMRobertaTokenizer' || (!cls && has('vocab.json') && has('merges.txt'))) {
    const files = readBpeFiles(path.join(dir, 'vocab.json'), path.join(dir, 'merges.txt'));
    const roberta = cls === 'GLMRobertaTokenizer' || (!cls && '<mask>' in files.vocab);
    if (roberta) return robertaGlmTokenizer(files, name, layout, path.join(dir, 'vocab.json'));
    return gpt2GlmTokenizer(name, layout, files, bpeText(files, [{ id: files.vocab['<|endoftext|>'] ?? 50256, content: '<|endoftext|>' }]));
  }
  const spFile = typeof cfg['vocab_file'] === 'string' ? (cfg['vocab_file'] as string) : has('cog-pretrain.model') ? 'cog-pretrain.model' : fs.readdirSync(dir).find((f) => f.endsWith('.model'));
  if (cls === 'GLMChineseTokenizer' || (!cls && spFile)) {
    if (!spFile || !has(spFile)) throw new GlmError('E_TOKENIZER_FILE_MISSING', `tokenizer_config.json names ${cls} but the folder has no SentencePiece .model file`, { path: dir });
    const sp = SentencePieceModel.fromFile(path.join(dir, spFile));
    return chineseGlmTokenizer(sp, { name, layout, fixCommandToken: true });
  }
  if (cls) throw new GlmError('E_TOKENIZER_UNKNOWN', `tokenizer_class ${JSON.stringify(cls)} is not a GLM tokenizer (expected GLMBertTokenizer, GLMGPT2Tokenizer, GLMRobertaTokenizer or GLMChineseTokenizer)`, { path: cfgFile });
  return undefined;
}

/**
 * Loads a GLM tokenizer: a built-in name (see BUILTIN_TOKENIZERS), a folder with glm_tokenizer.json
 * (written by `glm tokenizer train` and `glm convert`), or a hub-layout folder.
 */
export function loadTokenizer(nameOrDir: string = defaultModelDir(), opts: LoadTokenizerOptions = {}): LoadedTokenizer {
  let isDir = false;
  try {
    isDir = fs.statSync(nameOrDir).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) {
    if (BUILTIN_TOKENIZERS.includes(nameOrDir)) return loadBuiltin(nameOrDir, opts);
    if (nameOrDir.includes('/') || nameOrDir.includes(path.sep) || fs.existsSync(nameOrDir)) {
      throw new GlmError('E_TOKENIZER_NOT_FOUND', fs.existsSync(nameOrDir) ? 'expected a tokenizer folder, got a file' : 'no such tokenizer folder', { path: nameOrDir });
    }
    return loadBuiltin(nameOrDir, opts);
  }
  if (fs.existsSync(path.join(nameOrDir, GLM_TOKENIZER_FILE))) return loadGlmTokenizerFile(nameOrDir, opts);
  const hub = loadHubDir(nameOrDir, opts);
  if (hub) return hub;
  throw new GlmError('E_TOKENIZER_NOT_FOUND', `no tokenizer in this folder: expected ${GLM_TOKENIZER_FILE}, or tokenizer_config.json with vocab.txt / vocab.json + merges.txt / a SentencePiece .model`, { path: nameOrDir });
}

/** True when `dir` holds tokenizer files loadTokenizer understands. */
export function hasTokenizerFiles(dir: string): boolean {
  const has = (f: string): boolean => fs.existsSync(path.join(dir, f));
  return has(GLM_TOKENIZER_FILE) || has('tokenizer_config.json') || has('vocab.txt') || (has('vocab.json') && has('merges.txt'));
}

export { customCommands };
