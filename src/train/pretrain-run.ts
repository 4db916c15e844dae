/**
 * `glm pretrain` end to end: tokenizer → corpus (bundled by default) → cached token store →
 * document split → blank-infilling data stream → model → trainer → final model folder →
 * blank-filling samples. The CLI (src/cli/pretrain.ts) only parses flags into PretrainRunOptions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { saveModel } from '../io/checkpoint.js';
import { GLMModel } from '../model/glm.js';
import { type GLMConfig, PRESETS, makeConfig, parameterCount } from '../model/config.js';
import { readConfigFile } from '../io/hf.js';
import type { GlmTokenizer } from '../tokenizer/types.js';
import { bundledCorpus } from '../data/bundled.js';
import { type CorpusSpec, type DocSplit, corpusFingerprint, resolveCorpus } from '../data/corpus.js';
import { defaultCacheDir, prepareCorpus, splitDocuments } from '../data/prepare.js';
import { corpusTokenizer } from '../data/default-tokenizer.js';
import { LoadedTokenizer, loadTokenizer } from '../tokenizer/load.js';
import { configSpecialTokenIds, saveTokenizer } from '../tokenizer/save.js';
import { PretrainData } from '../data/pipeline.js';
import { type BlockVocab, blockVocabFromTokenizer } from '../data/vocab.js';
import type { ObjectiveOptions } from '../data/objectives.js';
import { type DecayStyle } from './schedule.js';
import { type TrainResult, train } from './trainer.js';
import { availableMemory, estimateTrainingMemory, formatBytes } from './memory-estimate.js';
import { contextCheck, continuationSamples, fillBlankSamples, type BlankSample } from './samples.js';
import type { FirstTokenReport } from '../eval/first-token.js';

/** The default model: small enough to learn visibly in minutes on two CPU cores. */
export const SMALL_CONFIG = { num_layers: 4, hidden_size: 256, num_attention_heads: 4 } as const;

export interface PretrainRunOptions {
  /** 'small' (default), 'base', 'large', another PRESETS name, or a config.json path. */
  config?: string;
  /** Corpus files/folders; default: the bundled corpus. */
  data?: string[];
  docSplit?: DocSplit;
  /** Tokenizer name or folder; default: an 8,000-piece WordPiece vocabulary trained on the corpus (cached). */
  tokenizer?: string | GlmTokenizer;
  cacheDir?: string;
  out: string;
  steps: number;
  batch: number;
  /** Raw sample length (before Part B). */
  seq: number;
  lr: number;
  warmup: number;
  decayStyle: DecayStyle;
  decayRatio: number;
  /** Default: steps. */
  decayIters?: number;
  weightDecay: number;
  clip: number;
  gradAccumulation: number;
  /** Overrides the config's three dropout probabilities. */
  dropout?: number;
  validFraction: number;
  evalInterval: number;
  evalBatches: number;
  checkpointInterval: number;
  keepCheckpoints: number;
  maxMinutes?: number;
  seed: number;
  resume: boolean;
  objective: Partial<Omit<ObjectiveOptions, 'maxSeqLength' | 'seed'>>;
  /** Blank-filling samples printed at the end. */
  samples: number;
  progress: boolean;
  /** Refuse configs whose estimate exceeds this many bytes (default: available memory). */
  memoryLimit?: number;
  log?: (msg: string) => void;
}

export interface PretrainRunResult {
  train: TrainResult;
  config: GLMConfig;
  parameters: number;
  estimatedBytes: number;
  modelDir: string;
  samples: BlankSample[];
  /** [gMASK] continuation samples (runs that trained the document objective). */
  continuations: BlankSample[];
  /** First-token prediction on 256 validation blanks against a unigram model (with samples). */
  context?: FirstTokenReport & { unigramText: string };
  corpus: { description: string; documents: number; tokens: number; trainDocs: number; validDocs: number; cached: boolean; storeDir: string; seconds: number };
  /** Examples the data pipeline builds per second vs what training consumed per second. */
  dataExamplesPerSecond: number;
  trainExamplesPerSecond: number;
}


/** The model config for a run: preset or file, vocabulary from the tokenizer, positions ≥ seq. */
export function buildConfig(name: string, vocabSize: number, seq: number, dropout?: number): GLMConfig {
  let cfg: GLMConfig;
  if (name === 'small') {
    cfg = makeConfig({ ...SMALL_CONFIG, vocab_size: vocabSize, max_sequence_length: seq });
  } else if (PRESETS[name]) {
    const p = PRESETS[name]!;
    if (seq > p.max_sequence_length) throw new GlmError('E_TRAIN_OPTION', `--seq ${seq} exceeds the ${name} config's max_sequence_length ${p.max_sequence_length}`);
    cfg = makeConfig({ ...p, vocab_size: vocabSize });
  } else {
    if (!fs.existsSync(name)) throw new GlmError('E_CONFIG', `--config must be small, ${Object.keys(PRESETS).join(', ')} or a config.json file; no such file`, { path: name });
    cfg = readConfigFile(name);
    if (cfg.vocab_size < vocabSize) throw new GlmError('E_CONFIG', `vocab_size ${cfg.vocab_size} is smaller than the tokenizer's ${vocabSize} ids`, { path: name });
    if (cfg.max_sequence_length < seq) throw new GlmError('E_CONFIG', `max_sequence_length ${cfg.max_sequence_length} is shorter than --seq ${seq}`, { path: name });
  }
  if (dropout !== undefined) {
    if (!(dropout >= 0 && dropout < 1)) throw new GlmError('E_TRAIN_OPTION', `--dropout must be in [0, 1), got ${dropout}`);
    cfg = { ...cfg, embedding_dropout_prob: dropout, attention_dropout_prob: dropout, output_dropout_prob: dropout };
  }
  return cfg;
}

