/** Fine-tuning and evaluation (spec §5): tasks, cloze / classifier / seq2seq trainers, the loop, model folders. See ./README.md. */
export * from '../tasks/index.js';
export { clozeBatchScores, clozeLoss, clozeScorer, type ClozeBatchScores, type ClozeLossOptions, type ClozeScoringOptions } from './cloze.js';
export { ClassifierHead, classifierBatch, classifierLogits, classifierLoss, headParamSpecs, HEAD_KEYS, type HeadSpec, type HeadVariant, type PoolToken } from './classifier.js';
export { seq2seqBatch, generateSummaries, SEQ2SEQ_LABEL_SMOOTHING, SEQ2SEQ_DECODING, type BeamOptions } from './seq2seq.js';
export { runFinetuneLoop, FINETUNE_ADAM, type FinetuneJob, type LoopOptions, type LoopResult, type EpochRecord } from './loop.js';
export { choiceLoss, gatherFlat, gatherRows, scaleBy, tanh, type ChoiceLoss } from '../tensor/ops/scoring.js';
export { saveFinetuned, loadFinetuned, readFinetuneInfo, FINETUNE_FILE, type FinetuneInfo, type FinetuneMode, type LoadedFinetuned } from './model-dir.js';
export { runFinetune, type FinetuneRunOptions, type FinetuneRunResult } from './run.js';
export {
  runEval, evaluateClozeModel, evaluateClassifierModel, evaluateSummaries, evaluateInfillModel, rougeF,
  type EvalRunOptions, type EvalReport, type ClassifierEvalResult, type SummaryEvalOptions,
} from './evaluate.js';
export { scoreTextChoices, type TextScoreOptions, type ChoiceScore } from './score-text.js';
export { readTaskFile, resolveTask } from './task-file.js';
export { evalTable, finetuneTable, table } from './report.js';
