/**
 * Hub model names: `OWNER/NAME[@REVISION]` (a branch, tag or 40-hex commit). A string that names
 * an existing local path is never a Hub name, so local folders keep working unchanged.
 */
import fs from 'node:fs';
import { GlmError } from '../util/errors.js';

export interface HubName {
  /** `OWNER/NAME`. */
  repo: string;
  /** Branch, tag or commit; 'main' when not given. */
  revision: string;
}

const PART = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9_])?$/;
export const COMMIT_RE = /^[0-9a-f]{40}$/;

/** The Hub name in `s`, or null when `s` is a local path (exists, or looks like one) or not of the OWNER/NAME form. */
export function parseHubName(s: string): HubName | null {
  if (fs.existsSync(s)) return null;
  const at = s.indexOf('@');
  const repo = at < 0 ? s : s.slice(0, at);
  const revision = at < 0 ? 'main' : s.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => PART.test(p) && !p.includes('..'))) return null;
  if (at >= 0 && (revision === '' || /\s/.test(revision) || revision.includes('..'))) {
    throw new GlmError('E_HUB_NAME', `${JSON.stringify(s)}: the revision after "@" must be a branch, tag or commit`);
  }
  return { repo, revision };
}

/** `OWNER/NAME@REV` for messages. */
export function formatHubName(n: HubName): string {
  return n.revision === 'main' ? n.repo : `${n.repo}@${n.revision}`;
}