/** The vocabulary size a run needs: the tokenizer's, plus sentinel ids for that ablation. */
function vocabFor(tok: GlmTokenizer, opts: PretrainRunOptions): { vocab: BlockVocab; size: number } {
  const taskMask = opts.objective.taskMask ?? false;
  let size = tok.paddedVocabSize;
  let sentinelBase: number | undefined;
  if (opts.objective.sentinelToken) {
    // At most int(0.15·seq)+1 spans per sample; MASK{i}/sop{i} for i ≥ 1 after the text vocabulary.
    const spans = Math.floor(0.15 * opts.seq) + 1;
    sentinelBase = tok.numTokens;
    size = Math.ceil((tok.numTokens + 2 * spans) / 128) * 128;
  }
  const vocab = blockVocabFromTokenizer(tok, { taskMask, size });
  if ((opts.objective.blockMaskProb ?? 0) > 0 && vocab.dBlock === undefined) {
    throw new GlmError('E_TRAIN_OPTION', `--block-mask-prob needs a [dBLOCK] token and the ${tok.family} tokenizer has none (the default corpus tokenizer has one)`);
  }
  if (sentinelBase !== undefined) vocab.sentinelBase = sentinelBase;
  return { vocab, size };
}

/** Writes the tokenizer files beside the model (a tokenizer built in code gets a note instead). */
function saveTokenizerFiles(tok: GlmTokenizer, dir: string): void {
  if (tok instanceof LoadedTokenizer) {
    saveTokenizer(tok, dir);
    return;
  }
  fs.writeFileSync(path.join(dir, 'tokenizer-source.json'), JSON.stringify({ note: 'tokenizer built in code; not saved', name: tok.name ?? null, family: tok.family, numTokens: tok.numTokens }, null, 2) + '\n');
}

