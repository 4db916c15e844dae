/**
 * Decoders for the packaged text formats of the English corpus sources (data-sources.md §2):
 * R lazy-load databases (Austen), SWORD zText modules (World English Bible), fortune files,
 * reStructuredText and HTML. Pure functions over buffers/strings, so each is unit-tested on
 * small hand-made inputs.
 */
import zlib from 'node:zlib';
import { GlmError } from '../../util/errors.js';

/**
 * R lazy-load database (`Rdata.rdb`): a series of objects, each `[u32 BE uncompressed length]
 * [zlib stream]` holding an R XDR serialization (`X\n`). Returns the character vectors (STRSXP,
 * type 16) found first in each object, one string per element (NA → '').
 */
export function decodeRdb(buf: Buffer): string[][] {
  const out: string[][] = [];
  let off = 0;
  while (off + 4 < buf.length) {
    let res: { buffer: Buffer; engine: zlib.Inflate };
    try {
      res = zlib.inflateSync(buf.subarray(off + 4), { info: true }) as unknown as { buffer: Buffer; engine: zlib.Inflate };
    } catch (e) {
      throw new GlmError('E_DATA_SOURCE', `R database: object at byte ${off} is not a zlib stream (${(e as Error).message})`);
    }
    const d = res.buffer;
    if (d.length !== buf.readUInt32BE(off)) throw new GlmError('E_DATA_SOURCE', `R database: object at byte ${off} has ${d.length} bytes, header says ${buf.readUInt32BE(off)}`);
    if (d.toString('latin1', 0, 2) !== 'X\n') throw new GlmError('E_DATA_SOURCE', `R database: object at byte ${off} is not an XDR serialization`);
    out.push(readFirstStrsxp(d));
    off += 4 + res.engine.bytesWritten;
  }
  return out;
}

function readFirstStrsxp(d: Buffer): string[] {
  // Find a STRSXP header (flags with type 16) followed by a CHARSXP (type 9) or NA string.
  for (let i = 14; i + 16 <= d.length; i++) {
    if ((d.readInt32BE(i) & 0xff) !== 16) continue;
    const n = d.readInt32BE(i + 4);
    if (n <= 0 || (d.readInt32BE(i + 8) & 0xff) !== 9) continue;
    const strings: string[] = [];
    let p = i + 8;
    for (let j = 0; j < n; j++) {
      if (p + 8 > d.length || (d.readInt32BE(p) & 0xff) !== 9) throw new GlmError('E_DATA_SOURCE', `R database: string ${j} of ${n} is not a CHARSXP`);
      const len = d.readInt32BE(p + 4);
      p += 8;
      if (len < 0) { strings.push(''); continue; }
      strings.push(d.toString('utf8', p, p + len));
      p += len;
    }
    return strings;
  }
  throw new GlmError('E_DATA_SOURCE', 'R database: no character vector found');
}

/** SWORD zText module: `.bzs` = 12-byte LE records (offset, size, uncompressed size) into `.bzz` zlib blocks. */
export function decodeZText(bzs: Buffer, bzz: Buffer): string[] {
  if (bzs.length % 12 !== 0) throw new GlmError('E_DATA_SOURCE', `zText index has ${bzs.length} bytes, not a multiple of 12`);
  const blocks: string[] = [];
  for (let i = 0; i < bzs.length / 12; i++) {
    const o = bzs.readUInt32LE(i * 12), size = bzs.readUInt32LE(i * 12 + 4), usize = bzs.readUInt32LE(i * 12 + 8);
    if (o + size > bzz.length) throw new GlmError('E_DATA_SOURCE', `zText block ${i} runs past the end of the data file`);
    const d = zlib.inflateSync(bzz.subarray(o, o + size));
    if (d.length !== usize) throw new GlmError('E_DATA_SOURCE', `zText block ${i}: ${d.length} bytes, index says ${usize}`);
    blocks.push(d.toString('utf8'));
  }
  return blocks;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', mdash: '—', ndash: '–', hellip: '…', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : ' ';
    }
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** OSIS XML of one Bible book → one text per chapter (notes dropped, paragraphs kept). */
export function osisChapters(xml: string): string[] {
  const body = xml.replace(/<note\b[^>]*>[\s\S]*?<\/note>/g, ' ').replace(/<title\b[^>]*>([\s\S]*?)<\/title>/g, '\n\n$1\n\n');
  return body
    .split(/<chapter\b[^>]*sID=[^>]*>/)
    .slice(1)
    .map((ch) => decodeEntities(ch.replace(/<div\b[^>]*type="x-p"[^>]*\/>/g, '\n\n').replace(/<[^>]+>/g, '')))
    .map(paragraphs)
    .filter((t) => t.length > 0);
}

