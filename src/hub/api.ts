/**
 * The two Hub API calls, made through @huggingface/hub: modelInfo (GET
 * /api/models/OWNER/NAME/revision/REV: the commit a revision names and the repository's files) and
 * pathsInfo (POST /api/models/OWNER/NAME/paths-info/COMMIT: size, git oid and LFS sha256 of the
 * files to fetch). Their failures become GlmErrors that name the repository and HF_TOKEN.
 */
import { HubApiError, modelInfo, pathsInfo } from '@huggingface/hub';
import { GlmError } from '../util/errors.js';
import { hubHttpError } from './errors.js';
import type { RemoteFile } from './download.js';
import type { HubSettings } from './env.js';

export interface RepoRevision {
  commit: string;
  files: string[];
}

async function call<T>(s: HubSettings, repo: string, revision: string, run: (p: { hubUrl: string; accessToken?: string; fetch: typeof fetch }) => Promise<T>): Promise<T> {
  let errorCode: string | null = null;
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    errorCode = res.headers.get('x-error-code');
    return res;
  };
  try {
    return await run({ hubUrl: s.endpoint, ...(s.token ? { accessToken: s.token } : {}), fetch: recordingFetch });
  } catch (e) {
    if (e instanceof HubApiError) throw hubHttpError({ status: e.statusCode, errorCode, url: e.url }, repo, revision, s.endpoint, !!s.token);
    if (e instanceof TypeError && /access token/i.test(e.message)) throw new GlmError('E_HUB_TOKEN', `HF_TOKEN is not a Hugging Face access token (${e.message})`);
    throw new GlmError('E_HUB_NETWORK', `there is no local folder ${repo}, and the Hub at ${s.endpoint} cannot be reached to download it (${(e as Error).message}${(e as Error).cause ? `: ${((e as Error).cause as Error).message}` : ''}); to use only the local cache, set HF_HUB_OFFLINE=1`, { cause: e });
  }
}

/** The commit `revision` names and the files of the repository at that commit. */
export async function resolveRevision(s: HubSettings, repo: string, revision: string): Promise<RepoRevision> {
  const info = await call(s, repo, revision, (p) => modelInfo({ name: repo, revision, additionalFields: ['sha', 'filePaths'], ...p }));
  const commit = (info as { sha?: unknown }).sha;
  const files = (info as { filePaths?: unknown }).filePaths;
  if (typeof commit !== 'string' || !/^[0-9a-f]{40}$/.test(commit) || !Array.isArray(files)) {
    throw new GlmError('E_HUB_RESPONSE', `the Hub at ${s.endpoint} answered for ${repo}@${revision} without a commit sha and file list`);
  }
  return { commit, files: files as string[] };
}

/** Size and blob name (LFS sha256, else git oid) of each path at `commit`. */
export async function remoteFiles(s: HubSettings, repo: string, revision: string, commit: string, paths: string[]): Promise<RemoteFile[]> {
  const infos = await call(s, repo, revision, (p) => pathsInfo({ repo, paths, revision: commit, ...p }));
  return paths.map((path) => {
    const i = infos.find((x) => x.path === path);
    const etag = i?.lfs?.oid ?? i?.oid;
    if (!i || i.type !== 'file' || typeof etag !== 'string') throw new GlmError('E_HUB_RESPONSE', `the Hub's paths-info for ${repo}@${commit} has no file entry for ${path}`);
    return { path, size: i.lfs?.size ?? i.size, etag, lfs: !!i.lfs };
  });
}
