/** Built-in tasks by name. */
import { GlmError } from '../util/errors.js';
import { brownGenres } from './brown-genres.js';
import { debianSummaries } from './debian-summaries.js';
import { infillProse } from './infill-prose.js';
import { sentiment } from './sentiment.js';
import { spam } from './spam.js';
import { SUPERGLUE_TASKS } from './superglue.js';
import type { Pvp } from './pattern.js';
import type { Task } from './types.js';

const TASKS: readonly Task[] = [sentiment, spam, brownGenres, debianSummaries, infillProse, ...SUPERGLUE_TASKS];

/** Names of every built-in task. */
export function taskNames(): string[] {
  return TASKS.map((t) => t.name);
}

/** A built-in task, or a GlmError listing the known names. */
export function getTask(name: string): Task {
  const t = TASKS.find((x) => x.name === name);
  if (!t) throw new GlmError('E_TASK_UNKNOWN', `unknown task "${name}" (built-in tasks: ${taskNames().join(', ')})`);
  return t;
}

/** A PVP of a cloze task by id, or a GlmError listing the ids. */
export function getPvp(task: Task, id?: string): Pvp {
  if (task.kind !== 'classification' && task.kind !== 'multiple-choice') throw new GlmError('E_TASK_KIND', `task ${task.name} is ${task.kind}, it has no patterns`);
  const key = id ?? task.defaultPvp;
  const p = task.pvps[key];
  if (!p) throw new GlmError('E_TASK_PATTERN', `task ${task.name} has no pattern "${key}" (patterns: ${Object.keys(task.pvps).join(', ')})`);
  return p;
}
