/** Locating files inside npm data packages and inside this folder's committed data. */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { GlmError } from '../util/errors.js';

const require = createRequire(import.meta.url);

/** Absolute path of `rel` inside the installed npm package `pkg`, or a GlmError saying how to install it. */
export function packageFile(pkg: string, version: string, rel: string): string {
  let root: string;
  try {
    root = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch (e) {
    throw new GlmError('E_TASK_DATA_MISSING', `the data package ${pkg}@${version} is not installed (npm install --save-exact ${pkg}@${version})`, { cause: e });
  }
  const file = path.join(root, rel);
  if (!fs.existsSync(file)) throw new GlmError('E_TASK_DATA_MISSING', `${pkg} has no ${rel}; expected version ${version}`, { path: file });
  return file;
}

/**
 * A committed data file of this folder (src/tasks/data). Compiled code lives in
 * dist/tasks, so the file is looked up beside this module first, then in ../../src.
 */
export function committedDataFile(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'data', name), path.resolve(here, '..', '..', 'src', 'tasks', 'data', name)];
  for (const c of candidates) if (fs.existsSync(c)) return c;
  throw new GlmError('E_TASK_DATA_MISSING', `committed task data ${name} not found (looked in ${candidates.join(', ')})`);
}
