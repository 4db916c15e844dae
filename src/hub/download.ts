/**
 * One file from the Hub into blobs/<etag>, the way huggingface_hub does it, plus what
 * @huggingface/hub's downloadFileToCacheDir lacks: the bytes go to blobs/<etag>.incomplete; an
 * interrupted transfer is resumed with an HTTP Range request (within this call, and by the next
 * call from whatever .incomplete is left); the Hub's headers (X-Repo-Commit, X-Linked-Etag / ETag,
 * X-Linked-Size / Content-Length, read on the resolve response before its redirect is followed)
 * must agree with what paths-info stated; the finished file must have the stated size and hash
 * (sha256 for LFS files, the git blob sha1 for the others), else it is deleted and refused. Only a
 * verified file is renamed to its blob name.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { GlmError } from '../util/errors.js';
import { hubHttpError } from './errors.js';
import type { ProgressSink } from './progress.js';

export interface RemoteFile {
  path: string;
  size: number;
  /** Blob name: the LFS sha256 or the git blob sha1. */
  etag: string;
  /** True when `etag` is an LFS sha256 (else a git blob sha1). */
  lfs: boolean;
}

export interface DownloadContext {
  endpoint: string;
  repo: string;
  revision: string;
  commit: string;
  token: string | undefined;
  progress?: ProgressSink | undefined;
  /** Attempts per file before giving up (each resumes where the last stopped). Default 3. */
  attempts?: number;
}

