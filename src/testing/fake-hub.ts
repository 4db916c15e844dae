/**
 * A local stand-in for the Hugging Face Hub, for tests (127.0.0.1, a free port, never the
 * network). It serves what the real Hub serves to model downloads:
 *   GET  /api/models/OWNER/NAME/revision/REV     {id, sha, siblings:[{rfilename}], …}
 *   POST /api/models/OWNER/NAME/paths-info/REV   [{type, path, size, oid, lfs?:{oid, size, pointerSize}}]
 *   GET  /OWNER/NAME/resolve/REV/FILE            regular files: 200 with ETag "<git sha1>",
 *        X-Repo-Commit, Content-Length, Range → 206; LFS files: 302 to /cdn-lfs/<sha256> with
 *        X-Repo-Commit, X-Linked-Etag "<sha256>", X-Linked-Size
 *   GET  /cdn-lfs/<sha256>                       the bytes, with Range support
 * Errors as the Hub sends them: 401 for a private repository without a valid token, 404 with
 * X-Error-Code RepoNotFound / RevisionNotFound / EntryNotFound. Test hooks: `cutAfter` drops the
 * connection after n bytes of a file's first transfer; `corrupt` serves altered bytes (same length)
 * under the true hashes; `headerOverrides` changes the resolve response's headers. Every request is
 * logged.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  /** Branch/tag → commit. */
  refs: Record<string, string>;
  /** Commit → files. */
  commits: Record<string, Record<string, Uint8Array>>;
  /** Requires `Authorization: Bearer <FakeHub.token>`. */
  private?: boolean;
}

export interface LoggedRequest {
  method: string;
  url: string;
  range: string | undefined;
  authorization: string | undefined;
}

const LFS = /\.(safetensors|bin|model|pt|h5|msgpack)$/;
const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');
const gitSha1 = (b: Uint8Array): string => crypto.createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');

/** A fake commit id: the sha1 of a label. */
export const commitId = (label: string): string => crypto.createHash('sha1').update(label).digest('hex');

