/**
 * The corpus-source decoders on hand-made inputs in each packaged format (R lazy-load database,
 * SWORD zText + OSIS, fortune files, reST, HTML), the paragraph deduplication and the stable
 * document split.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { isGlmError } from '../../util/errors.js';
import { decodeRdb, decodeZText, osisChapters, htmlToText, fortuneEntries, rstToText, paragraphs, groupParagraphs } from './decoders.js';
import { dedupParagraphs, splitValue } from './build.js';

/** An R XDR serialization of a character vector, as R writes it (version 3 header). */
function rStrings(strings: (string | null)[]): Buffer {
  const i32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
  const parts = [Buffer.from('X\n'), i32(3), i32(0x040201), i32(0x030500), i32(5), Buffer.from('UTF-8'), i32(16), i32(strings.length)];
  for (const s of strings) {
    if (s === null) parts.push(i32(9), i32(-1));
    else { const b = Buffer.from(s, 'utf8'); parts.push(i32(0x40009), i32(b.length), b); }
  }
  return Buffer.concat(parts);
}
function rdbObject(payload: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(payload.length);
  return Buffer.concat([len, zlib.deflateSync(payload)]);
}

test('R lazy-load database: every object, every string, NA as empty, UTF-8 kept', () => {
  const db = Buffer.concat([rdbObject(rStrings(['EMMA', '', 'By Jane Austen', null])), rdbObject(rStrings(['Persuasion', 'naïve café']))]);
  assert.deepEqual(decodeRdb(db), [['EMMA', '', 'By Jane Austen', ''], ['Persuasion', 'naïve café']]);
});

test('R database: a damaged object is a named error', () => {
  const good = rdbObject(rStrings(['a']));
  const bad = Buffer.from(good);
  bad[6] = bad[6]! ^ 0xff;
  assert.throws(() => decodeRdb(bad), (e: unknown) => isGlmError(e) && e.code === 'E_DATA_SOURCE');
  const wrongLen = Buffer.from(good);
  wrongLen.writeUInt32BE(999, 0);
  assert.throws(() => decodeRdb(wrongLen), /header says 999/);
});

test('zText blocks and OSIS chapters: notes dropped, paragraphs and titles kept', () => {
  const book = '<div type="book"/><title type="main">Luke</title><chapter n="1" sID="Luke.1"/>Since <w lemma="x">many</w> have<note type="x">a footnote</note> undertaken. <div sID="a" type="x-p"/>There was &amp; is.<chapter n="2" sID="Luke.2"/>Now it happened.';
  const raw = Buffer.from(book, 'utf8');
  const z = zlib.deflateSync(raw);
  const idx = Buffer.alloc(12);
  idx.writeUInt32LE(0, 0); idx.writeUInt32LE(z.length, 4); idx.writeUInt32LE(raw.length, 8);
  const blocks = decodeZText(idx, z);
  assert.equal(blocks.length, 1);
  assert.deepEqual(osisChapters(blocks[0]!), ['Since many have undertaken.\n\nThere was & is.', 'Now it happened.']);
  assert.throws(() => decodeZText(Buffer.alloc(5), z), /multiple of 12/);
  idx.writeUInt32LE(raw.length + 1, 8);
  assert.throws(() => decodeZText(idx, z), /index says/);
});

test('fortunes, HTML and reST become prose', () => {
  assert.deepEqual(fortuneEntries('A penny saved.\n%\nTwo lines\nof verse.\n%\n'), ['A penny saved.', 'Two lines\nof verse.']);
  assert.equal(htmlToText('<html><head><title>x</title></head><body><p>One &amp; two</p><script>var a;</script><p>Three<br>four</p></body></html>'), 'One & two\n\nThree\n\nfour');
  const rst = [
    'Title', '=====', '', 'Use :func:`len` and ``x`` to count *items*::', '', '   >>> len([1])', '   1', '',
    '.. note::', '', '   hidden directive body', '', 'After the `link <http://x>`_.', '',
  ].join('\n');
  assert.equal(rstToText(rst), 'Title\n\nUse len and x to count items: After the link.');
});

test('paragraphs re-flow hard-wrapped lines and drop box-drawing rows; grouping keeps paragraphs whole', () => {
  assert.equal(paragraphs('a line\nwrapped  here\n\n\n│ table │\nnext\x07 para'), 'a line wrapped here\n\nnext para');
  assert.deepEqual(groupParagraphs(['a b c', 'd e', 'f g h i'], 5), ['a b c\n\nd e', 'f g h i']);
});

test('paragraph dedup keeps the first copy, ignores case/punctuation, and keeps short lines', () => {
  const seen = new Set<string>();
  const long = 'It is a truth universally acknowledged, that a single man must be in want of a wife.';
  assert.deepEqual(dedupParagraphs(`${long}\n\nCHAPTER I`, seen), { text: `${long}\n\nCHAPTER I`, dropped: 0 });
  assert.deepEqual(dedupParagraphs(`CHAPTER I\n\n${long.toUpperCase().replace(/,/g, '')}\n\nNew text here.`, seen), { text: 'CHAPTER I\n\nNew text here.', dropped: 1 });
});

test('the document split is a stable function of the name, close to uniform', () => {
  assert.equal(splitValue('austen/emma#3'), splitValue('austen/emma#3'));
  let below = 0;
  for (let i = 0; i < 4000; i++) if (splitValue(`doc${i}`) < 0.1) below++;
  assert.ok(below > 320 && below < 480, `${below} of 4000 below 0.1`);
});
