/** Task definitions for fine-tuning and evaluation (see ../README.md). */
export * from './types.js';
export { MASK, lit, short, renderParts, templatePvp, labelPvp, removeFinalPunc, lowercaseFirst, field, type Pvp, type Segment, type PatternParts, type TemplatePvpSpec, type MultiTokenLoss } from './pattern.js';
export { encodeCloze, encodeClassifier, encodeSeq2Seq, type EncodedCloze, type EncodedClassifier, type EncodedSeq2Seq, type ClozeEncodeOptions, type Seq2SeqEncodeOptions } from './encode.js';
export { readJsonl, parseJsonl, requireText, requireInt, requireArray, readLabel, type JsonlRow, type RowRef } from './jsonl.js';
export { customTask, type CustomTaskSpec } from './custom.js';
export { getTask, getPvp, taskNames } from './registry.js';
export { sentiment } from './sentiment.js';
export { spam, cleanEmail } from './spam.js';
export { debianSummaries } from './debian-summaries.js';
export { infillProse } from './infill-prose.js';
export { boolq, cb, copa, multirc, record, rte, wic, wsc, SUPERGLUE_TASKS } from './superglue.js';
export { splitOf } from './split.js';
