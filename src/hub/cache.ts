/**
 * The Hugging Face cache layout, shared with huggingface_hub (Python) and @huggingface/hub:
 *
 *   <cache>/models--OWNER--NAME/
 *     blobs/<etag>                 file contents, named by the Hub's etag (sha256 of LFS files,
 *                                  git blob sha1 of the others); <etag>.incomplete while downloading
 *     snapshots/<commit>/<path>    relative symlinks to ../../blobs/<etag> (a copy where the file
 *                                  system refuses symlinks)
 *     refs/<revision>              the commit a branch or tag pointed to when last resolved
 *
 * Everything that appears here appears whole: blobs are renamed from .incomplete only once
 * verified, and links and refs are written under a temporary name and renamed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { getRepoFolderName } from '@huggingface/hub';
import { COMMIT_RE } from './name.js';

export class RepoCache {
  readonly root: string;

  constructor(cacheDir: string, readonly repo: string) {
    this.root = path.join(cacheDir, getRepoFolderName({ name: repo, type: 'model' }));
  }

  blob(etag: string): string {
    return path.join(this.root, 'blobs', etag);
  }

  snapshot(commit: string): string {
    return path.join(this.root, 'snapshots', commit);
  }

  /** The commit `revision` names in the cache: itself when it is a commit, else refs/<revision>. */
  commitOf(revision: string): string | undefined {
    if (COMMIT_RE.test(revision)) return revision;
    try {
      const c = fs.readFileSync(path.join(this.root, 'refs', revision), 'utf8').trim();
      return COMMIT_RE.test(c) ? c : undefined;
    } catch {
      return undefined;
    }
  }

  /** Records refs/<revision> = commit (nothing for a commit revision). */
  writeRef(revision: string, commit: string): void {
    if (COMMIT_RE.test(revision)) return;
    const file = path.join(this.root, 'refs', revision);
    if (this.commitOf(revision) === commit) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, commit);
    fs.renameSync(tmp, file);
  }

  /** True when snapshots/<commit>/<file> resolves to a complete file. */
  has(commit: string, file: string): boolean {
    try {
      return fs.statSync(path.join(this.snapshot(commit), file)).isFile();
    } catch {
      return false;
    }
  }

  /** Links snapshots/<commit>/<file> to blobs/<etag> (relative symlink, else a copy). */
  link(commit: string, file: string, etag: string): void {
    const dst = path.join(this.snapshot(commit), file);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    const tmp = `${dst}.tmp-${process.pid}`;
    fs.rmSync(tmp, { force: true });
    try {
      fs.symlinkSync(path.relative(path.dirname(dst), this.blob(etag)), tmp);
    } catch {
      fs.copyFileSync(this.blob(etag), tmp);
    }
    fs.renameSync(tmp, dst);
  }
}
