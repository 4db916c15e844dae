/**
 * Reader for SentencePiece `.model` files (a protobuf `ModelProto`, sentencepiece_model.proto):
 * the pieces with scores and types, the trainer options that affect encoding, and the normalizer
 * spec. A tiny hand-written protobuf decoder; only the fields glm-ts uses are kept.
 */
import { GlmError } from '../../util/errors.js';

/** SentencePiece.Type. */
export enum PieceType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

export interface SpPiece {
  piece: string;
  score: number;
  type: PieceType;
}

export interface SpNormalizerSpec {
  name: string;
  /** Darts double-array trie + NUL-terminated replacement strings (empty: no char map). */
  precompiledCharsmap: Uint8Array;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface SpModelProto {
  pieces: SpPiece[];
  /** 1 unigram, 2 bpe, 3 word, 4 char. */
  modelType: number;
  byteFallback: boolean;
  treatWhitespaceAsSuffix: boolean;
  unkSurface: string;
  normalizer: SpNormalizerSpec;
  /** The raw bytes, kept so that export can copy the model file unchanged. */
  bytes: Uint8Array;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end: number, readonly file: string) {}

  fail(what: string): never {
    throw new GlmError('E_SPM_MODEL', `not a valid SentencePiece model: ${what} at byte ${this.pos}`, { path: this.file });
  }

  varint(): number {
    let result = 0, shift = 0;
    for (;;) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++]!;
      // Values beyond 2^53 only occur for negative int32 (10-byte varints); keep the low 32 bits.
      if (shift < 49) result += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
      if (shift > 70) this.fail('varint too long');
    }
    return result;
  }

  int32(): number {
    const v = this.varint();
    return v > 0x7fffffff ? (v % 2 ** 32) | 0 : v;
  }

  bytes(): Uint8Array {
    const n = this.varint();
    if (this.pos + n > this.end) this.fail(`length ${n} runs past the end`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  float(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else this.fail(`unsupported wire type ${wire}`);
    if (this.pos > this.end) this.fail('field runs past the end');
  }

  /** Calls fn(field, wire) for each field until the end of this message. */
  fields(fn: (field: number, wire: number) => void): void {
    while (this.pos < this.end) {
      const key = this.varint();
      fn(Math.floor(key / 8), key & 7);
    }
  }

  sub(): Reader {
    const b = this.bytes();
    return new Reader(this.buf, b.byteOffset - this.buf.byteOffset + b.length, this.file).at(b.byteOffset - this.buf.byteOffset);
  }

  at(pos: number): this {
    this.pos = pos;
    return this;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function str(r: Reader, b: Uint8Array): string {
  try {
    return utf8.decode(b);
  } catch {
    return r.fail('string field is not valid UTF-8');
  }
}

/** Parses a ModelProto. `file` names the source in errors. */
export function parseSentencePieceModel(buf: Uint8Array, file = '<memory>'): SpModelProto {
  const r = new Reader(buf, buf.length, file);
  const m: SpModelProto = {
    pieces: [],
    modelType: 1,
    byteFallback: false,
    treatWhitespaceAsSuffix: false,
    unkSurface: ' \u2047 ',
    normalizer: { name: '', precompiledCharsmap: new Uint8Array(0), addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true },
    bytes: buf,
  };
  r.fields((f, w) => {
    if (f === 1 && w === 2) {
      const s = r.sub();
      const p: SpPiece = { piece: '', score: 0, type: PieceType.NORMAL };
      s.fields((g, v) => {
        if (g === 1 && v === 2) p.piece = str(s, s.bytes());
        else if (g === 2 && v === 5) p.score = s.float();
        else if (g === 3 && v === 0) p.type = s.varint() as PieceType;
        else s.skip(v);
      });
      r.pos = s.end;
      m.pieces.push(p);
    } else if (f === 2 && w === 2) {
      const s = r.sub();
      s.fields((g, v) => {
        if (g === 3 && v === 0) m.modelType = s.varint();
        else if (g === 35 && v === 0) m.byteFallback = s.varint() !== 0;
        else if (g === 24 && v === 0) m.treatWhitespaceAsSuffix = s.varint() !== 0;
        else if (g === 44 && v === 2) m.unkSurface = str(s, s.bytes());
        else s.skip(v);
      });
      r.pos = s.end;
    } else if (f === 3 && w === 2) {
      const s = r.sub();
      const n = m.normalizer;
      s.fields((g, v) => {
        if (g === 1 && v === 2) n.name = str(s, s.bytes());
        else if (g === 2 && v === 2) n.precompiledCharsmap = s.bytes();
        else if (g === 3 && v === 0) n.addDummyPrefix = s.varint() !== 0;
        else if (g === 4 && v === 0) n.removeExtraWhitespaces = s.varint() !== 0;
        else if (g === 5 && v === 0) n.escapeWhitespaces = s.varint() !== 0;
        else s.skip(v);
      });
      r.pos = s.end;
    } else r.skip(w);
  });
  if (m.pieces.length === 0) r.fail('no pieces');
  for (const p of m.pieces) {
    if (!(p.type >= 1 && p.type <= 6)) r.fail(`piece ${JSON.stringify(p.piece)} has unknown type ${p.type}`);
  }
  if (m.modelType !== 1 && m.modelType !== 2) {
    throw new GlmError('E_SPM_MODEL', `SentencePiece model_type ${m.modelType} (${m.modelType === 3 ? 'word' : m.modelType === 4 ? 'char' : 'unknown'}) is not supported; use unigram or bpe`, { path: file });
  }
  return m;
}