const normEtag = (e: string | null): string | undefined => e?.replace(/^W\//, '').replace(/^"|"$/g, '') || undefined;

/** The hash the Hub states for `f`, computed over the file at `file`. */
async function digest(file: string, f: RemoteFile): Promise<string> {
  const h = crypto.createHash(f.lfs ? 'sha256' : 'sha1');
  if (!f.lfs) h.update(`blob ${fs.statSync(file).size}\0`);
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Checks the resolve response's headers against paths-info (a changed or mislabelled file is refused). */
function checkHeaders(res: Response, f: RemoteFile, ctx: DownloadContext): void {
  const commit = res.headers.get('x-repo-commit');
  if (commit && commit !== ctx.commit) {
    throw new GlmError('E_HUB_CHANGED', `${ctx.repo}/${f.path}: the Hub served commit ${commit} but ${ctx.revision} resolved to ${ctx.commit}; run the command again`);
  }
  const etag = normEtag(res.headers.get('x-linked-etag')) ?? normEtag(res.headers.get('etag'));
  if (etag && etag !== f.etag) {
    throw new GlmError('E_HUB_CHANGED', `${ctx.repo}/${f.path}: the Hub's ETag ${etag} differs from the ${f.etag} stated by paths-info`);
  }
  const linked = res.headers.get('x-linked-size');
  if (linked !== null && Number(linked) !== f.size) {
    throw new GlmError('E_HUB_CHANGED', `${ctx.repo}/${f.path}: X-Linked-Size ${linked} differs from the ${f.size} bytes stated by paths-info`);
  }
}

/** 401/403/404 are final (a GlmError); other failures (5xx, 429) are retried. */
function failure(res: Response, url: URL, f: RemoteFile, ctx: DownloadContext): Error {
  void res.body?.cancel();
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    return hubHttpError({ status: res.status, errorCode: res.headers.get('x-error-code'), url: url.href }, ctx.repo, ctx.revision, ctx.endpoint, !!ctx.token, f.path);
  }
  return new Error(`HTTP ${res.status} from ${url.origin}`);
}

/** GET with the Hub's redirect handled by hand: headers checked on the resolve response, Authorization only to the same origin. */
async function open(url: URL, f: RemoteFile, ctx: DownloadContext, from: number): Promise<Response> {
  const range: Record<string, string> = from > 0 ? { Range: `bytes=${from}-` } : {};
  const auth: Record<string, string> = ctx.token ? { Authorization: `Bearer ${ctx.token}` } : {};
  const first = await fetch(url, { headers: { ...auth, ...range, 'Accept-Encoding': 'identity' }, redirect: 'manual' });
  if (first.status === 416) return first;
  if (first.status >= 400) throw failure(first, url, f, ctx);
  checkHeaders(first, f, ctx);
  if (first.status < 300 || first.status >= 400) return first;
  await first.body?.cancel();
  const loc = first.headers.get('location');
  if (!loc) throw new GlmError('E_HUB_HTTP', `${ctx.repo}/${f.path}: HTTP ${first.status} without a Location header`);
  const next = new URL(loc, url);
  const res = await fetch(next, { headers: { ...(next.origin === url.origin ? auth : {}), ...range, 'Accept-Encoding': 'identity' } });
  if (res.status >= 400 && res.status !== 416) throw failure(res, next, f, ctx);
  return res;
}

/** Appends the body of one response to `inc`; returns normally only when the file has `f.size` bytes. */
async function transfer(url: URL, f: RemoteFile, ctx: DownloadContext, inc: string): Promise<void> {
  let have = sizeOf(inc);
  if (have > f.size) {
    fs.rmSync(inc, { force: true });
    have = 0;
  }
  const res = await open(url, f, ctx, have);
  if (res.status === 416 && have === f.size) {
    await res.body?.cancel();
    return;
  }
  if (have > 0 && res.status === 200) have = 0; // the server ignored Range: start over
  else if (res.status === 206) {
    const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
    if (!m || Number(m[1]) !== have) {
      await res.body?.cancel();
      fs.rmSync(inc, { force: true });
      throw new Error(`the server resumed at ${m?.[1] ?? '?'} instead of byte ${have}`);
    }
  } else if (res.status !== 200) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  const fd = fs.openSync(inc, have > 0 ? 'a' : 'w');
  let done = have;
  ctx.progress?.({ file: f.path, done, total: f.size, phase: 'start' });
  try {
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        if (done + chunk.length > f.size) throw new GlmError('E_HUB_SIZE', `${ctx.repo}/${f.path}: the Hub sent more than the ${f.size} bytes it stated`);
        fs.writeSync(fd, chunk);
        done += chunk.length;
        ctx.progress?.({ file: f.path, done, total: f.size, phase: 'data' });
      }
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (done !== f.size) throw new Error(`connection closed after ${done} of ${f.size} bytes`);
  ctx.progress?.({ file: f.path, done, total: f.size, phase: 'end' });
}

/** Downloads `f` into `blob` (see module doc); a no-op when the blob is already there. */
export async function downloadBlob(f: RemoteFile, blob: string, ctx: DownloadContext): Promise<void> {
  if (sizeOf(blob) === f.size && fs.existsSync(blob)) return;
  const inc = `${blob}.incomplete`;
  const url = new URL(`${ctx.endpoint}/${ctx.repo}/resolve/${encodeURIComponent(ctx.commit)}/${f.path.split('/').map(encodeURIComponent).join('/')}`);
  const attempts = ctx.attempts ?? 3;
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      await transfer(url, f, ctx, inc);
      last = undefined;
      break;
    } catch (e) {
      if (e instanceof GlmError) {
        if (e.code === 'E_HUB_SIZE') fs.rmSync(inc, { force: true });
        throw e;
      }
      last = e;
      await new Promise((r) => setTimeout(r, 100 * (i + 1)));
    }
  }
  if (last !== undefined) {
    throw new GlmError('E_HUB_DOWNLOAD', `${ctx.repo}/${f.path}: download interrupted after ${sizeOf(inc)} of ${f.size} bytes (${(last as Error).message}); run the command again to resume from there`, { cause: last });
  }
  const got = await digest(inc, f);
  if (got !== f.etag) {
    fs.rmSync(inc, { force: true });
    throw new GlmError('E_HUB_CHECKSUM', `${ctx.repo}/${f.path}: the downloaded file has ${f.lfs ? 'sha256' : 'git sha1'} ${got} but the Hub states ${f.etag}; refused and deleted (nothing was added to the cache)`, {
      details: { expected: f.etag, got },
    });
  }
  fs.renameSync(inc, blob);
}
