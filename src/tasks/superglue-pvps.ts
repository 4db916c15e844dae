/**
 * The SuperGLUE pattern–verbalizer pairs of GLM ([orig] tasks/superglue/pvp.py; spec §5.1), with
 * the original segment boundaries, leading spaces and shortenable marks. Learned prompt slots
 * (`None` in the original) are dropped, as the original does without --continuous-prompt.
 *
 * Example fields (set by ./superglue.ts): BoolQ {passage, question}; CB/RTE {premise, hypothesis};
 * WiC {sentence1, sentence2, word}; MultiRC {passage, question, answer}; COPA {premise, choice1,
 * choice2, question}; WSC {text, pronoun} (pronoun already wrapped in * * inside text);
 * ReCoRD {passage, query}.
 */
import { GlmError } from '../util/errors.js';
import { MASK, field, labelPvp, lit, lowercaseFirst, removeFinalPunc, short, type PatternParts, type Pvp, type Segment } from './pattern.js';
import type { TaskExample } from './types.js';

const pvpMap = (list: Pvp[]): Record<string, Pvp> => Object.fromEntries(list.map((p) => [p.id, p]));

// ---- BoolQ ----------------------------------------------------------------------------------
export const BOOLQ_LABELS = ['false', 'true'] as const;

function boolqParts(id: number, ex: TaskExample): PatternParts {
  const passage = field(ex, 'passage'), q = field(ex, 'question');
  if (id < 2) return { a: [short(passage), lit(' Question:'), short(' ' + q), lit('? Answer:'), MASK, lit('.')] };
  if (id < 4) return { a: [short(passage), lit(' Based on the previous passage,'), short(' ' + q), lit('?'), MASK, lit('.')] };
  return { a: [lit('Based on the following passage'), short(' ' + q), lit('?'), MASK, lit('.'), short(' ' + passage)] };
}

export const BOOLQ_PVPS = pvpMap([0, 1, 2, 3, 4, 5].map((id) =>
  labelPvp(String(id), ['{passage} Question: {question}? Answer: [MASK].', '{passage} Based on the previous passage, {question}? [MASK].', 'Based on the following passage {question}? [MASK]. {passage}'][id >> 1]!,
    BOOLQ_LABELS, (ex) => boolqParts(id, ex), (l) => (id % 2 === 0 ? { false: ' No', true: ' Yes' } : { false: ' false', true: ' true' })[l as 'false' | 'true'])));

// ---- RTE and CB ---------------------------------------------------------------------------
export const RTE_LABELS = ['entailment', 'not_entailment'] as const;
export const CB_LABELS = ['entailment', 'contradiction', 'neutral'] as const;

/** RTE patterns 0–3 (shared by CB); the hypothesis loses its final punctuation. */
function rteParts(id: number, ex: TaskExample): PatternParts {
  const premise = field(ex, 'premise'), hyp = removeFinalPunc(field(ex, 'hypothesis'));
  switch (id) {
    case 0: return { a: [lit('"'), short(hyp), lit('" ?')], b: [MASK, lit(','), lit(' "'), short(premise), lit('"')] };
    case 1: return { a: [short(hyp), lit('?')], b: [MASK, lit(','), short(' ' + premise)] };
    case 2: return { a: [lit('"'), short(hyp), lit('" ?')], b: [MASK, lit('. "'), short(premise), lit('"')] };
    case 3: return { a: [short(hyp), lit('?')], b: [MASK, lit('.'), short(' ' + premise)] };
    default: return { a: [short(premise), lit(' question:'), short(' ' + hyp), lit(' True or False?'), lit(' answer:'), MASK] };
  }
}

const RTE_DESC = ['"{hypothesis}" ?[MASK], "{premise}"', '{hypothesis}?[MASK], {premise}', '"{hypothesis}" ?[MASK]. "{premise}"', '{hypothesis}?[MASK]. {premise}'];

export const RTE_PVPS = pvpMap([0, 1, 2, 3, 4].map((id) =>
  labelPvp(String(id), RTE_DESC[id] ?? '{premise} question: {hypothesis} True or False? answer: [MASK]', RTE_LABELS, (ex) => rteParts(id, ex),
    (l) => (id === 4 ? (l === 'entailment' ? ' true' : ' false') : l === 'entailment' ? ' Yes' : ' No'))));

