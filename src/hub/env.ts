/**
 * The Hugging Face environment variables, read the way huggingface_hub reads them:
 * HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (else the token file written by
 * `huggingface-cli login`: $HF_TOKEN_PATH or $HF_HOME/token), HF_HUB_OFFLINE (1/true/yes/on), and
 * the cache folder (HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub), whose
 * resolution is @huggingface/hub's getHFHubCachePath.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getHFHubCachePath } from '@huggingface/hub';

export interface HubSettings {
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  cacheDir: string;
}

const truthy = (v: string | undefined): boolean => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());

function hfHome(env: NodeJS.ProcessEnv): string {
  return env['HF_HOME'] ?? path.join(env['XDG_CACHE_HOME'] ?? path.join(os.homedir(), '.cache'), 'huggingface');
}

function tokenFromFile(env: NodeJS.ProcessEnv): string | undefined {
  const file = env['HF_TOKEN_PATH'] ?? path.join(hfHome(env), 'token');
  try {
    const t = fs.readFileSync(file, 'utf8').trim();
    return t === '' ? undefined : t;
  } catch {
    return undefined;
  }
}

/** Settings from process.env, read at each call (tests and long-lived processes may change it). */
export function hubSettings(): HubSettings {
  const env = process.env;
  const token = env['HF_TOKEN']?.trim() || env['HUGGING_FACE_HUB_TOKEN']?.trim() || tokenFromFile(env);
  return {
    endpoint: (env['HF_ENDPOINT']?.trim() || 'https://huggingface.co').replace(/\/+$/, ''),
    token: token || undefined,
    offline: truthy(env['HF_HUB_OFFLINE']),
    cacheDir: getHFHubCachePath(),
  };
}
