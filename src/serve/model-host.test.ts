/** The served model folder, and a clear error for a missing one (the default is tested in cli/default-model.test.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../testing/helpers.js';
import { openServedModel } from './model-host.js';
import { tinyModelDir } from '../testing/serve.js';

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
