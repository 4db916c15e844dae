/**
 * Independent reference tokenizers, used only by tests as oracles for the production path
 * (which goes through `@huggingface/tokenizers`). Written from the published algorithms, not from
 * the library:
 *  - BERT: google-research/bert `tokenization.py` (BasicTokenizer with do_lower_case, then
 *    WordpieceTokenizer: greedy longest-match-first, "##" continuation, [UNK] for words over 100
 *    characters or with no segmentation);
 *  - GPT-2: openai/gpt-2 `src/encoder.py` (bytes_to_unicode, the pre-tokenization regex with
 *    Python `regex` semantics for \s, and BPE by merge rank).
 */

// ---------------------------------------------------------------- BERT

const PY_WS = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]);
/** Python str.isspace(). */
function pyIsSpace(cp: number): boolean {
  return PY_WS.has(cp) || (cp >= 0x2000 && cp <= 0x200a);
}
function isWhitespace(ch: string): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /\p{Zs}/u.test(ch);
}
function isControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  return /\p{C}/u.test(ch);
}
function isPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return /\p{P}/u.test(ch);
}
function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
/** Python str.split() with no argument. */
function pySplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (pyIsSpace(ch.codePointAt(0)!)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** BasicTokenizer(do_lower_case=True).tokenize. */
export function bertBasicTokenize(text: string): string[] {
  let cleaned = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
    cleaned += isWhitespace(ch) ? ' ' : ch;
  }
  let spaced = '';
  for (const ch of cleaned) spaced += isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch;
  const out: string[] = [];
  for (let tok of pySplit(spaced)) {
    tok = tok.toLowerCase().normalize('NFD').replace(/\p{Mn}/gu, '');
    let cur = '';
    for (const ch of tok) {
      if (isPunctuation(ch)) {
        if (cur) out.push(cur);
        out.push(ch);
        cur = '';
      } else cur += ch;
    }
    if (cur) out.push(cur);
  }
  return pySplit(out.join(' '));
}

/** BERT uncased ids (no [CLS]/[SEP]) from a vocab.txt line list. */
export function bertReferenceEncode(text: string, vocab: Map<string, number>): number[] {
  const unk = vocab.get('[UNK]')!;
  const ids: number[] = [];
  for (const word of bertBasicTokenize(text)) {
    const chars = [...word];
    if (chars.length > 100) {
      ids.push(unk);
      continue;
    }
    const sub: number[] = [];
    let start = 0, bad = false;
    while (start < chars.length) {
      let end = chars.length, found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        found = vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        bad = true;
        break;
      }
      sub.push(found);
      start = end;
    }
    if (bad) ids.push(unk);
    else ids.push(...sub);
  }
  return ids;
}

// ---------------------------------------------------------------- GPT-2

function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const map: string[] = new Array(256);
  for (const b of bs) map[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) map[b] = String.fromCodePoint(256 + n++);
  return map;
}

/** Python `regex` \s (Unicode White_Space), which differs from JS \s at U+0085 and U+FEFF. */
const WS = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PAT = new RegExp(`'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`, 'gu');

export class Gpt2Reference {
  private readonly ranks = new Map<string, number>();
  private readonly byteMap = bytesToUnicode();
  private readonly cache = new Map<string, string[]>();

  constructor(private readonly encoder: Record<string, number>, merges: readonly string[]) {
    merges.forEach((m, i) => this.ranks.set(m, i));
  }

  private bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    let word = [...token];
    while (word.length > 1) {
      let best = -1, bestRank = Infinity;
      for (let i = 0; i + 1 < word.length; i++) {
        const r = this.ranks.get(word[i] + ' ' + word[i + 1]);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = word[best]!, b = word[best + 1]!;
      // Merge every occurrence of the pair, left to right (as encoder.py does).
      const next: string[] = [];
      for (let i = 0; i < word.length; ) {
        if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
          next.push(a + b);
          i += 2;
        } else next.push(word[i++]!);
      }
      word = next;
    }
    this.cache.set(token, word);
    return word;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const m of text.matchAll(PAT)) {
      const bytes = new TextEncoder().encode(m[0]);
      const mapped = [...bytes].map((b) => this.byteMap[b]!).join('');
      for (const t of this.bpe(mapped)) ids.push(this.encoder[t]!);
    }
    return ids;
  }
}
