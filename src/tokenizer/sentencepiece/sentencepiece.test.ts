/**
 * The TypeScript SentencePiece encoder reproduces Debian's spm_encode (sentencepiece 0.1.97).
 * Expected ids: test-fixtures/sentencepiece/*.ids.txt, written by spm_encode --output_format=id
 * (scripts/make-fixtures/sentencepiece.sh) for the lines of zh-test.txt. When spm_encode is on
 * PATH the whole training text is also compared live.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { SentencePieceModel } from './model.js';
import { parseSentencePieceModel, PieceType } from './proto.js';
import { GlmError } from '../../util/errors.js';
import { repoRoot } from '../../testing/helpers.js';

const dir = (): string => path.join(repoRoot(), 'test-fixtures', 'sentencepiece');
const lines = (file: string): string[] => {
  const l = fs.readFileSync(path.join(dir(), file), 'utf8').split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
};
const hasSpm = spawnSync('spm_encode', ['--help'], { encoding: 'utf8' }).error === undefined;

for (const name of ['zh-unigram', 'zh-bpe']) {
  test(`${name}: ids equal spm_encode on every test line, decode equals spm_decode`, () => {
    const sp = SentencePieceModel.fromFile(path.join(dir(), `${name}.model`));
    const text = lines('zh-test.txt');
    const ids = lines(`${name}.ids.txt`);
    const decoded = lines(`${name}.decoded.txt`);
    assert.equal(ids.length, text.length);
    text.forEach((t, i) => {
      const want = ids[i]!.split(' ').filter((x) => x !== '').map(Number);
      assert.deepEqual(sp.encode(t), want, `line ${i + 1}: ${JSON.stringify(t)}`);
      assert.equal(sp.decode(want), decoded[i], `decode line ${i + 1}`);
    });
  });

  test(`${name}: the whole training text matches live spm_encode`, { skip: hasSpm ? false : 'spm_encode not installed (apt-get install sentencepiece)' }, () => {
    const file = path.join(dir(), 'zh-train.txt');
    const r = spawnSync('spm_encode', [`--model=${path.join(dir(), `${name}.model`)}`, '--output_format=id', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const want = r.stdout.split('\n');
    const sp = SentencePieceModel.fromFile(path.join(dir(), `${name}.model`));
    lines('zh-train.txt').forEach((t, i) => assert.equal(sp.encode(t).join(' '), want[i], `line ${i + 1}`));
  });
}

test('model proto: pieces, types and normalizer spec are read', () => {
  const bytes = fs.readFileSync(path.join(dir(), 'zh-bpe.model'));
  const m = parseSentencePieceModel(bytes);
  assert.equal(m.modelType, 2);
  assert.equal(m.byteFallback, true);
  assert.equal(m.normalizer.name, 'identity');
  assert.deepEqual(m.pieces.slice(0, 3).map((p) => [p.piece, p.type]), [['<unk>', PieceType.UNKNOWN], ['<s>', PieceType.CONTROL], ['</s>', PieceType.CONTROL]]);
  assert.ok(m.pieces.some((p) => p.piece === '<n>' && p.type === PieceType.USER_DEFINED));
  const u = parseSentencePieceModel(fs.readFileSync(path.join(dir(), 'zh-unigram.model')));
  assert.equal(u.modelType, 1);
  assert.equal(u.normalizer.name, 'nmt_nfkc');
  assert.ok(u.normalizer.precompiledCharsmap.length > 1000);
});

test('a truncated or foreign .model file gives a clear error', () => {
  const bytes = fs.readFileSync(path.join(dir(), 'zh-bpe.model'));
  assert.throws(() => parseSentencePieceModel(bytes.subarray(0, 1000), 'cut.model'), (e: unknown) => e instanceof GlmError && e.code === 'E_SPM_MODEL' && /cut\.model/.test(e.message));
  assert.throws(() => parseSentencePieceModel(Buffer.from('{"not": "protobuf"}'), 'x.model'), (e: unknown) => e instanceof GlmError && e.code === 'E_SPM_MODEL');
  assert.throws(() => SentencePieceModel.fromFile(path.join(dir(), 'missing.model')), (e: unknown) => e instanceof GlmError && e.code === 'E_TOKENIZER_FILE_MISSING');
});
