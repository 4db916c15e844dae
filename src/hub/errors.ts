/** Clear errors for the Hub's HTTP failures (401/403: a token; 404: the repository, revision or file). */
import { GlmError } from '../util/errors.js';

export interface HttpFailure {
  status: number;
  /** The Hub's X-Error-Code header (RepoNotFound, RevisionNotFound, EntryNotFound, GatedRepo), when sent. */
  errorCode?: string | null;
  url: string;
}

/** The GlmError for a failed Hub request about `repo` (at `revision`, optionally one `file`). */
export function hubHttpError(f: HttpFailure, repo: string, revision: string, endpoint: string, hasToken: boolean, file?: string): GlmError {
  const what = `${repo}${revision === 'main' ? '' : `@${revision}`}`;
  const details = { status: f.status, url: f.url, errorCode: f.errorCode ?? undefined };
  if (f.status === 401 || f.status === 403 || f.errorCode === 'GatedRepo') {
    const hint = hasToken
      ? 'the token in HF_TOKEN has no read access to it (for a gated model, accept its terms on the Hub first)'
      : 'it is private or gated, or does not exist (and there is no local folder of that name): set HF_TOKEN to a Hugging Face access token that can read it';
    return new GlmError('E_HUB_UNAUTHORIZED', `${what}: the Hub at ${endpoint} refused access (HTTP ${f.status}); ${hint}`, { details });
  }
  if (f.status === 404) {
    if (f.errorCode === 'RevisionNotFound') return new GlmError('E_HUB_NOT_FOUND', `${repo} has no revision ${JSON.stringify(revision)} (no such branch, tag or commit) on ${endpoint}`, { details });
    if (f.errorCode === 'EntryNotFound' && file) return new GlmError('E_HUB_NOT_FOUND', `${what} has no file ${file} on ${endpoint}`, { details });
    return new GlmError('E_HUB_NOT_FOUND', `no model repository ${repo} on ${endpoint}${revision === 'main' ? '' : ` (or no revision ${JSON.stringify(revision)})`}, and no local folder of that name${hasToken ? '' : ' (a private repository needs HF_TOKEN)'}`, { details });
  }
  return new GlmError('E_HUB_HTTP', `${what}${file ? `/${file}` : ''}: the Hub at ${endpoint} answered HTTP ${f.status}`, { details });
}
