/**
 * SuperGLUE tasks in their official jsonl format (train.jsonl / val.jsonl / test.jsonl in one
 * folder), processed as GLM's tasks/superglue/dataset.py does. The data is not distributed with
 * glm-ts (not on npm or Debian); pass `dataDir` (or `file`) to load it.
 */
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { readJsonl, readLabel, requireArray, requireInt, requireText, type RowRef } from './jsonl.js';
import { copaAnswer, BOOLQ_LABELS, BOOLQ_PVPS, CB_LABELS, CB_PVPS, COPA_PVPS, MULTIRC_LABELS, MULTIRC_PVPS, RECORD_PVPS, RTE_LABELS, RTE_PVPS, WIC_LABELS, WIC_PVPS, WSC_PVPS } from './superglue-pvps.js';
import type { ClozeTask, LoadOptions, Split, TaskExample } from './types.js';
import type { Pvp } from './pattern.js';

const FILES: Record<Split, string> = { train: 'train.jsonl', validation: 'val.jsonl', test: 'test.jsonl' };

function splitFile(task: string, split: Split, opts: LoadOptions = {}): string {
  if (opts.file) return opts.file;
  if (!opts.dataDir) {
    throw new GlmError('E_TASK_DATA_MISSING', `${task}: SuperGLUE data is not bundled; give the folder holding ${FILES[split]} (dataDir / --data)`);
  }
  return path.join(opts.dataDir, FILES[split]);
}

type RowParser = (v: Record<string, unknown>, ref: RowRef, split: Split, rng: Rng) => TaskExample[];

function loader(task: string, parse: RowParser): ClozeTask['load'] {
  return (split, opts = {}) => {
    const file = splitFile(task, split, opts);
    const rng = new Rng(opts.seed ?? 42);
    const out: TaskExample[] = [];
    for (const { line, value } of readJsonl(file)) out.push(...parse(value, { file, line }, split, rng));
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  };
}

const idOf = (v: Record<string, unknown>, ref: RowRef): string => (v['idx'] !== undefined ? String(v['idx']) : `${path.basename(ref.file)}:${ref.line}`);
const SOURCE = 'SuperGLUE (Wang et al. 2019), official jsonl files supplied by the user; not redistributed';
const SPLITS = ['train', 'validation', 'test'] as const;

function labelTask(name: string, description: string, labels: readonly string[], pvps: Record<string, Pvp>, defaultPvp: string, textFields: Record<string, string>,
  classifier: (ex: TaskExample) => { a: string; b?: string }, metrics: ClozeTask['metrics'] = ['accuracy']): ClozeTask {
  return {
    name, description, source: SOURCE, kind: 'classification', labels, pvps, defaultPvp, splits: SPLITS, metrics,
    classifierInput: classifier,
    load: loader(name, (v, ref, split) => {
      const fields: Record<string, string> = {};
      for (const [k, src] of Object.entries(textFields)) fields[k] = requireText(v, src, ref);
      const label = readLabel(v, 'label', labels, ref, split === 'test');
      return [{ id: idOf(v, ref), fields, ...(label !== undefined ? { label } : {}) }];
    }),
  };
}

export const boolq = labelTask('boolq', 'BoolQ yes/no questions about a passage', BOOLQ_LABELS, BOOLQ_PVPS, '4', { passage: 'passage', question: 'question' },
  (ex) => ({ a: ex.fields['passage']!, b: ex.fields['question']! }));

export const cb = labelTask('cb', 'CommitmentBank three-way entailment', CB_LABELS, CB_PVPS, '3', { premise: 'premise', hypothesis: 'hypothesis' },
  (ex) => ({ a: ex.fields['premise']!, b: ex.fields['hypothesis']! }), ['accuracy', 'macro-f1']);

export const rte = labelTask('rte', 'Recognising textual entailment', RTE_LABELS, RTE_PVPS, '0', { premise: 'premise', hypothesis: 'hypothesis' },
  (ex) => ({ a: ex.fields['premise']!, b: ex.fields['hypothesis']! }));

export const wic = labelTask('wic', 'Word-in-context: same sense in both sentences?', WIC_LABELS, WIC_PVPS, '1', { sentence1: 'sentence1', sentence2: 'sentence2', word: 'word' },
  (ex) => ({ a: `${ex.fields['word']}: ${ex.fields['sentence1']}`, b: ex.fields['sentence2']! }));