export async function runPretrain(opts: PretrainRunOptions): Promise<PretrainRunResult> {
  const log = opts.log ?? ((m: string): void => void process.stderr.write(m + '\n'));
  for (const [k, v] of [['steps', opts.steps], ['batch', opts.batch], ['seq', opts.seq]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new GlmError('E_TRAIN_OPTION', `--${k} must be a positive integer, got ${v}`);
  }
  const cacheDir = opts.cacheDir ?? defaultCacheDir();
  // An explicit tokenizer lets the memory check run before the corpus is read; the default one is trained on it.
  let spec: CorpusSpec | undefined, corpusHash: string | undefined, tok: GlmTokenizer;
  const corpus = async (): Promise<{ spec: CorpusSpec; hash: string }> => {
    spec ??= opts.data?.length ? resolveCorpus(opts.data, opts.docSplit ?? 'file') : bundledCorpus();
    corpusHash ??= await corpusFingerprint(spec);
    return { spec, hash: corpusHash };
  };
  if (typeof opts.tokenizer === 'string') tok = loadTokenizer(opts.tokenizer, { layout: 'original' });
  else if (opts.tokenizer) tok = opts.tokenizer;
  else {
    const c = await corpus();
    log(`corpus: ${c.spec.description} (${c.spec.files.length} files)`);
    const t = await corpusTokenizer(c.spec, { cacheDir, corpusHash: c.hash, log });
    if (t.cached) log(`tokenizer: ${t.dir} (cached)`);
    tok = t.tokenizer;
  }
  const { vocab, size } = vocabFor(tok, opts);
  // config.json records the tokenizer's command-token ids, so generation tools work from the model folder alone.
  const cfg: GLMConfig = { ...buildConfig(opts.config ?? 'small', size, opts.seq, opts.dropout), special_token_ids: configSpecialTokenIds(tok) };
  const params = parameterCount(cfg);
  const est = estimateTrainingMemory(cfg, opts.batch, opts.seq);
  const avail = opts.memoryLimit ?? availableMemory();
  log(`model: ${cfg.num_layers} layers, hidden ${cfg.hidden_size}, ${cfg.num_attention_heads} heads, vocab ${cfg.vocab_size}, positions ${cfg.max_sequence_length}: ${(params / 1e6).toFixed(2)}M parameters`);
  log(`estimated memory: ${formatBytes(est.totalBytes)} (weights + gradients + AdamW ${formatBytes(est.persistentBytes)}, activations ${formatBytes(est.activationBytes)} at batch ${opts.batch} × seq ${opts.seq}); available ${formatBytes(avail)}`);
  if (est.totalBytes > 0.9 * avail) {
    throw new GlmError('E_TRAIN_MEMORY', `this configuration needs about ${formatBytes(est.totalBytes)} but only ${formatBytes(avail)} is available; use a smaller --config, --batch or --seq (or --grad-accumulation to keep the effective batch)`);
  }

  const hadSpec = spec !== undefined;
  const c = await corpus();
  if (!hadSpec) log(`corpus: ${c.spec.description} (${c.spec.files.length} files)`);
  const prepared = await prepareCorpus(c.spec, tok, {
    cacheDir, corpusHash: c.hash,
    onProgress: (p) => log(`  tokenising: ${p.docs} documents, ${(p.tokens / 1e6).toFixed(2)}M tokens, ${p.seconds.toFixed(0)} s`),
  });
  const store = prepared.store;
  log(`token store: ${store.numDocs} documents, ${store.numTokens} tokens (${store.meta.dtype}) ${prepared.cached ? 'reused from' : 'written to'} ${prepared.dir} in ${prepared.seconds.toFixed(1)} s`);
  const split = splitDocuments((i) => store.docLength(i), store.numDocs, opts.validFraction, opts.seed);
  log(`split by document: ${split.train.length} train, ${split.valid.length} validation`);
  const data = new PretrainData(store, vocab, split, { batchSize: opts.batch, seqLength: opts.seq, objective: opts.objective, seed: opts.seed });

  const model = new GLMModel(cfg).initialize(opts.seed);
  const decayIters = opts.decayIters ?? opts.steps;
  const run = {
    config: cfg, tokenizer: prepared.store.meta.info['tokenizerSha256'], corpus: prepared.key, batch: opts.batch, seq: opts.seq, lr: opts.lr,
    warmup: opts.warmup, decayStyle: opts.decayStyle, decayRatio: opts.decayRatio, decayIters, weightDecay: opts.weightDecay, clip: opts.clip,
    gradAccumulation: opts.gradAccumulation, validFraction: opts.validFraction, seed: opts.seed, objective: data.strategy.opts,
  };
  const result = await train(model, data, {
    steps: opts.steps, gradAccumulation: opts.gradAccumulation, clip: opts.clip, adam: { weightDecay: opts.weightDecay },
    schedule: { lr: opts.lr, style: opts.decayStyle, warmup: opts.warmup, decayIters, decayRatio: opts.decayRatio },
    evalInterval: opts.evalInterval, evalBatches: opts.evalBatches, checkpointInterval: opts.checkpointInterval,
    keepCheckpoints: opts.keepCheckpoints, outDir: opts.out, seed: opts.seed, resume: opts.resume, run, progress: opts.progress, log,
    ...(opts.maxMinutes !== undefined ? { maxSeconds: opts.maxMinutes * 60 } : {}),
  });

  // The final model folder: config.json + model.safetensors + tokenizer files; training state in checkpoints/.
  const modelDir = path.join(opts.out, 'model');
  saveModel(model, modelDir, { glm_ts_steps: String(result.steps) });
  saveTokenizerFiles(tok, modelDir);
  const samples = opts.samples > 0 && data.valid ? fillBlankSamples(model, tok, data.valid, vocab, opts.samples, opts.seq) : [];
  // Continuations only from a model that trained the document-level ([gMASK]) objective.
  const o = data.strategy.opts;
  const gpt = opts.samples > 0 && data.valid !== undefined && !o.maskedLm && !o.causalLm && o.bertProb + o.gapSentenceProb < 1;
  const continuations = gpt ? continuationSamples(model, tok, data.valid!, vocab, Math.ceil(opts.samples / 2), opts.seq) : [];
  let context: (FirstTokenReport & { unigramText: string }) | undefined;
  if (opts.samples > 0 && data.valid) {
    const counts = new Float64Array(cfg.vocab_size);
    for (const d of split.train) for (const t of store.readDoc(d)) counts[t]!++;
    const c = contextCheck(model, data.valid, vocab, counts, 256, opts.seq);
    context = { ...c, unigramText: tok.decode([c.unigram.token]) };
  }
  store.close();
  const dataEps = result.dataSeconds > 0 ? result.examples / result.dataSeconds : Infinity;
  const trainEps = result.computeSeconds > 0 ? result.examples / result.computeSeconds : Infinity;
  return {
    train: result, config: cfg, parameters: params, estimatedBytes: est.totalBytes, modelDir, samples, continuations, ...(context ? { context } : {}),
    corpus: { description: c.spec.description, documents: store.numDocs, tokens: store.numTokens, trainDocs: split.train.length, validDocs: split.valid.length, cached: prepared.cached, storeDir: prepared.dir, seconds: prepared.seconds },
    dataExamplesPerSecond: dataEps, trainExamplesPerSecond: trainEps,
  };
}
