/**
 * Hub names against a local fake Hub (testing/fake-hub.ts on 127.0.0.1): download into the HF
 * cache layout and load with the local folder's logits, cache hits, offline mode, revisions, a
 * resumed download, corrupted files, 401 / 404.
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { scanCacheDir } from '@huggingface/hub';
import { FakeHub, commitId } from '../testing/fake-hub.js';
import { tinyRepo, type TinyRepo } from '../testing/tiny-hub-repo.js';
import { resolveModel } from './resolve.js';
import { loadModelAsync } from './load.js';
import { loadModel } from './load.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { isGlmError } from '../util/errors.js';
import type { GLMModel } from '../model/glm.js';
import type { ProgressEvent } from './progress.js';

const MAIN = commitId('main-1');
const DEV = commitId('dev-1');
let hub: FakeHub;
let main: TinyRepo;
let dev: TinyRepo;
let home: string;

const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');
const quiet = { progress: false as const };

function logits(model: GLMModel): Float32Array {
  const S = 6;
  const input = {
    batch: 1, seqLen: S, inputIds: Int32Array.from([101, 2023, 103, 2003, 0, 30522]),
    positionIds: Int32Array.from([0, 1, 2, 3, 4, 2, 0, 0, 0, 0, 0, 1]), mask: { sep: Int32Array.from([5]) },
  };
  return Float32Array.from(model.forward(input).logits.f32);
}

before(async () => {
  hub = await FakeHub.start();
  main = tinyRepo({ seed: 1 });
  dev = tinyRepo({ seed: 2, sharded: true });
  hub.add('owner/tiny-glm', { refs: { main: MAIN, dev: DEV }, commits: { [MAIN]: main.files, [DEV]: dev.files } });
  hub.add('owner/private-glm', { refs: { main: MAIN }, commits: { [MAIN]: main.files }, private: true });
});

after(async () => {
  await hub.close();
  for (const r of [main, dev]) fs.rmSync(r.localDir, { recursive: true, force: true });
});

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-hf-home-'));
  for (const k of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE']) delete process.env[k];
  process.env['HF_HOME'] = home;
  process.env['HF_ENDPOINT'] = hub.url;
  hub.log.length = 0;
});

const repoDir = (): string => path.join(home, 'hub', 'models--owner--tiny-glm');
const resolves = (): string[] => hub.log.filter((r) => r.url.includes('/resolve/')).map((r) => r.url.split('/').slice(5).join('/'));

test('a Hub name downloads the needed files into the HF cache layout and loads with the local folder\'s logits', async () => {
  const events: ProgressEvent[] = [];
  const dir = await resolveModel('owner/tiny-glm', { progress: (e) => events.push(e) });
  assert.equal(dir, path.join(repoDir(), 'snapshots', MAIN));
  assert.deepEqual(resolves().sort(), ['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt']);
  assert.equal(fs.readFileSync(path.join(repoDir(), 'refs', 'main'), 'utf8'), MAIN);
  // Snapshot entries are relative symlinks to blobs named by the Hub's etag (sha256 for LFS files).
  const link = fs.readlinkSync(path.join(dir, 'model.safetensors'));
  assert.equal(link, path.join('..', '..', 'blobs', sha256(main.files['model.safetensors']!)));
  const gitOid = crypto.createHash('sha1').update(`blob ${main.files['config.json']!.length}\0`).update(main.files['config.json']!).digest('hex');
  assert.equal(fs.readlinkSync(path.join(dir, 'config.json')), path.join('..', '..', 'blobs', gitOid));
  assert.deepEqual(fs.readdirSync(path.join(repoDir(), 'blobs')).filter((f) => f.includes('.incomplete')), []);
  // The ecosystem's own cache scanner reads the cache as one repository, one revision, refs/main.
  const scan = await scanCacheDir(path.join(home, 'hub'));
  assert.deepEqual(scan.warnings, []);
  assert.deepEqual(scan.repos.map((r) => [r.id.name, r.id.type]), [['owner/tiny-glm', 'model']]);
  const rev = scan.repos[0]!.revisions;
  assert.deepEqual(rev.map((r) => [r.commitOid, r.refs]), [[MAIN, ['main']]]);
  assert.deepEqual(rev[0]!.files.map((f) => [path.basename(f.path), f.blob.size]).sort(), ['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt'].map((f) => [f, main.files[f]!.length]));
  assert.deepEqual(logits(loadModel(dir).model), logits(loadModel(main.localDir).model));
  assert.equal(loadTokenizer(dir).family, 'bert');
  const ends = events.filter((e) => e.phase === 'end').map((e) => e.file).sort();
  assert.deepEqual(ends, ['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt']);
  assert.ok(events.every((e) => e.done <= e.total));
  // The library's async path gives the same model.
  const viaLib = await loadModelAsync('owner/tiny-glm', quiet);
  assert.equal(viaLib.dir, dir);
  assert.deepEqual(logits(viaLib.model), logits(main.model));
});

test('a cache hit downloads nothing: a branch costs one API request, a commit none, and sync loadModel works', async () => {
  const dir = await resolveModel('owner/tiny-glm', quiet);
  hub.log.length = 0;
  assert.equal(await resolveModel('owner/tiny-glm', quiet), dir);
  assert.deepEqual(hub.log.map((r) => r.url), [`/api/models/owner/tiny-glm/revision/main`]);
  hub.log.length = 0;
  assert.equal(await resolveModel(`owner/tiny-glm@${MAIN}`, quiet), dir);
  assert.equal(hub.log.length, 0);
  assert.deepEqual(logits(loadModel('owner/tiny-glm').model), logits(main.model));
  assert.equal(hub.log.length, 0);
});

test('a cache laid out by Python\'s huggingface_hub (blobs, relative symlinks, refs) loads offline', async () => {
  const root = repoDir();
  for (const [f, bytes] of Object.entries(main.files)) {
    if (!['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt'].includes(f)) continue;
    const etag = f.endsWith('.safetensors') ? sha256(bytes) : crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
    fs.mkdirSync(path.join(root, 'blobs'), { recursive: true });
    fs.writeFileSync(path.join(root, 'blobs', etag), bytes);
    fs.mkdirSync(path.join(root, 'snapshots', MAIN), { recursive: true });
    fs.symlinkSync(`../../blobs/${etag}`, path.join(root, 'snapshots', MAIN, f));
  }
  fs.mkdirSync(path.join(root, 'refs'));
  fs.writeFileSync(path.join(root, 'refs', 'main'), MAIN);
  process.env['HF_HUB_OFFLINE'] = '1';
  assert.deepEqual(logits((await loadModelAsync('owner/tiny-glm', quiet)).model), logits(main.model));
  assert.equal(loadTokenizer(path.join(root, 'snapshots', MAIN)).family, 'bert');
  assert.equal(hub.log.length, 0);
});

test('HF_HUB_OFFLINE=1 uses the cache without a request and fails clearly for what is not cached', async () => {
  await resolveModel('owner/tiny-glm', quiet);
  hub.log.length = 0;
  process.env['HF_HUB_OFFLINE'] = '1';
  const dir = await resolveModel('owner/tiny-glm', quiet);
  assert.equal(dir, path.join(repoDir(), 'snapshots', MAIN));
  await assert.rejects(resolveModel('owner/tiny-glm@dev', quiet), (e: unknown) => isGlmError(e, 'E_HUB_NOT_CACHED') && /owner\/tiny-glm@dev/.test((e as Error).message) && /HF_HUB_OFFLINE/.test((e as Error).message));
  await assert.rejects(resolveModel('owner/other', quiet), (e: unknown) => isGlmError(e, 'E_HUB_NOT_CACHED'));
  assert.equal(hub.log.length, 0);
  delete process.env['HF_HUB_OFFLINE'];
  // A synchronous load of an uncached name points at the async path.
  assert.throws(() => loadModel('owner/tiny-glm@dev'), (e: unknown) => isGlmError(e, 'E_HUB_NOT_CACHED') && /loadModelAsync/.test((e as Error).message));
  assert.equal(hub.log.length, 0);
});

test('revisions: @branch (sharded weights) and @commit load their own weights; an unknown revision is named', async () => {
  const devDir = await resolveModel('owner/tiny-glm@dev', quiet);
  assert.equal(devDir, path.join(repoDir(), 'snapshots', DEV));
  assert.equal(fs.readFileSync(path.join(repoDir(), 'refs', 'dev'), 'utf8'), DEV);
  assert.deepEqual(resolves().sort(), ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer_config.json', 'vocab.txt']);
  const devLogits = logits(loadModel(devDir).model);
  assert.deepEqual(devLogits, logits(dev.model));
  assert.notDeepEqual(devLogits, logits(main.model));
  hub.log.length = 0;
  const mainDir = await resolveModel(`owner/tiny-glm@${MAIN}`, quiet);
  assert.equal(mainDir, path.join(repoDir(), 'snapshots', MAIN));
  // config and tokenizer files are byte-identical on both commits: their blobs are shared, not fetched again.
  assert.deepEqual(resolves(), ['model.safetensors']);
  assert.equal(fs.readlinkSync(path.join(mainDir, 'vocab.txt')), fs.readlinkSync(path.join(devDir, 'vocab.txt')));
  assert.ok(!fs.existsSync(path.join(repoDir(), 'refs', 'main')), 'a commit revision writes no ref');
  assert.deepEqual(logits(loadModel(mainDir).model), logits(main.model));
  await assert.rejects(resolveModel('owner/tiny-glm@nope', quiet), (e: unknown) => isGlmError(e, 'E_HUB_NOT_FOUND') && /revision "nope"/.test((e as Error).message));
});

test('an interrupted download resumes with an HTTP Range request, within a call and from a later call', async () => {
  const weights = main.files['model.safetensors']!;
  const blobName = sha256(weights);
  const cdn = (): { range: string | undefined }[] => hub.log.filter((r) => r.url === `/cdn-lfs/${blobName}`);
  // Within one call: the connection drops after a third of the file, the retry asks for the rest.
  const third = Math.floor(weights.length / 3);
  hub.cutAfter.set('model.safetensors', third);
  const dir = await resolveModel('owner/tiny-glm', quiet);
  assert.deepEqual(cdn().map((r) => r.range), [undefined, `bytes=${third}-`]);
  assert.deepEqual(logits(loadModel(dir).model), logits(main.model));
  // Across calls: one attempt only, so the first call fails and leaves blobs/<sha256>.incomplete …
  fs.rmSync(path.join(home, 'hub'), { recursive: true, force: true });
  hub.log.length = 0;
  hub.cutAfter.set('model.safetensors', 2 * third);
  await assert.rejects(resolveModel('owner/tiny-glm', { ...quiet, attempts: 1 }), (e: unknown) => isGlmError(e, 'E_HUB_DOWNLOAD') && /run the command again to resume/.test((e as Error).message));
  const inc = path.join(repoDir(), 'blobs', `${blobName}.incomplete`);
  assert.equal(fs.statSync(inc).size, 2 * third);
  assert.ok(!fs.existsSync(path.join(repoDir(), 'snapshots', MAIN, 'model.safetensors')), 'no snapshot entry for a partial file');
  // … which the next call completes from byte 2·third.
  hub.log.length = 0;
  await resolveModel('owner/tiny-glm', quiet);
  assert.deepEqual(cdn().map((r) => r.range), [`bytes=${2 * third}-`]);
  assert.ok(!fs.existsSync(inc));
  assert.deepEqual(fs.readFileSync(path.join(repoDir(), 'blobs', blobName)), Buffer.from(weights));
});

test('a corrupted file is refused (sha256 / git sha1) and nothing of it is left in the cache', async () => {
  hub.corrupt.add('model.safetensors');
  try {
    await assert.rejects(resolveModel('owner/tiny-glm', quiet), (e: unknown) => isGlmError(e, 'E_HUB_CHECKSUM') && /model\.safetensors/.test((e as Error).message) && /sha256/.test((e as Error).message));
  } finally {
    hub.corrupt.delete('model.safetensors');
  }
  const blobs = fs.readdirSync(path.join(repoDir(), 'blobs'));
  assert.ok(!blobs.some((b) => b.startsWith(sha256(main.files['model.safetensors']!))), blobs.join(','));
  assert.ok(!fs.existsSync(path.join(repoDir(), 'snapshots', MAIN, 'model.safetensors')));
  assert.ok(!fs.existsSync(path.join(repoDir(), 'refs', 'main')));
  hub.corrupt.add('vocab.txt');
  try {
    await assert.rejects(resolveModel('owner/tiny-glm', quiet), (e: unknown) => isGlmError(e, 'E_HUB_CHECKSUM') && /vocab\.txt/.test((e as Error).message) && /git sha1/.test((e as Error).message));
  } finally {
    hub.corrupt.delete('vocab.txt');
  }
  assert.ok(!fs.existsSync(path.join(repoDir(), 'snapshots', MAIN, 'vocab.txt')));
  // Once the Hub serves the right bytes, the same cache completes.
  assert.deepEqual(logits(loadModel(await resolveModel('owner/tiny-glm', quiet)).model), logits(main.model));
});

test('401 and 404 name the repository and HF_TOKEN; a valid HF_TOKEN opens a private repository', async () => {
  await assert.rejects(resolveModel('owner/private-glm', quiet), (e: unknown) => isGlmError(e, 'E_HUB_UNAUTHORIZED') && /owner\/private-glm/.test((e as Error).message) && /HF_TOKEN/.test((e as Error).message) && /401/.test((e as Error).message));
  process.env['HF_TOKEN'] = 'hf_wrong';
  await assert.rejects(resolveModel('owner/private-glm', quiet), (e: unknown) => isGlmError(e, 'E_HUB_UNAUTHORIZED') && /token in HF_TOKEN has no read access/.test((e as Error).message));
  process.env['HF_TOKEN'] = hub.token;
  hub.log.length = 0;
  const dir = await resolveModel('owner/private-glm', quiet);
  assert.deepEqual(logits(loadModel(dir).model), logits(main.model));
  assert.ok(hub.log.filter((r) => !r.url.startsWith('/cdn-lfs/')).every((r) => r.authorization === `Bearer ${hub.token}`));
  await assert.rejects(resolveModel('owner/missing-glm', quiet), (e: unknown) => isGlmError(e, 'E_HUB_NOT_FOUND') && /no model repository owner\/missing-glm/.test((e as Error).message));
  process.env['HF_TOKEN'] = 'not-a-token';
  await assert.rejects(resolveModel('owner/private-glm@dev', quiet), (e: unknown) => isGlmError(e, 'E_HUB_TOKEN'));
});

test('local folders and non-Hub strings pass through untouched', async () => {
  assert.equal(await resolveModel(main.localDir, quiet), main.localDir);
  assert.equal(await resolveModel('/no/such/folder', quiet), '/no/such/folder');
  assert.equal(await resolveModel('./no/such', quiet), './no/such');
  assert.equal(hub.log.length, 0);
});

test('an unreachable endpoint is a clear error that offers HF_HUB_OFFLINE', async () => {
  process.env['HF_ENDPOINT'] = 'http://127.0.0.1:1';
  await assert.rejects(resolveModel('owner/tiny-glm', quiet), (e: unknown) => isGlmError(e, 'E_HUB_NETWORK') && /no local folder owner\/tiny-glm/.test((e as Error).message) && /HF_HUB_OFFLINE=1/.test((e as Error).message));
});

test('resolve headers that disagree with paths-info (moved commit, other size or etag) are refused before anything is cached', async () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['vocab.txt', { 'X-Repo-Commit': DEV }, /served commit/],
    ['model.safetensors', { 'X-Linked-Size': '12' }, /X-Linked-Size 12/],
    ['model.safetensors', { 'X-Linked-Etag': `"${'0'.repeat(64)}"` }, /ETag 0{64}/],
  ];
  for (const [file, headers, re] of cases) {
    fs.rmSync(path.join(home, 'hub'), { recursive: true, force: true });
    hub.headerOverrides.set(file, headers);
    try {
      await assert.rejects(resolveModel('owner/tiny-glm', quiet), (e: unknown) => isGlmError(e, 'E_HUB_CHANGED') && re.test((e as Error).message));
    } finally {
      hub.headerOverrides.delete(file);
    }
    assert.ok(!fs.existsSync(path.join(repoDir(), 'snapshots', MAIN, file)), file);
  }
});
