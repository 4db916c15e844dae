/** Hugging Face Hub model names (see README.md in this folder). */
export { resolveModel, resolveModelSync, type ResolveOptions } from './resolve.js';
export { parseHubName, formatHubName, type HubName } from './name.js';
export { hubSettings, type HubSettings } from './env.js';
export { stderrProgress, type ProgressEvent, type ProgressSink } from './progress.js';
export { loadModelAsync } from './load.js';