export class FakeHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly log: LoggedRequest[] = [];
  readonly token = 'hf_fake_test_token';
  /** file path → bytes after which the first transfer of that file is cut. */
  readonly cutAfter = new Map<string, number>();
  /** file paths served with altered bytes. */
  readonly corrupt = new Set<string>();
  /** file path → headers that replace the Hub's on its resolve response (a moved branch, a wrong size). */
  readonly headerOverrides = new Map<string, Record<string, string>>();
  private readonly blobs = new Map<string, { bytes: Uint8Array; path: string }>();
  private constructor(private readonly server: http.Server, readonly url: string) {}

  static async start(): Promise<FakeHub> {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const hub = new FakeHub(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => void hub.handle(req, res));
    return hub;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  add(name: string, repo: FakeRepo): void {
    this.repos.set(name, repo);
    for (const files of Object.values(repo.commits)) for (const [p, b] of Object.entries(files)) if (LFS.test(p)) this.blobs.set(sha256(b), { bytes: b, path: p });
  }

  /** Requests whose path starts with `prefix` (e.g. '/api/', '/owner/name/resolve/'). */
  count(prefix: string): number {
    return this.log.filter((r) => r.url.startsWith(prefix)).length;
  }

  private error(res: http.ServerResponse, status: number, code: string | undefined, message: string): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...(code ? { 'X-Error-Code': code } : {}) });
    res.end(JSON.stringify({ error: message }));
  }

  /** The repo and commit of a request, or undefined after answering with the Hub's error. */
  private lookup(req: http.IncomingMessage, res: http.ServerResponse, name: string, rev: string): { repo: FakeRepo; commit: string } | undefined {
    const repo = this.repos.get(name);
    const authed = req.headers.authorization === `Bearer ${this.token}`;
    if (!repo || (repo.private && !authed)) {
      // The Hub does not reveal whether a repository it will not show exists.
      if (!req.headers.authorization || (repo?.private && !authed)) this.error(res, 401, 'RepoNotFound', 'Invalid username or password.');
      else this.error(res, 404, 'RepoNotFound', 'Repository not found');
      return undefined;
    }
    const commit = repo.refs[rev] ?? (repo.commits[rev] ? rev : undefined);
    if (!commit) {
      this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      return undefined;
    }
    return { repo, commit };
  }

  private send(req: http.IncomingMessage, res: http.ServerResponse, bytes: Uint8Array, path: string, headers: Record<string, string>): void {
    let body = Buffer.from(bytes);
    if (this.corrupt.has(path)) {
      body = Buffer.from(body);
      body[body.length >> 1] ^= 0xff;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}`, ...headers });
        res.end();
        return;
      }
      res.writeHead(206, { ...headers, 'Content-Length': String(body.length - start), 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}`, 'Accept-Ranges': 'bytes' });
    } else {
      res.writeHead(200, { ...headers, 'Content-Length': String(body.length), 'Accept-Ranges': 'bytes' });
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const cut = this.cutAfter.get(path);
    if (cut !== undefined && cut > start) {
      this.cutAfter.delete(path);
      res.write(body.subarray(start, cut), () => res.destroy());
      return;
    }
    res.end(body.subarray(start));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.log.push({ method: req.method ?? '', url: url.pathname, range: req.headers.range, authorization: req.headers.authorization });
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] === 'api' && parts[1] === 'models' && (parts[4] === 'revision' || parts[4] === 'paths-info')) {
      const name = `${parts[2]}/${parts[3]}`;
      const found = this.lookup(req, res, name, parts.slice(5).join('/'));
      if (!found) return;
      const files = found.repo.commits[found.commit]!;
      if (parts[4] === 'revision') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ _id: commitId(name), id: name, sha: found.commit, private: !!found.repo.private, siblings: Object.keys(files).map((rfilename) => ({ rfilename })), downloads: 0, likes: 0, lastModified: '2022-10-01T00:00:00.000Z' }));
        return;
      }
      let body = '';
      for await (const c of req) body += c;
      const paths = (JSON.parse(body) as { paths: string[] }).paths;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(paths.filter((p) => files[p]).map((p) => {
        const b = files[p]!;
        return { type: 'file', path: p, size: b.length, oid: gitSha1(b), ...(LFS.test(p) ? { lfs: { oid: sha256(b), size: b.length, pointerSize: 134 } } : {}) };
      })));
      return;
    }
    if (parts[0] === 'cdn-lfs') {
      const blob = this.blobs.get(parts[1] ?? '');
      if (!blob) return this.error(res, 404, undefined, 'no such object');
      return this.send(req, res, blob.bytes, blob.path, { ETag: `"${parts[1]}"` });
    }
    if (parts[2] === 'resolve') {
      const name = `${parts[0]}/${parts[1]}`;
      const found = this.lookup(req, res, name, parts[3] ?? '');
      if (!found) return;
      const file = parts.slice(4).join('/');
      const bytes = found.repo.commits[found.commit]![file];
      if (!bytes) return this.error(res, 404, 'EntryNotFound', `${file} does not exist on "${parts[3]}"`);
      if (LFS.test(file)) {
        const h = sha256(bytes);
        res.writeHead(302, { Location: `${this.url}/cdn-lfs/${h}`, 'X-Repo-Commit': found.commit, 'X-Linked-Etag': `"${h}"`, 'X-Linked-Size': String(bytes.length), ETag: `"${gitSha1(bytes)}"`, ...this.headerOverrides.get(file) });
        res.end();
        return;
      }
      return this.send(req, res, bytes, file, { ETag: `"${gitSha1(bytes)}"`, 'X-Repo-Commit': found.commit, ...this.headerOverrides.get(file) });
    }
    this.error(res, 404, undefined, 'not found');
  }
}