export const CB_PVPS = pvpMap([0, 1, 2, 3, 4].map((id) =>
  labelPvp(String(id), RTE_DESC[id] ?? '{premise} question: {hypothesis} true, false or neither? answer: [MASK]', CB_LABELS,
    (ex) => id < 4 ? rteParts(id, ex) : { a: [short(field(ex, 'premise')), lit(' question:'), short(' ' + field(ex, 'hypothesis')), lit(' true, false or neither?'), lit(' answer:'), MASK] },
    (l) => (id === 4 ? { entailment: ' true', contradiction: ' false', neutral: ' neither' } : { entailment: ' Yes', contradiction: ' No', neutral: ' Maybe' })[l as 'entailment'])));

// ---- WiC --------------------------------------------------------------------------------------
export const WIC_LABELS = ['false', 'true'] as const;

function wicParts(id: number, ex: TaskExample): PatternParts {
  const s1 = field(ex, 'sentence1'), s2 = field(ex, 'sentence2'), w = field(ex, 'word');
  if (id === 0) return { a: [short(`"${s1}" / "${s2}"`), lit(` Similar sense of "${w}"?`), MASK, lit('.')] };
  if (id === 1) return { a: [short(s1), short(' ' + s2), lit(` Does ${w} have the same meaning in both sentences?`), MASK] };
  return { a: [lit(w), lit(' .'), lit(' Sense (1) (a) "'), short(s1), lit('"'), lit(' ('), MASK, lit(') "'), lit(s2), lit('"')] };
}

export const WIC_PVPS = pvpMap([0, 1, 2].map((id) =>
  labelPvp(String(id), ['"{sentence1}" / "{sentence2}" Similar sense of "{word}"?[MASK].', '{sentence1} {sentence2} Does {word} have the same meaning in both sentences?[MASK]', '{word} . Sense (1) (a) "{sentence1}" ([MASK]) "{sentence2}"'][id]!,
    WIC_LABELS, (ex) => wicParts(id, ex), (l) => (id === 2 ? (l === 'true' ? 'b' : '2') : l === 'true' ? ' Yes' : ' No'))));

// ---- MultiRC ----------------------------------------------------------------------------------
export const MULTIRC_LABELS = ['0', '1'] as const;

function multircParts(id: number, ex: TaskExample): PatternParts {
  const passage = removeFinalPunc(field(ex, 'passage').trimEnd());
  const q = removeFinalPunc(field(ex, 'question').trimEnd());
  const ans = field(ex, 'answer');
  const p = short(passage);
  switch (id) {
    case 0: return { a: [p, lit('.'), lit(' Question:'), lit(` ${q}?`), lit(' Is it'), lit(' ' + ans), lit('?'), MASK, lit('.')] };
    case 1: return { a: [p, lit('.'), lit(' Question:'), lit(' ' + q), lit('?'), lit(' Is the correct answer "'), lit(ans), lit('"?'), MASK, lit('.')] };
    case 2: return { a: [p, lit('. Based on the previous passage,'), lit(' ' + q), lit('?'), lit(' Is "'), lit(ans), lit('" a correct answer?'), MASK, lit('.')] };
    case 3: return { a: [p, lit(' ' + q), lit('- ['), MASK, lit(']'), lit(ans)] };
    default: return { a: [p, lit('.'), lit(' Question:'), lit(' ' + q), lit('?'), lit(' ' + ans), lit('?'), MASK, lit('.')] };
  }
}

export const MULTIRC_PVPS = pvpMap([0, 1, 2, 3, 4].map((id) =>
  labelPvp(String(id), ['{passage}. Question: {question}? Is it {answer}?[MASK].', '{passage}. Question: {question}? Is the correct answer "{answer}"?[MASK].', '{passage}. Based on the previous passage, {question}? Is "{answer}" a correct answer?[MASK].', '{passage} {question}- [[MASK]] {answer}', '{passage}. Question: {question}? {answer}?[MASK].'][id]!,
    MULTIRC_LABELS, (ex) => multircParts(id, ex), (l) => (id === 3 ? (l === '1' ? ' True' : ' False') : l === '1' ? ' Yes' : ' No'))));

