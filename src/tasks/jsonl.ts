/**
 * Reading task files: JSON Lines with one example per line. Every problem is a GlmError that
 * names the file and the 1-based line (and the field), so a bad row in a large file is easy to find.
 */
import fs from 'node:fs';
import { GlmError } from '../util/errors.js';

export interface JsonlRow {
  /** 1-based line number in the file. */
  line: number;
  value: Record<string, unknown>;
}

/** Parses a .jsonl file (blank lines skipped). Each line must be a JSON object. */
export function readJsonl(file: string): JsonlRow[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new GlmError('E_TASK_FILE', `cannot read task file: ${(e as Error).message}`, { path: file, cause: e });
  }
  return parseJsonl(text, file);
}

/** Parses JSON Lines text; `where` names the source in errors. */
export function parseJsonl(text: string, where: string): JsonlRow[] {
  const rows: JsonlRow[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      throw new GlmError('E_TASK_JSON', `line ${i + 1}: not valid JSON (${(e as Error).message})`, { path: where, details: { line: i + 1 } });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new GlmError('E_TASK_JSON', `line ${i + 1}: expected a JSON object, got ${Array.isArray(value) ? 'an array' : typeof value}`, { path: where, details: { line: i + 1 } });
    }
    rows.push({ line: i + 1, value: value as Record<string, unknown> });
  });
  if (rows.length === 0) throw new GlmError('E_TASK_EMPTY_FILE', 'the file has no examples', { path: where });
  return rows;
}

/** Where a value came from, for error messages. */
export interface RowRef {
  file: string;
  line: number;
}

function fail(code: string, ref: RowRef, msg: string, fieldName: string): never {
  throw new GlmError(code, `line ${ref.line}: ${msg}`, { path: ref.file, details: { line: ref.line, field: fieldName } });
}

/** Follows a dotted path ("target.span1_text") through nested objects. */
function lookup(obj: Record<string, unknown>, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A required, non-empty text field. */
export function requireText(obj: Record<string, unknown>, name: string, ref: RowRef): string {
  const v = lookup(obj, name);
  if (v === undefined || v === null) fail('E_TASK_FIELD_MISSING', ref, `missing field "${name}"`, name);
  if (typeof v !== 'string') fail('E_TASK_FIELD_TYPE', ref, `field "${name}" must be a string, got ${JSON.stringify(v)}`, name);
  if (v.trim() === '') fail('E_TASK_EMPTY_TEXT', ref, `field "${name}" is empty`, name);
  return v;
}

/** A required integer field. */
export function requireInt(obj: Record<string, unknown>, name: string, ref: RowRef): number {
  const v = lookup(obj, name);
  if (v === undefined || v === null) fail('E_TASK_FIELD_MISSING', ref, `missing field "${name}"`, name);
  if (typeof v !== 'number' || !Number.isInteger(v)) fail('E_TASK_FIELD_TYPE', ref, `field "${name}" must be an integer, got ${JSON.stringify(v)}`, name);
  return v;
}

/** A required array field. */
export function requireArray(obj: Record<string, unknown>, name: string, ref: RowRef): unknown[] {
  const v = lookup(obj, name);
  if (v === undefined || v === null) fail('E_TASK_FIELD_MISSING', ref, `missing field "${name}"`, name);
  if (!Array.isArray(v)) fail('E_TASK_FIELD_TYPE', ref, `field "${name}" must be an array`, name);
  return v;
}

/**
 * The label of a row as a string (JSON true/false/0/1 become "true"/"false"/"0"/"1"), checked
 * against the task's labels. Missing labels are allowed only when `optional` (test files).
 */
export function readLabel(obj: Record<string, unknown>, name: string, labels: readonly string[], ref: RowRef, optional: boolean): string | undefined {
  const v = lookup(obj, name);
  if (v === undefined || v === null) {
    if (optional) return undefined;
    fail('E_TASK_FIELD_MISSING', ref, `missing field "${name}" (the label)`, name);
  }
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    fail('E_TASK_FIELD_TYPE', ref, `label field "${name}" must be a string, number or boolean, got ${JSON.stringify(v)}`, name);
  }
  const s = String(v);
  if (!labels.includes(s)) fail('E_TASK_UNKNOWN_LABEL', ref, `unknown label ${JSON.stringify(v)} in field "${name}" (expected one of ${labels.map((l) => JSON.stringify(l)).join(', ')})`, name);
  return s;
}
