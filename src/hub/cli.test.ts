/**
 * `glm infill` / `glm score` with `--model OWNER/NAME` and HF_ENDPOINT pointing at a local fake Hub:
 * the same output as with the local folder, progress on stderr, clear errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeHub, commitId } from '../testing/fake-hub.js';
import { tinyRepo, type TinyRepo } from '../testing/tiny-hub-repo.js';
import { repoRoot } from '../testing/helpers.js';

const main = path.join(repoRoot(), 'dist', 'cli', 'main.js');
let hub: FakeHub;
let repo: TinyRepo;
let home: string;

/** Runs glm asynchronously (the fake Hub answers from this process's event loop). */
function glm(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const base = { ...process.env };
    for (const k of ['HF_HUB_CACHE', 'HUGGINGFACE_HUB_CACHE', 'HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN', 'HF_TOKEN_PATH', 'HF_HUB_OFFLINE']) delete base[k];
    const p = spawn(process.execPath, [main, '--backend', 'reference', ...args], { env: { ...base, HF_HOME: home, HF_ENDPOINT: hub.url, ...env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

before(async () => {
  hub = await FakeHub.start();
  repo = tinyRepo({ seed: 3 });
  hub.add('owner/tiny-glm', { refs: { main: commitId('cli-main') }, commits: { [commitId('cli-main')]: repo.files } });
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-hf-cli-'));
});

after(async () => {
  await hub.close();
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(repo.localDir, { recursive: true, force: true });
});

const PROMPT = 'the capital of france is [MASK] .';

test('glm infill --model owner/name downloads, shows progress on stderr and fills as the local folder does', async () => {
  const viaHub = await glm(['infill', '--model', 'owner/tiny-glm', '--max-length', '3', '--json', PROMPT]);
  assert.equal(viaHub.status, 0, viaHub.stderr);
  assert.match(viaHub.stderr, /glm: downloading model\.safetensors/);
  const local = await glm(['infill', '--model', repo.localDir, '--max-length', '3', '--json', PROMPT]);
  assert.equal(local.status, 0, local.stderr);
  assert.deepEqual(JSON.parse(viaHub.stdout), JSON.parse(local.stdout));
  // Offline, from the cache, with no request.
  hub.log.length = 0;
  const offline = await glm(['score', '--model', 'owner/tiny-glm', '--choices', 'paris,rome', PROMPT], { HF_HUB_OFFLINE: '1' });
  assert.equal(offline.status, 0, offline.stderr);
  assert.equal(hub.log.length, 0);
  const scoredLocal = await glm(['score', '--model', repo.localDir, '--choices', 'paris,rome', PROMPT]);
  assert.deepEqual(JSON.parse(offline.stdout), JSON.parse(scoredLocal.stdout));
});

test('glm infill --model with an unknown or private repository exits 2 with the repository and HF_TOKEN named', async () => {
  const r = await glm(['infill', '--model', 'owner/missing-glm', PROMPT]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^glm: error: owner\/missing-glm: the Hub at http:\/\/127\.0\.0\.1:\d+ refused access \(HTTP 401\).*HF_TOKEN/m);
  const r2 = await glm(['infill', '--model', 'owner/missing-glm', PROMPT], { HF_TOKEN: hub.token });
  assert.equal(r2.status, 2, r2.stderr);
  assert.match(r2.stderr, /^glm: error: no model repository owner\/missing-glm on http:\/\/127\.0\.0\.1:\d+/m);
});
