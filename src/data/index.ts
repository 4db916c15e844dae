/**
 * The GLM pretraining data pipeline (spec §1): corpus ingestion, the binary token store and its
 * cache, sample assembly, every blank-infilling objective with its ablations, and batching.
 */
export { PyRandom, NumpyRandomState, MT19937 } from './pyrandom.js';
export { type BlockVocab, blockVocabFromTokenizer, isSentenceEndToken, sentinelIds, SENTENCE_END_CHARS, CROP_SENTENCE_END_CHARS } from './vocab.js';
export { type Span, type RawSample, type BlockExample, type MakeBlockOptions, type BlockTask, sampleSpans, sampleSpansInDocument, makeBlockData, makeMaskedData } from './blocks.js';
export { BlockStrategy, DEFAULT_OBJECTIVE, resolveObjective, spanLengthWeights, type ObjectiveOptions, type ObjectiveMode, type ExampleBatch } from './objectives.js';
export { BlockSampler, type DocumentSource, type SamplerOptions } from './sampler.js';
export { padBatch, type PaddedBatch } from './batch.js';
export { TokenStore, TokenStoreWriter, readStoreMeta, type StoreMeta, type TokenDType } from './store.js';
export { resolveCorpus, corpusDocuments, corpusFingerprint, brownLineToText, type CorpusSpec, type CorpusFile, type CorpusFormat, type DocSplit, type TextDocument } from './corpus.js';
export { bundledCorpus, packageDir, BUNDLED_PACKAGES } from './bundled.js';
export { prepareCorpus, splitDocuments, defaultCacheDir, tokenizerFingerprint, type PrepareOptions, type PreparedCorpus, type DocSplitResult } from './prepare.js';
export { corpusTokenizer, type DefaultTokenizerOptions } from './default-tokenizer.js';
export { PretrainData, type PipelineOptions, type DataBatch } from './pipeline.js';
export { chiSquareTest, chiSquareSf, stoppedSumMoments, type ChiSquareResult } from './stats.js';
