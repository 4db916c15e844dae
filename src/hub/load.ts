/**
 * The library's model loaders: a local folder, a Hub name (OWNER/NAME[@REVISION]) or, with no
 * argument, the shipped English GLM (models/glm-en-small).
 *   loadModel       synchronous; a Hub name must already be in the Hugging Face cache;
 *   loadModelAsync  downloads a Hub name into the cache when needed.
 */
import { loadFolder, type LoadOptions, type LoadReport } from '../io/checkpoint.js';
import { defaultModelDir } from '../io/default-model.js';
import type { GLMModel } from '../model/glm.js';
import { resolveModel, resolveModelSync, type ResolveOptions } from './resolve.js';

export function loadModel(nameOrDir: string = defaultModelDir(), opts: LoadOptions = {}): { model: GLMModel; report: LoadReport } {
  return loadFolder(resolveModelSync(nameOrDir), opts);
}

export async function loadModelAsync(nameOrDir: string, opts: LoadOptions & ResolveOptions = {}): Promise<{ model: GLMModel; report: LoadReport; dir: string }> {
  const dir = await resolveModel(nameOrDir, opts);
  const load: LoadOptions = opts.allowUnexpected !== undefined ? { allowUnexpected: opts.allowUnexpected } : {};
  return { ...loadFolder(dir, load), dir };
}
