/**
 * `--task NAME|FILE`: a built-in task by name, or a task file — a JSON object describing the
 * user's own JSON Lines data:
 *
 *   { "name": "reviews", "kind": "classification",
 *     "labels": ["neg", "pos"], "textFields": ["text"], "labelField": "label",
 *     "pattern": { "template": "{text} It was [MASK].", "verbalizer": { "neg": " bad", "pos": " good" } },
 *     "files": { "train": "train.jsonl", "validation": "dev.jsonl", "test": "test.jsonl" } }
 *
 *   { "name": "headlines", "kind": "seq2seq", "sourceField": "source", "targetField": "target",
 *     "files": { "train": "train.jsonl", "test": "test.jsonl" } }
 *
 * Relative file paths are resolved against the task file's folder. Every mistake is a GlmError
 * naming the task file and the key (and, for the data, the file, line and field).
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { customTask, getTask, readJsonl, requireText, taskNames, type Seq2SeqTask, type Split, type Task } from '../tasks/index.js';

const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

function bad(file: string, msg: string): never {
  throw new GlmError('E_TASK_SPEC', msg, { path: file });
}

function strings(v: unknown, key: string, file: string): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'string' || x === '')) bad(file, `"${key}" must be a non-empty array of non-empty strings, got ${JSON.stringify(v)}`);
  return v as string[];
}

function filesOf(v: unknown, file: string): Partial<Record<Split, string>> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(file, `"files" must be an object like {"train": "train.jsonl", "test": "test.jsonl"}, got ${JSON.stringify(v)}`);
  const out: Partial<Record<Split, string>> = {};
  for (const [k, f] of Object.entries(v as Record<string, unknown>)) {
    if (!SPLITS.includes(k as Split)) bad(file, `"files" has an unknown split "${k}" (splits: ${SPLITS.join(', ')})`);
    if (typeof f !== 'string' || f === '') bad(file, `"files.${k}" must be a file name`);
    const p = path.resolve(path.dirname(file), f);
    if (!fs.existsSync(p)) bad(file, `"files.${k}": no such file ${p}`);
    out[k as Split] = p;
  }
  if (Object.keys(out).length === 0) bad(file, '"files" names no split');
  return out;
}

function seq2seqTask(name: string, files: Partial<Record<Split, string>>, sourceField: string, targetField: string): Seq2SeqTask {
  return {
    name, description: 'user-defined seq2seq task', source: Object.values(files).join(', '), kind: 'seq2seq',
    splits: SPLITS.filter((s) => files[s] !== undefined), metrics: ['rouge'],
    load(split, opts = {}) {
      const f = opts.file ?? files[split];
      if (!f) throw new GlmError('E_TASK_DATA_MISSING', `task ${name} has no ${split} file`);
      const out = readJsonl(f).map(({ line, value }) => {
        const ref = { file: f, line };
        return { id: `${f}:${line}`, source: requireText(value, sourceField, ref), target: requireText(value, targetField, ref) };
      });
      return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
    },
  };
}

/** Reads a task file (see the module comment). */
export function readTaskFile(file: string): Task {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GlmError('E_TASK_SPEC', `not a readable JSON task file: ${(e as Error).message}`, { path: file });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) bad(file, 'a task file must hold a JSON object');
  const o = raw as Record<string, unknown>;
  const name = typeof o['name'] === 'string' && o['name'] ? o['name'] : path.basename(file).replace(/\.json$/, '');
  const kind = o['kind'] ?? 'classification';
  const files = filesOf(o['files'], file);
  if (kind === 'seq2seq') {
    const sf = o['sourceField'] ?? 'source', tf = o['targetField'] ?? 'target';
    if (typeof sf !== 'string' || typeof tf !== 'string') bad(file, '"sourceField" and "targetField" must be strings');
    return seq2seqTask(name, files, sf, tf);
  }
  if (kind !== 'classification') bad(file, `"kind" must be "classification" or "seq2seq", got ${JSON.stringify(kind)}`);
  const labels = strings(o['labels'], 'labels', file);
  const textFields = strings(o['textFields'], 'textFields', file);
  const p = o['pattern'];
  if (typeof p !== 'object' || p === null || typeof (p as Record<string, unknown>)['template'] !== 'string') {
    bad(file, '"pattern" must be {"template": "… [MASK] …", "verbalizer": {label: word, …}}');
  }
  const verbalizer = (p as Record<string, unknown>)['verbalizer'];
  if (typeof verbalizer !== 'object' || verbalizer === null || Array.isArray(verbalizer)) bad(file, '"pattern.verbalizer" must map each label to its word(s)');
  const labelField = o['labelField'];
  if (labelField !== undefined && typeof labelField !== 'string') bad(file, '"labelField" must be a string');
  try {
    return customTask({
      name, labels, textFields, files,
      ...(labelField !== undefined ? { labelField: labelField as string } : {}),
      pattern: p as { template: string; verbalizer: Record<string, string> },
      ...(typeof o['description'] === 'string' ? { description: o['description'] } : {}),
    });
  } catch (e) {
    if (e instanceof GlmError && e.path === undefined) throw new GlmError(e.code, e.message, { path: file, cause: e });
    throw e;
  }
}

/** A built-in task by name, else a task file; a clear error when it is neither. */
export function resolveTask(nameOrFile: string): Task {
  if (taskNames().includes(nameOrFile)) return getTask(nameOrFile);
  if (fs.existsSync(nameOrFile) && fs.statSync(nameOrFile).isFile()) return readTaskFile(nameOrFile);
  throw new GlmError('E_TASK_UNKNOWN', `"${nameOrFile}" is neither a built-in task (${taskNames().join(', ')}) nor a task file`);
}
