/**
 * The shipped model is what the commands and the library use when no model is named, and a
 * missing one is a named error (never random weights).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFolder } from '../io/checkpoint.js';
import { defaultModelDir, defaultModelPath } from '../io/default-model.js';
import { loadTokenizer } from '../tokenizer/load.js';
import { infillText } from '../generate/text.js';
import { repoRoot } from '../testing/helpers.js';

const main = path.join(repoRoot(), 'dist', 'cli', 'main.js');
const run = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
const PROMPT = 'The President of the United [MASK] spoke to the Congress.';

test('the shipped model is in the repository and loads with no folder named', () => {
  assert.equal(defaultModelDir(), path.join(repoRoot(), 'models', 'glm-en-small'));
  const { model } = loadFolder();
  const tok = loadTokenizer();
  assert.equal(model.config.vocab_size, tok.paddedVocabSize);
  const [r] = infillText(model, tok, PROMPT, { maxLength: 4 });
  assert.equal(r!.blanks.length, 1);
  assert.ok(r!.blanks[0]!.text.trim().length > 0, 'the shipped model answers something');
});

test('glm infill and glm score without --model use the shipped model, as the library does', () => {
  const r = run(['infill', '--max-length', '4', '--json', PROMPT]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { blanks: { text: string }[] }[];
  const { model } = loadFolder();
  const [lib] = infillText(model, loadTokenizer(), PROMPT, { maxLength: 4 });
  assert.equal(out[0]!.blanks[0]!.text, lib!.blanks[0]!.text);
  const s = run(['score', PROMPT, '--choices', 'states,kingdom']);
  assert.equal(s.status, 0, s.stderr);
});

test('a missing shipped model is a named error, not random weights', () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-nomodel-'));
  try {
    const r = run(['infill', PROMPT], { GLM_DEFAULT_MODEL: empty });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /E_DEFAULT_MODEL_MISSING|shipped model is incomplete/);
    process.env['GLM_DEFAULT_MODEL'] = empty;
    assert.equal(defaultModelPath(), empty);
    assert.throws(() => loadFolder(), /shipped model is incomplete/);
  } finally {
    delete process.env['GLM_DEFAULT_MODEL'];
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
