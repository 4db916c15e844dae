/** Tokenizer folders: every family saved with saveTokenizer loads back identical (ids, specials, sizes). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTokenizer } from './load.js';
import { saveTokenizer } from './save.js';
import { repoRoot } from '../testing/helpers.js';
import { GlmError } from '../util/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-toksave-'));
const SP = (): string => path.join(repoRoot(), 'test-fixtures', 'sentencepiece', 'zh-unigram.model');
const TEXT = ['Hello, world! [MASK] strawberries 中文', '清华大学[gMASK]', 'x<|startofpiece|> y <|endofpiece|>', ''];

for (const [name, opts] of [['glm-large', {}], ['glm-10b', {}], ['glm-10b-chinese', { spModel: SP(), chineseGMask: 'original' as const }]] as const) {
  test(`${name}: save → load round trip`, () => {
    const a = loadTokenizer(name, opts);
    const dir = path.join(tmp, name);
    saveTokenizer(a, dir);
    const b = loadTokenizer(dir);
    assert.equal(b.family, a.family);
    assert.deepEqual(b.special, a.special);
    assert.equal(b.numTokens, a.numTokens);
    assert.equal(b.paddedVocabSize, a.paddedVocabSize);
    for (const t of TEXT) assert.deepEqual(b.encode(t), a.encode(t), t);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8'));
    assert.equal(cfg.tokenizer_class, a.hubClass);
  });
}

test('hub-layout folders (tokenizer_config.json + vocabulary files) load by tokenizer_class', () => {
  const dir = path.join(tmp, 'hub-bert');
  saveTokenizer(loadTokenizer('glm-large'), dir);
  fs.rmSync(path.join(dir, 'glm_tokenizer.json'));
  const t = loadTokenizer(dir);
  assert.equal(t.family, 'bert');
  assert.deepEqual(t.encode('hello [MASK]'), [7592, 103]);
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'LlamaTokenizer' }));
  assert.throws(() => loadTokenizer(dir), (e: unknown) => e instanceof GlmError && e.code === 'E_TOKENIZER_UNKNOWN' && /LlamaTokenizer/.test(e.message));
  const bad = path.join(tmp, 'bad');
  fs.mkdirSync(bad);
  fs.writeFileSync(path.join(bad, 'glm_tokenizer.json'), JSON.stringify({ format: 'glm-ts-tokenizer', version: 2 }));
  assert.throws(() => loadTokenizer(bad), (e: unknown) => e instanceof GlmError && e.code === 'E_TOKENIZER_FILE' && /version/.test(e.message));
});