// ---- multiple choice: COPA, WSC, ReCoRD --------------------------------------------------------

function candidatePvp(id: string, description: string, parts: (ex: TaskExample) => PatternParts, extra: Partial<Pick<Pvp, 'lengthPenalty' | 'loss'>> = {}): Pvp {
  return {
    id,
    description,
    parts,
    answers: (ex) => {
      if (!ex.candidates || ex.candidates.length === 0) throw new GlmError('E_TASK_NO_ANSWERS', `example ${ex.id}: no answer candidates`);
      return [...ex.candidates];
    },
    gold: (ex) => ex.goldCandidates?.[0],
    ...extra,
  };
}

function copaParts(id: number, ex: TaskExample): PatternParts {
  const c1 = removeFinalPunc(lowercaseFirst(field(ex, 'choice1'))), c2 = removeFinalPunc(lowercaseFirst(field(ex, 'choice2')));
  const premise = short(removeFinalPunc(' ' + field(ex, 'premise')));
  const q = field(ex, 'question');
  if (q !== 'cause' && q !== 'effect') throw new GlmError('E_TASK_FIELD_TYPE', `example ${ex.id}: COPA question must be "cause" or "effect", got ${JSON.stringify(q)}`);
  const joiner = lit(q === 'cause' ? ' because' : ', so');
  if (id === 0) return { a: [lit('"'), lit(c1), lit('" or "'), lit(c2), lit('"?'), premise, joiner, MASK, lit('.')] };
  return { a: [lit(c1), lit(' or'), lit(' ' + c2), lit('?'), premise, joiner, MASK, lit('.')] };
}

/** COPA answers: " " + choice with the first letter lower-cased and final punctuation removed. */
export function copaAnswer(choice: string): string {
  return ' ' + removeFinalPunc(lowercaseFirst(choice));
}

export const COPA_PVPS = pvpMap([
  candidatePvp('0', '"{choice1}" or "{choice2}"? {premise} because|, so[MASK].', (ex) => copaParts(0, ex)),
  candidatePvp('1', '{choice1} or {choice2}? {premise} because|, so[MASK].', (ex) => copaParts(1, ex)),
]);

function wscParts(id: number, ex: TaskExample): PatternParts {
  const text: Segment = short(field(ex, 'text'));
  const p = field(ex, 'pronoun');
  if (id === 0) return { a: [text, lit(` The pronoun '*${p}*' refers to`), MASK, lit('.')] };
  if (id === 1) return { a: [text, lit(` In the previous sentence, the pronoun '*${p}*' refers to`), MASK, lit('.')] };
  return { a: [text, lit(` Question: In the passage above, what does the pronoun '*${p}*' refer to?`), lit(' Answer:'), MASK, lit('.')] };
}

const WSC_OPTS = { lengthPenalty: 1, loss: 'mix' as const };
export const WSC_PVPS = pvpMap([
  candidatePvp('0', "{text} The pronoun '*{pronoun}*' refers to[MASK].", (ex) => wscParts(0, ex), WSC_OPTS),
  candidatePvp('1', "{text} In the previous sentence, the pronoun '*{pronoun}*' refers to[MASK].", (ex) => wscParts(1, ex), WSC_OPTS),
  candidatePvp('2', "{text} Question: In the passage above, what does the pronoun '*{pronoun}*' refer to? Answer:[MASK].", (ex) => wscParts(2, ex), WSC_OPTS),
]);

export const RECORD_PVPS = pvpMap([
  candidatePvp('0', '{passage} {query left of @placeholder}[MASK]{query right of it}', (ex) => {
    const q = field(ex, 'query');
    const at = q.indexOf('@placeholder');
    if (at < 0) throw new GlmError('E_TASK_FIELD_TYPE', `example ${ex.id}: the ReCoRD query has no @placeholder`);
    return { a: [short(field(ex, 'passage')), lit(' ' + q.slice(0, at).trimEnd()), MASK, lit(q.slice(at + '@placeholder'.length))] };
  }),
]);
