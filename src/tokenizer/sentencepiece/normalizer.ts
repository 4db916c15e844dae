/**
 * SentencePiece's normalizer (normalizer.cc), byte for byte: the precompiled character map (a
 * Darts-clone double-array trie over UTF-8 bytes, longest match wins), user-defined symbols kept
 * verbatim, then the whitespace rules (drop leading/trailing/repeated spaces, add the dummy
 * prefix, write spaces as U+2581 "▁").
 */
import { GlmError } from '../../util/errors.js';
import type { SpNormalizerSpec } from './proto.js';

const SPACE_SYMBOL = [0xe2, 0x96, 0x81]; // "▁" in UTF-8
const REPLACEMENT = [0xef, 0xbf, 0xbd];

/** Darts-clone DoubleArray (the unit layout of darts.h). */
class DoubleArray {
  constructor(private readonly units: Uint32Array) {}

  /** All (value, length) of prefixes of key[start..end) that are keys, shortest first. */
  commonPrefixSearch(key: Uint8Array, start: number, end: number): { value: number; length: number }[] {
    const out: { value: number; length: number }[] = [];
    const u = this.units;
    let nodePos = 0;
    let unit = u[nodePos]!;
    nodePos ^= offset(unit);
    for (let i = start; i < end; i++) {
      const c = key[i]!;
      nodePos ^= c;
      if (nodePos >= u.length) return out;
      unit = u[nodePos]!;
      if (label(unit) !== c) return out;
      nodePos ^= offset(unit);
      if (hasLeaf(unit)) {
        if (nodePos >= u.length) return out;
        out.push({ value: value(u[nodePos]!), length: i - start + 1 });
      }
    }
    return out;
  }
}

function hasLeaf(unit: number): boolean {
  return ((unit >>> 8) & 1) === 1;
}
function value(unit: number): number {
  return unit & 0x7fffffff;
}
function label(unit: number): number {
  return (unit & 0x800000ff) >>> 0;
}
function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

export class SpNormalizer {
  private readonly trie: DoubleArray | null;
  private readonly normalized: Uint8Array;
  /** User-defined symbols as UTF-8 byte strings, longest first (the PrefixMatcher). */
  private readonly userSymbols: Uint8Array[];

  constructor(private readonly spec: SpNormalizerSpec, userDefined: readonly string[], file = '<memory>') {
    const blob = spec.precompiledCharsmap;
    if (blob.length === 0) {
      this.trie = null;
      this.normalized = new Uint8Array(0);
    } else {
      if (blob.length < 4) throw new GlmError('E_SPM_MODEL', 'precompiled_charsmap is too short', { path: file });
      const dv = new DataView(blob.buffer, blob.byteOffset, blob.length);
      const trieSize = dv.getUint32(0, true);
      if (trieSize % 4 !== 0 || 4 + trieSize > blob.length) throw new GlmError('E_SPM_MODEL', `precompiled_charsmap trie size ${trieSize} does not fit the ${blob.length}-byte blob`, { path: file });
      const units = new Uint32Array(trieSize / 4);
      for (let i = 0; i < units.length; i++) units[i] = dv.getUint32(4 + 4 * i, true);
      this.trie = new DoubleArray(units);
      this.normalized = blob.subarray(4 + trieSize);
    }
    const enc = new TextEncoder();
    this.userSymbols = userDefined.map((s) => enc.encode(s)).sort((a, b) => b.length - a.length);
  }

  /** NormalizePrefix: the replacement bytes for the longest rule at `pos`, and how many input bytes it consumes. */
  private normalizePrefix(input: Uint8Array, pos: number): { out: ArrayLike<number>; consumed: number } {
    for (const sym of this.userSymbols) {
      if (sym.length <= input.length - pos && sym.every((b, i) => input[pos + i] === b)) return { out: sym, consumed: sym.length };
    }
    let longestLength = 0, longestValue = 0;
    if (this.trie) {
      for (const r of this.trie.commonPrefixSearch(input, pos, input.length)) {
        if (longestLength === 0 || r.length > longestLength) {
          longestLength = r.length;
          longestValue = r.value;
        }
      }
    }
    if (longestLength === 0) {
      const n = utf8CharLength(input, pos);
      if (n === 0) return { out: REPLACEMENT, consumed: 1 };
      return { out: input.subarray(pos, pos + n), consumed: n };
    }
    let end = longestValue;
    while (end < this.normalized.length && this.normalized[end] !== 0) end++;
    return { out: this.normalized.subarray(longestValue, end), consumed: longestLength };
  }

  /** Normalizes UTF-8 `input` (normalizer.cc Normalizer::Normalize, without the alignment output). */
  normalize(input: Uint8Array): Uint8Array {
    const spec = this.spec;
    const out: number[] = [];
    let pos = 0;
    if (spec.removeExtraWhitespaces) {
      while (pos < input.length) {
        const p = this.normalizePrefix(input, pos);
        if (!(p.out.length === 1 && p.out[0] === 0x20)) break;
        pos += p.consumed;
      }
    }
    if (pos >= input.length) return new Uint8Array(0);
    if (spec.addDummyPrefix) out.push(...(spec.escapeWhitespaces ? SPACE_SYMBOL : [0x20]));
    let isPrevSpace = spec.removeExtraWhitespaces;
    while (pos < input.length) {
      const p = this.normalizePrefix(input, pos);
      let sp = 0;
      const bytes = p.out;
      if (isPrevSpace) while (sp < bytes.length && bytes[sp] === 0x20) sp++;
      if (sp < bytes.length) {
        for (let n = sp; n < bytes.length; n++) {
          if (spec.escapeWhitespaces && bytes[n] === 0x20) out.push(...SPACE_SYMBOL);
          else out.push(bytes[n]!);
        }
        isPrevSpace = bytes[bytes.length - 1] === 0x20;
      }
      pos += p.consumed;
      if (!spec.removeExtraWhitespaces) isPrevSpace = false;
    }
    if (spec.removeExtraWhitespaces) {
      const space = spec.escapeWhitespaces ? SPACE_SYMBOL : [0x20];
      while (out.length >= space.length && space.every((b, i) => out[out.length - space.length + i] === b)) out.length -= space.length;
    }
    return Uint8Array.from(out);
  }
}

/** Length of the valid UTF-8 character at `pos`, or 0 when the bytes there are malformed. */
function utf8CharLength(b: Uint8Array, pos: number): number {
  const c = b[pos]!;
  if (c < 0x80) return 1;
  const n = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
  if (n === 0 || pos + n > b.length) return 0;
  for (let i = 1; i < n; i++) if ((b[pos + i]! & 0xc0) !== 0x80) return 0;
  return n;
}
