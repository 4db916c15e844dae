/** Evaluation metrics (see each file for the exact definitions and the references they match). */
export { accuracy, macroF1, type F1Report, type LabelF1 } from './classification.js';
export { porterStem } from './porter.js';
export {
  rougeScore, rougeCorpus, rougeTokenize, rougeN, rougeL, rougeLsumTokens, lcsIndices, DEFAULT_ROUGE_TYPES,
  type RougeScore, type RougeType, type RougeOptions,
} from './rouge.js';
export { corpusBleu, sentenceBleu, computeBleu, tokenize13a, type BleuOptions, type BleuResult, type BleuSmoothing, type BleuTokenizer } from './bleu.js';
export { perplexityFromNll, type PerplexityResult } from './perplexity.js';
export { maskWords, fillBlanks, infillingBleu, INFILL_BLEU_DEFAULTS, type MaskedText, type InfillResult } from './infill.js';