/** MultiRC: one binary example per (question, answer option). */
export const multirc: ClozeTask = {
  name: 'multirc', description: 'Multi-sentence reading comprehension, one example per answer option', source: SOURCE,
  kind: 'classification', labels: MULTIRC_LABELS, pvps: MULTIRC_PVPS, defaultPvp: '0', splits: SPLITS, metrics: ['accuracy', 'macro-f1'],
  classifierInput: (ex) => ({ a: ex.fields['passage']!, b: `${ex.fields['question']} answer: ${ex.fields['answer']}` }),
  load: loader('multirc', (v, ref, split) => {
    const passage = requireText(v, 'passage.text', ref);
    const pIdx = v['idx'];
    const out: TaskExample[] = [];
    requireArray(v, 'passage.questions', ref).forEach((qv, qi) => {
      const q = qv as Record<string, unknown>;
      const question = requireText(q, 'question', ref);
      requireArray(q, 'answers', ref).forEach((av, ai) => {
        const a = av as Record<string, unknown>;
        const label = readLabel(a, 'label', MULTIRC_LABELS, ref, split === 'test');
        out.push({
          id: `p${String(pIdx)}-q${String(q['idx'] ?? qi)}-a${String(a['idx'] ?? ai)}`,
          fields: { passage, question, answer: requireText(a, 'text', ref) },
          ...(label !== undefined ? { label } : {}),
          meta: { passageIdx: pIdx, questionIdx: q['idx'] ?? qi, answerIdx: a['idx'] ?? ai },
        });
      });
    });
    return out;
  }),
};

/** COPA: two candidates; training adds each example mirrored (choices swapped), as GLM does. */
export const copa: ClozeTask = {
  name: 'copa', description: 'Choice of plausible alternatives (cause / effect)', source: SOURCE,
  kind: 'multiple-choice', labels: null, pvps: COPA_PVPS, defaultPvp: '0', splits: SPLITS, metrics: ['accuracy'],
  load: loader('copa', (v, ref, split) => {
    const premise = requireText(v, 'premise', ref), c1 = requireText(v, 'choice1', ref), c2 = requireText(v, 'choice2', ref);
    const question = requireText(v, 'question', ref);
    if (question !== 'cause' && question !== 'effect') {
      throw new GlmError('E_TASK_UNKNOWN_LABEL', `line ${ref.line}: field "question" must be "cause" or "effect", got ${JSON.stringify(question)}`, { path: ref.file });
    }
    const label = readLabel(v, 'label', ['0', '1'], ref, split === 'test');
    const make = (a: string, b: string, gold: number | undefined, suffix: string): TaskExample => ({
      id: idOf(v, ref) + suffix,
      fields: { premise, choice1: a, choice2: b, question },
      candidates: [copaAnswer(a), copaAnswer(b)],
      ...(gold !== undefined ? { goldCandidates: [gold] } : {}),
    });
    const g = label === undefined ? undefined : Number(label);
    const ex = [make(c1, c2, g, '')];
    if (split === 'train') ex.push(make(c2, c1, g === undefined ? undefined : 1 - g, 'm'));
    return ex;
  }),
};

/**
 * WSC as GLM's cloze WSC: the pronoun is marked *so* in the text, the answer is " " + span1_text
 * plus any `candidates` the file lists (the --wsc-negative format). Training keeps only label True
 * rows (the span is then the gold answer, index 0); other splits keep every row and store the
 * original label in meta.label.
 */
