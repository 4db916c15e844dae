/**
 * User-defined classification tasks from JSON Lines files: one object per line with the text
 * fields and a label, e.g. {"text": "Great phone.", "label": "pos"}.
 */
import { GlmError } from '../util/errors.js';
import { readJsonl, readLabel, requireText } from './jsonl.js';
import { templatePvp, type Pvp, type TemplatePvpSpec } from './pattern.js';
import type { ClozeTask, Split, TaskExample } from './types.js';

export interface CustomTaskSpec {
  name?: string;
  description?: string;
  /** The label set, as written in the files (JSON numbers/booleans are compared as strings). */
  labels: readonly string[];
  /** Required non-empty text fields of every row. */
  textFields: readonly string[];
  /** Default "label". */
  labelField?: string;
  /** One template PVP (its verbalizer must cover every label) or several ready PVPs. */
  pattern: Omit<TemplatePvpSpec, 'id'> | Readonly<Record<string, Pvp>>;
  /** The file of each split. The test file may leave labels out. */
  files: Partial<Record<Split, string>>;
}

function isTemplate(p: CustomTaskSpec['pattern']): p is Omit<TemplatePvpSpec, 'id'> {
  return typeof (p as TemplatePvpSpec).template === 'string';
}

/** Builds a classification task over the user's files (rows are validated when loaded). */
export function customTask(spec: CustomTaskSpec): ClozeTask {
  if (spec.labels.length < 2) throw new GlmError('E_TASK_SPEC', `a classification task needs at least two labels, got ${JSON.stringify(spec.labels)}`);
  if (new Set(spec.labels).size !== spec.labels.length) throw new GlmError('E_TASK_SPEC', `duplicate labels in ${JSON.stringify(spec.labels)}`);
  if (spec.textFields.length === 0) throw new GlmError('E_TASK_SPEC', 'name at least one text field');
  const pvps = isTemplate(spec.pattern) ? { '0': templatePvp({ id: '0', ...spec.pattern }) } : spec.pattern;
  if (isTemplate(spec.pattern)) {
    const missing = spec.labels.filter((l) => !(l in (spec.pattern as TemplatePvpSpec).verbalizer));
    if (missing.length) throw new GlmError('E_TASK_SPEC', `the verbalizer has no word for label(s) ${missing.map((m) => JSON.stringify(m)).join(', ')}`);
  }
  const labelField = spec.labelField ?? 'label';
  const [first, second] = spec.textFields;
  return {
    name: spec.name ?? 'custom',
    description: spec.description ?? 'user-defined classification task',
    source: Object.values(spec.files).join(', '),
    kind: 'classification',
    labels: spec.labels,
    pvps,
    defaultPvp: Object.keys(pvps)[0]!,
    splits: (['train', 'validation', 'test'] as const).filter((s) => spec.files[s] !== undefined),
    metrics: ['accuracy', 'macro-f1'],
    classifierInput: (ex) => ({ a: ex.fields[first!]!, ...(second !== undefined ? { b: ex.fields[second]! } : {}) }),
    load(split, opts = {}) {
      const file = opts.file ?? spec.files[split];
      if (!file) throw new GlmError('E_TASK_DATA_MISSING', `task ${spec.name ?? 'custom'} has no ${split} file`);
      const out: TaskExample[] = readJsonl(file).map(({ line, value }) => {
        const ref = { file, line };
        const fields: Record<string, string> = {};
        for (const f of spec.textFields) fields[f] = requireText(value, f, ref);
        const label = readLabel(value, labelField, spec.labels, ref, split === 'test');
        return { id: `${file}:${line}`, fields, ...(label !== undefined ? { label } : {}) };
      });
      return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
    },
  };
}
