/**
 * `OWNER/NAME[@REVISION]` → a local model folder (a snapshot in the Hugging Face cache), fetching
 * what is missing. Anything else (an existing path, a name that is not of that form) is returned
 * unchanged, so every caller can pass user input through.
 *
 * Requests: a commit revision whose snapshot is complete makes none; a branch or tag makes one
 * (modelInfo, to learn the commit it names now, as huggingface_hub's HEAD requests do) and
 * downloads only files missing from that commit's snapshot. HF_HUB_OFFLINE=1 makes none and
 * uses refs/<revision> from the cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { locateCheckpoint } from '../io/hf.js';
import { remoteFiles, resolveRevision } from './api.js';
import { RepoCache } from './cache.js';
import { downloadBlob } from './download.js';
import { hubSettings, type HubSettings } from './env.js';
import { COMMIT_RE, formatHubName, parseHubName, type HubName } from './name.js';
import { stderrProgress, type ProgressSink } from './progress.js';
import { selectFiles, shardFiles } from './select.js';

export interface ResolveOptions {
  /** Progress sink, or false for none. Default: stderr (a bar on a terminal, lines otherwise). */
  progress?: ProgressSink | false;
  /** Attempts per file, each resuming the last (default 3). */
  attempts?: number;
}

/** Why the snapshot of `commit` cannot be loaded yet, or undefined when it can. */
function missingFromSnapshot(cache: RepoCache, commit: string): string | undefined {
  const dir = cache.snapshot(commit);
  if (!fs.existsSync(dir)) return 'it has never been downloaded';
  if (!cache.has(commit, 'config.json')) return 'its snapshot has no config.json';
  let loc;
  try {
    loc = locateCheckpoint(dir);
  } catch {
    return 'its snapshot has no weights';
  }
  if (loc.file.endsWith('.index.json')) {
    const rel = path.basename(loc.file);
    try {
      const shards = shardFiles(cache.repo, rel, fs.readFileSync(loc.file, 'utf8'), fs.readdirSync(dir));
      const absent = shards.filter((f) => !cache.has(commit, f));
      if (absent.length) return `its snapshot lacks shard(s) ${absent.join(', ')}`;
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

/** The cached snapshot folder for `n`, or a GlmError saying why there is none. */
function fromCache(n: HubName, s: HubSettings, why: string): string {
  const cache = new RepoCache(s.cacheDir, n.repo);
  const commit = cache.commitOf(n.revision);
  const missing = commit ? missingFromSnapshot(cache, commit) : `no refs/${n.revision} in ${cache.root}`;
  if (commit && missing === undefined) return cache.snapshot(commit);
  throw new GlmError('E_HUB_NOT_CACHED', `${formatHubName(n)} is not in the Hugging Face cache at ${s.cacheDir} (${missing}), and ${why}`, { details: { cacheDir: s.cacheDir } });
}

/**
 * Synchronous resolution, from the cache only (loadModel is synchronous): a Hub name already
 * downloaded works offline; one that is not is a clear error pointing at the async path.
 */
export function resolveModelSync(nameOrDir: string): string {
  const n = parseHubName(nameOrDir);
  if (!n) return nameOrDir;
  return fromCache(n, hubSettings(), `a synchronous load cannot download: use \`await loadModelAsync(${JSON.stringify(nameOrDir)})\` or any glm command with --model ${nameOrDir} to fetch it first`);
}

/** Fetches `paths` at `commit` into the cache and links them into its snapshot. */
async function fetchInto(cache: RepoCache, s: HubSettings, n: HubName, commit: string, paths: string[], opts: ResolveOptions): Promise<void> {
  if (paths.length === 0) return;
  const remote = await remoteFiles(s, n.repo, n.revision, commit, paths);
  const progress = opts.progress === false ? undefined : opts.progress ?? stderrProgress();
  fs.mkdirSync(path.join(cache.root, 'blobs'), { recursive: true });
  for (const f of remote) {
    await downloadBlob(f, cache.blob(f.etag), { endpoint: s.endpoint, repo: n.repo, revision: n.revision, commit, token: s.token, progress, ...(opts.attempts ? { attempts: opts.attempts } : {}) });
    cache.link(commit, f.path, f.etag);
  }
}

/** Resolves a model argument: a local path unchanged, a Hub name to its (downloaded) snapshot folder. */
export async function resolveModel(nameOrDir: string, opts: ResolveOptions = {}): Promise<string> {
  const n = parseHubName(nameOrDir);
  if (!n) return nameOrDir;
  const s = hubSettings();
  const cache = new RepoCache(s.cacheDir, n.repo);
  if (COMMIT_RE.test(n.revision) && missingFromSnapshot(cache, n.revision) === undefined) return cache.snapshot(n.revision);
  if (s.offline) return fromCache(n, s, 'HF_HUB_OFFLINE is set: unset it to download');
  const { commit, files } = await resolveRevision(s, n.repo, n.revision);
  const sel = selectFiles(formatHubName(n), files);
  await fetchInto(cache, s, n, commit, sel.files.filter((f) => !cache.has(commit, f)), opts);
  if (sel.index) {
    const shards = shardFiles(n.repo, sel.index, fs.readFileSync(path.join(cache.snapshot(commit), sel.index), 'utf8'), files);
    await fetchInto(cache, s, n, commit, shards.filter((f) => !cache.has(commit, f)), opts);
  }
  cache.writeRef(n.revision, commit);
  return cache.snapshot(commit);
}
