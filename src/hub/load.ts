/** loadModelAsync: loadModel for a local folder or a Hub name, downloading into the HF cache when needed. */
import { loadModel, type LoadOptions, type LoadReport } from '../io/checkpoint.js';
import type { GLMModel } from '../model/glm.js';
import { resolveModel, type ResolveOptions } from './resolve.js';

export async function loadModelAsync(nameOrDir: string, opts: LoadOptions & ResolveOptions = {}): Promise<{ model: GLMModel; report: LoadReport; dir: string }> {
  const dir = await resolveModel(nameOrDir, opts);
  const load: LoadOptions = opts.allowUnexpected !== undefined ? { allowUnexpected: opts.allowUnexpected } : {};
  return { ...loadModel(dir, load), dir };
}
