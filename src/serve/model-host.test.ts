/** The served model folder: the shipped default under models/, and clear errors without one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GlmError } from '../io/errors.js';
import { repoRoot } from '../testing/helpers.js';
import { openServedModel, shippedModelDir } from './model-host.js';
import { tinyModelDir } from './testing.js';

test('shippedModelDir takes the first folder under models/ with a config.json, or says there is none', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-root-'));
  try {
    assert.throws(() => shippedModelDir(root), (e: unknown) => e instanceof GlmError && e.code === 'E_CLI_OPTION' && /no shipped model folder/.test(e.message));
    fs.mkdirSync(path.join(root, 'models', 'a-empty'), { recursive: true });
    fs.mkdirSync(path.join(root, 'models', 'b-model'), { recursive: true });
    fs.writeFileSync(path.join(root, 'models', 'b-model', 'config.json'), '{}');
    assert.equal(shippedModelDir(root), path.join(root, 'models', 'b-model'));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('openServedModel loads weights, tokenizer and layout; glm serve refuses a missing folder with exit code 2', () => {
  const dir = tinyModelDir();
  try {
    const s = openServedModel(dir);
    assert.equal(s.name, path.basename(dir));
    assert.equal(s.layout, 'hub');
    assert.equal(s.tokens.sop, s.tokenizer.special.sop);
    assert.equal(s.info, null);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const r = spawnSync(process.execPath, [path.join(repoRoot(), 'dist', 'cli', 'main.js'), 'serve', '--model', '/nonexistent/model', '--port', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /glm: error: .*no such model folder/);
});
