/**
 * Task and example types shared by the task definitions (this folder), the trainers and the
 * evaluation runners. A task turns a data source into examples; a pattern–verbalizer pair (PVP)
 * turns an example into a cloze question and the answers to score (./pattern.ts).
 */

/** One labelled (or unlabelled) example of a classification or multiple-choice task. */
export interface TaskExample {
  /** Stable identifier: dataset idx or "file:line". */
  id: string;
  /** Named text fields the patterns read, e.g. { text } or { premise, hypothesis }. */
  fields: Readonly<Record<string, string>>;
  /** Gold label, one of the task's labels (label tasks only); undefined when unlabelled. */
  label?: string;
  /** Answer candidates of this example (multiple-choice tasks: COPA, WSC, ReCoRD). */
  candidates?: readonly string[];
  /** Indices into `candidates` of the correct answers (ReCoRD may have several). */
  goldCandidates?: readonly number[];
  /** Anything else a task needs for grouping or scoring (e.g. MultiRC question ids). */
  meta?: Readonly<Record<string, unknown>>;
}

/** A source text and its reference output (summarisation). */
export interface Seq2SeqExample {
  id: string;
  source: string;
  target: string;
}

/** A text with blanks at a given mask ratio, and the original it came from (spec §5.5). */
export interface InfillExample {
  id: string;
  ratio: number;
  /** The text with each blank written as "[MASK]". */
  masked: string;
  /** The original text. */
  original: string;
  /** The words of each blank, in order. */
  spans: readonly string[];
}

export type Split = 'train' | 'validation' | 'test';

export type MetricName = 'accuracy' | 'macro-f1' | 'rouge' | 'bleu';

/** How to find a task's data. Built-in tasks need nothing; SuperGLUE needs the folder of its jsonl files. */
export interface LoadOptions {
  /** Folder with the task's files (SuperGLUE: train.jsonl, val.jsonl, test.jsonl). */
  dataDir?: string;
  /** Explicit file for the split (overrides dataDir). */
  file?: string;
  /** Keep at most this many examples (after the deterministic split). */
  limit?: number;
  /** Seed for any sampling a loader does (ReCoRD training negatives). Default 42. */
  seed?: number;
}

interface TaskBase {
  readonly name: string;
  readonly description: string;
  /** Where the data comes from, with version and licence. */
  readonly source: string;
  readonly splits: readonly Split[];
  readonly metrics: readonly MetricName[];
}

/** Classification by a fixed label set, or multiple choice over per-example candidates. */
export interface ClozeTask extends TaskBase {
  readonly kind: 'classification' | 'multiple-choice';
  /** The label set (classification); null when answers are per-example candidates. */
  readonly labels: readonly string[] | null;
  /** Pattern–verbalizer pairs by id (spec §5.1 numbering for SuperGLUE). */
  readonly pvps: Readonly<Record<string, Pvp>>;
  /** The pattern id used when none is given. */
  readonly defaultPvp: string;
  /**
   * The text pair for the classifier-head alternative (spec §5.2): [CLS] a [b] [eos].
   * Absent for multiple-choice tasks.
   */
  classifierInput?(ex: TaskExample): { a: string; b?: string };
  load(split: Split, opts?: LoadOptions): TaskExample[];
}

export interface Seq2SeqTask extends TaskBase {
  readonly kind: 'seq2seq';
  load(split: Split, opts?: LoadOptions): Seq2SeqExample[];
}

export interface InfillTask extends TaskBase {
  readonly kind: 'infill';
  /** The mask ratios the data has. */
  readonly ratios: readonly number[];
  load(split: Split, opts?: LoadOptions): InfillExample[];
}

export type Task = ClozeTask | Seq2SeqTask | InfillTask;

// Pattern–verbalizer pairs (built in ./pattern.ts; the types live here so that the two files do not
// import each other).

/** A piece of pattern text, or the mask. */
export type Segment = { readonly text: string; readonly shortenable?: boolean } | { readonly mask: true };

export interface PatternParts {
  readonly a: readonly Segment[];
  readonly b?: readonly Segment[];
}

/** Losses for multi-token answers (spec §5.1). */
export type MultiTokenLoss = 'cross_entropy' | 'generative' | 'mix' | 'hinge';

export interface Pvp {
  /** Pattern id within its task ('0', '1', …). */
  readonly id: string;
  /** One-line rendering of the pattern, for logs and docs. */
  readonly description: string;
  /** The segments of the cloze question for this example. */
  parts(ex: TaskExample): PatternParts;
  /** The answer strings to score, in label order (label tasks) or candidate order. */
  answers(ex: TaskExample): string[];
  /** Index into answers(ex) of the gold answer; undefined when the example has no label. */
  gold(ex: TaskExample): number | undefined;
  /** Multi-token score = Σ log p / len^lengthPenalty (WSC uses 1). Default 0. */
  readonly lengthPenalty?: number;
  /** Loss over candidates for multi-token answers. Default 'cross_entropy'. */
  readonly loss?: MultiTokenLoss;
}
