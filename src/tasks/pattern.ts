/**
 * The pattern–verbalizer API (PET-style cloze questions, spec §5.1).
 *
 * A pattern turns an example into two lists of text segments, A and B, that together contain
 * exactly one mask; segments marked shortenable may lose tokens from their end when the input is
 * too long. A verbalizer maps each label to the word(s) the mask should be filled with. The PVP
 * also says which answers to score for an example: the verbalizations of all labels, or the
 * example's own candidates (COPA, WSC, ReCoRD).
 *
 * Two ways to write one:
 *   - `templatePvp({ template: '{text} It was [MASK].', verbalizer: { '0': ' bad', '1': ' good' } })`;
 *   - an object implementing `Pvp` whose `parts()` returns segments (the SuperGLUE PVPs do this).
 * Leading spaces matter: each segment is tokenised on its own, as the original code does.
 */
import { GlmError } from '../util/errors.js';
import type { MultiTokenLoss, PatternParts, Segment, Pvp, TaskExample } from './types.js';

export type { MultiTokenLoss, PatternParts, Pvp, Segment } from './types.js';


export const MASK: Segment = { mask: true };

/** A literal segment. */
export function lit(text: string): Segment {
  return { text };
}

/** A shortenable segment (truncation removes its last tokens first). */
export function short(text: string): Segment {
  return { text, shortenable: true };
}

/** Renders segments as text, the mask as "[MASK]" (for docs, logs and tests). */
export function renderParts(p: PatternParts): string {
  const r = (s: readonly Segment[]): string => s.map((x) => ('mask' in x ? '[MASK]' : x.text)).join('');
  return r(p.a) + (p.b ? r(p.b) : '');
}

/** Python's string.punctuation, which GLM strips from the end of some fields. */
const PUNCT = `!"#$%&'()*+,-./:;<=>?@[\\]^_\`{|}~`;

/** s.rstrip(string.punctuation) */
export function removeFinalPunc(s: string): string {
  let end = s.length;
  while (end > 0 && PUNCT.includes(s[end - 1]!)) end--;
  return s.slice(0, end);
}

/** Lower-cases the first character (GLM's `lowercase_first`). */
export function lowercaseFirst(s: string): string {
  return s.length ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/** A field of the example, or a GlmError naming the example and the field. */
export function field(ex: TaskExample, name: string): string {
  const v = ex.fields[name];
  if (v === undefined) throw new GlmError('E_TASK_FIELD_MISSING', `example ${ex.id}: the pattern needs field "${name}", which the example does not have`);
  return v;
}

export interface TemplatePvpSpec {
  id?: string;
  /**
   * Part A: text with `{field}` placeholders and one "[MASK]". Placeholders are shortenable
   * unless listed in `fixed`. "{{" and "}}" write literal braces. Whitespace right before
   * "[MASK]" is dropped (the answer brings its own leading space, e.g. " good").
   */
  template: string;
  /** Optional Part B (only affects truncation: the longer of A and B loses tokens first). */
  templateB?: string;
  /** Label → verbalization (a leading space is usually wanted: " good"). */
  verbalizer: Readonly<Record<string, string>>;
  /** Fields that must never be truncated. */
  fixed?: readonly string[];
  lengthPenalty?: number;
  loss?: MultiTokenLoss;
}

type TemplatePiece = { kind: 'text'; text: string } | { kind: 'field'; name: string } | { kind: 'mask' };

function parseTemplate(t: string, where: string): TemplatePiece[] {
  const out: TemplatePiece[] = [];
  let buf = '';
  for (let i = 0; i < t.length; ) {
    if (t.startsWith('{{', i)) { buf += '{'; i += 2; continue; }
    if (t.startsWith('}}', i)) { buf += '}'; i += 2; continue; }
    if (t.startsWith('[MASK]', i)) {
      // Like the mask token's lstrip (spec §3.1): "It was [MASK]" means the segments "It was", [MASK].
      buf = buf.trimEnd();
      if (buf) out.push({ kind: 'text', text: buf });
      buf = '';
      out.push({ kind: 'mask' });
      i += 6;
      continue;
    }
    if (t[i] === '{') {
      const end = t.indexOf('}', i);
      const name = end < 0 ? '' : t.slice(i + 1, end);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw new GlmError('E_PATTERN', `${where}: bad placeholder at character ${i} of ${JSON.stringify(t)} (expected {field_name})`);
      }
      if (buf) out.push({ kind: 'text', text: buf });
      buf = '';
      out.push({ kind: 'field', name });
      i = end + 1;
      continue;
    }
    buf += t[i];
    i++;
  }
  if (buf) out.push({ kind: 'text', text: buf });
  return out;
}

/** A PVP from a text template and a verbalizer. */
export function templatePvp(spec: TemplatePvpSpec): Pvp {
  const a = parseTemplate(spec.template, 'pattern');
  const b = spec.templateB !== undefined ? parseTemplate(spec.templateB, 'pattern B') : undefined;
  const masks = [...a, ...(b ?? [])].filter((p) => p.kind === 'mask').length;
  if (masks !== 1) {
    throw new GlmError('E_PATTERN', `a pattern needs exactly one [MASK], found ${masks} in ${JSON.stringify(spec.template + (spec.templateB ?? ''))}`);
  }
  const labels = Object.keys(spec.verbalizer);
  if (labels.length < 2) throw new GlmError('E_PATTERN', `a verbalizer needs at least two labels, got ${JSON.stringify(spec.verbalizer)}`);
  for (const l of labels) {
    if (typeof spec.verbalizer[l] !== 'string' || spec.verbalizer[l]!.trim() === '') {
      throw new GlmError('E_PATTERN', `the verbalization of label "${l}" must be a non-empty string`);
    }
  }
  const fixed = new Set(spec.fixed ?? []);
  const render = (pieces: TemplatePiece[], ex: TaskExample): Segment[] => pieces.map((p) =>
    p.kind === 'mask' ? MASK : p.kind === 'text' ? lit(p.text) : fixed.has(p.name) ? lit(field(ex, p.name)) : short(field(ex, p.name)));
  return {
    id: spec.id ?? '0',
    description: `${spec.template}${spec.templateB ?? ''}  ${labels.map((l) => `${l}→${JSON.stringify(spec.verbalizer[l])}`).join(', ')}`,
    parts: (ex) => (b ? { a: render(a, ex), b: render(b, ex) } : { a: render(a, ex) }),
    answers: () => labels.map((l) => spec.verbalizer[l]!),
    gold: (ex) => {
      if (ex.label === undefined) return undefined;
      const i = labels.indexOf(ex.label);
      if (i < 0) throw new GlmError('E_TASK_UNKNOWN_LABEL', `example ${ex.id}: label "${ex.label}" has no verbalization (labels: ${labels.join(', ')})`);
      return i;
    },
    ...(spec.lengthPenalty !== undefined ? { lengthPenalty: spec.lengthPenalty } : {}),
    ...(spec.loss !== undefined ? { loss: spec.loss } : {}),
  };
}

/** A PVP for a label task from a parts function and a label → verbalization map. */
export function labelPvp(id: string, description: string, labels: readonly string[], parts: (ex: TaskExample) => PatternParts, verbalize: (label: string) => string): Pvp {
  return {
    id,
    description,
    parts,
    answers: () => labels.map(verbalize),
    gold: (ex) => {
      if (ex.label === undefined) return undefined;
      const i = labels.indexOf(ex.label);
      if (i < 0) throw new GlmError('E_TASK_UNKNOWN_LABEL', `example ${ex.id}: label "${ex.label}" is not one of ${labels.join(', ')}`);
      return i;
    },
  };
}