/** HTML → text: scripts/styles dropped, block elements become paragraph breaks. */
export function htmlToText(html: string): string {
  const s = html
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<\/?(p|div|h[1-6]|li|tr|br|pre|blockquote|table|dd|dt)\b[^>]*>/gi, '\n\n')
    .replace(/<[^>]+>/g, ' ');
  return paragraphs(decodeEntities(s));
}

/** Fortune file: entries separated by a line holding only `%`. */
export function fortuneEntries(text: string): string[] {
  return text.split(/\n%\n/).map((e) => e.replace(/\n%$/, '').trim()).filter(Boolean);
}

/**
 * reStructuredText → prose: directives, comments, literal blocks (`::` and their indented
 * bodies), tables and heading underlines dropped; inline roles and markup unwrapped. The text
 * on both sides of a dropped block stays in one paragraph (the shipped model's corpus was built so).
 */
export function rstToText(rst: string): string {
  const out: string[] = [];
  const lines = rst.replace(/\r/g, '').split('\n');
  let skipIndent = -1;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const indent = line.length - line.trimStart().length;
    if (skipIndent >= 0) {
      if (line.trim() === '' || indent > skipIndent) continue;
      skipIndent = -1;
    }
    const t = line.trim();
    if (/^\.\. /.test(t) || t === '..') { skipIndent = indent; continue; }
    if (/^[=\-~^"'`#*+_.:]{3,}$/.test(t) || /^[+|]/.test(t) || /^>>>|^\.\.\.\s/.test(t)) continue;
    let l = line;
    if (/::\s*$/.test(t)) { l = l.replace(/::\s*$/, t.endsWith(' ::') || t === '::' ? '' : ':'); skipIndent = indent; }
    out.push(l);
  }
  const text = out.join('\n')
    .replace(/:[a-z:]+:`~?!?([^`<]*?)(?:\s*<[^>]*>)?`/g, '$1')
    .replace(/``([^`]+)``/g, '$1')
    .replace(/`([^`<]+?)(?:\s*<[^>]*>)?`_*/g, '$1')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/\*([^*\s][^*]*)\*/g, '$1');
  return paragraphs(text);
}

/**
 * Plain text with hard-wrapped lines → paragraphs separated by one blank line, each on one line
 * with single spaces; control characters removed, box-drawing table rows dropped.
 */
export function paragraphs(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
    .split(/\n\s*\n/)
    .map((p) => p.split('\n').filter((l) => !/[│─┌┐└┘├┤┼═]/.test(l)).join(' ').replace(/\s+/g, ' ').trim())
    .filter((p) => p.length > 0)
    .join('\n\n');
}

/** Groups paragraphs into documents of at most `maxWords` words (never splitting a paragraph). */
export function groupParagraphs(paras: readonly string[], maxWords: number): string[] {
  const docs: string[] = [];
  let cur: string[] = [];
  let words = 0;
  for (const p of paras) {
    const w = p.split(' ').length;
    if (cur.length > 0 && words + w > maxWords) { docs.push(cur.join('\n\n')); cur = []; words = 0; }
    cur.push(p);
    words += w;
  }
  if (cur.length) docs.push(cur.join('\n\n'));
  return docs;
}