export const wsc: ClozeTask = {
  name: 'wsc', description: 'Winograd schema: what does the pronoun refer to?', source: SOURCE,
  kind: 'multiple-choice', labels: null, pvps: WSC_PVPS, defaultPvp: '2', splits: SPLITS, metrics: ['accuracy'],
  load: loader('wsc', (v, ref, split) => {
    const text = requireText(v, 'text', ref);
    const span1 = requireText(v, 'target.span1_text', ref), span2 = requireText(v, 'target.span2_text', ref);
    let span2Index = requireInt(v, 'target.span2_index', ref);
    requireInt(v, 'target.span1_index', ref);
    const label = readLabel(v, 'label', ['true', 'false', 'True', 'False'], ref, split === 'test');
    let words = text.split(/\s+/).filter(Boolean);
    // The dataset's pronoun indices are off by one in a few rows; GLM repairs them the same way.
    if (words[span2Index] !== span2) {
      for (const off of [-1, 1]) if (words[span2Index + off] === span2) span2Index += off;
      const w = words[span2Index];
      if (w !== undefined && w !== span2 && w.startsWith(span2)) words = [...words.slice(0, span2Index), span2, w.slice(span2.length), ...words.slice(span2Index + 1)];
    }
    if (words[span2Index] !== span2) {
      throw new GlmError('E_TASK_FIELD_TYPE', `line ${ref.line}: target.span2_text ${JSON.stringify(span2)} is not at word ${span2Index} of the text`, { path: ref.file });
    }
    const isTrue = label !== undefined && label.toLowerCase() === 'true';
    if (split === 'train' && !isTrue) return [];
    words[span2Index] = `*${words[span2Index]}*`;
    const extra = Array.isArray(v['candidates']) ? (v['candidates'] as { text?: unknown }[]).map((c) => String(c.text ?? c)) : [];
    const cands = [span1, ...extra.filter((c, i) => c !== span1 && extra.indexOf(c) === i)].map((c) => ' ' + c);
    return [{
      id: idOf(v, ref), fields: { text: words.join(' '), pronoun: span2 }, candidates: cands,
      ...(isTrue ? { goldCandidates: [0] } : {}),
      meta: { label: label === undefined ? undefined : isTrue },
    }];
  }),
};

/**
 * ReCoRD: candidates are the passage's entities (" " + entity). Training makes one example per gold
 * answer with up to 9 negative entities drawn with the seeded RNG (GLM: max 10 candidates);
 * evaluation keeps all entities and every gold index.
 */
export const record: ClozeTask = {
  name: 'record', description: 'Reading comprehension with commonsense reasoning (cloze over entities)', source: SOURCE,
  kind: 'multiple-choice', labels: null, pvps: RECORD_PVPS, defaultPvp: '0', splits: SPLITS, metrics: ['accuracy'],
  load: loader('record', (v, ref, split, rng) => {
    const raw = requireText(v, 'passage.text', ref);
    const ents = new Set<string>();
    for (const e of requireArray(v, 'passage.entities', ref)) {
      const o = e as Record<string, unknown>;
      const s = requireInt(o, 'start', ref), t = requireInt(o, 'end', ref);
      ents.add(raw.slice(s, t + 1));
    }
    const entities = [...ents].sort();
    const passage = raw.replaceAll('@highlight\n', '- ');
    const out: TaskExample[] = [];
    for (const qv of requireArray(v, 'qas', ref)) {
      const q = qv as Record<string, unknown>;
      const query = requireText(q, 'query', ref);
      if (!query.includes('@placeholder')) throw new GlmError('E_TASK_FIELD_TYPE', `line ${ref.line}: query has no @placeholder`, { path: ref.file });
      const answers = [...new Set(((q['answers'] as Record<string, unknown>[] | undefined) ?? []).map((a) => requireText(a, 'text', ref)))].sort();
      const qid = `${idOf(v, ref)}-q${String(q['idx'] ?? out.length)}`;
      if (split === 'train') {
        answers.forEach((ans, ai) => {
          const neg = entities.filter((e) => !answers.includes(e));
          for (let i = neg.length - 1; i > 0; i--) {
            const j = rng.int(i + 1);
            [neg[i], neg[j]] = [neg[j]!, neg[i]!];
          }
          out.push({ id: `${qid}-a${ai}`, fields: { passage, query }, candidates: [ans, ...neg.slice(0, 9)].map((c) => ' ' + c), goldCandidates: [0], meta: { answers: [ans] } });
        });
      } else {
        const gold = answers.map((a) => entities.indexOf(a)).filter((i) => i >= 0);
        out.push({ id: qid, fields: { passage, query }, candidates: entities.map((c) => ' ' + c), ...(gold.length ? { goldCandidates: gold } : {}), meta: { answers } });
      }
    }
    return out;
  }),
};

export const SUPERGLUE_TASKS: readonly ClozeTask[] = [boolq, cb, copa, multirc, record, rte, wic, wsc];
