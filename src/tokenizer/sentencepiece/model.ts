/**
 * SentencePiece encoding and decoding in TypeScript, matching `spm_encode` / `spm_decode`:
 * unigram (the optimized Viterbi of unigram_model.cc, first-found piece wins ties) and BPE
 * (bpe_model.cc: highest-scoring adjacent pair first, leftmost on ties), consecutive unknown
 * pieces merged into one `<unk>` as SentencePieceProcessor does, optional byte fallback.
 */
import fs from 'node:fs';
import { GlmError } from '../../util/errors.js';
import type { TextModel } from '../text-model.js';
import { parseSentencePieceModel, PieceType, type SpModelProto } from './proto.js';
import { SpNormalizer } from './normalizer.js';
import { BinaryHeap } from '../../util/heap.js';

const UNK_PENALTY = 10.0;
const SPACE = '\u2581';
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8');

export class SentencePieceModel implements TextModel {
  readonly size: number;
  readonly joinWithSpace = false;
  readonly restoreLstripSpace = false;
  readonly proto: SpModelProto;
  readonly unkId: number;
  private readonly normalizer: SpNormalizer;
  /** Pieces the model may output by matching text: normal, user-defined and unused. */
  private readonly pieceIds = new Map<string, number>();
  /** Every piece (control, unknown and byte pieces too). */
  private readonly allIds = new Map<string, number>();
  private readonly byteIds: number[] = [];
  private readonly maxPieceChars: number;
  private readonly minScore: number;
  private readonly maxScore: number;

  constructor(proto: SpModelProto, file = '<memory>') {
    this.proto = proto;
    this.size = proto.pieces.length;
    // As unigram_model.cc: min from FLT_MAX, max from FLT_MIN (the smallest *positive* float).
    let unk = -1, maxLen = 1, minScore = 3.4028234663852886e38, maxScore = 1.1754943508222875e-38;
    const userDefined: string[] = [];
    proto.pieces.forEach((p, id) => {
      if (!this.allIds.has(p.piece)) this.allIds.set(p.piece, id);
      if (p.type === PieceType.UNKNOWN) {
        if (unk >= 0) throw new GlmError('E_SPM_MODEL', `two unknown pieces (${unk} and ${id})`, { path: file });
        unk = id;
      }
      if (p.type === PieceType.NORMAL || p.type === PieceType.USER_DEFINED || p.type === PieceType.UNUSED) {
        if (this.pieceIds.has(p.piece)) throw new GlmError('E_SPM_MODEL', `piece ${JSON.stringify(p.piece)} appears twice`, { path: file });
        this.pieceIds.set(p.piece, id);
        maxLen = Math.max(maxLen, [...p.piece].length);
      }
      if (p.type === PieceType.USER_DEFINED) userDefined.push(p.piece);
      if (p.type === PieceType.NORMAL) {
        minScore = Math.min(minScore, p.score);
        maxScore = Math.max(maxScore, p.score);
      }
      if (p.type === PieceType.BYTE) {
        const m = /^<0x([0-9A-F]{2})>$/.exec(p.piece);
        if (m) this.byteIds[parseInt(m[1]!, 16)] = id;
      }
    });
    if (unk < 0) throw new GlmError('E_SPM_MODEL', 'the model has no unknown piece (<unk>)', { path: file });
    this.unkId = unk;
    this.maxPieceChars = maxLen;
    this.minScore = minScore;
    this.maxScore = maxScore;
    this.normalizer = new SpNormalizer(proto.normalizer, userDefined, file);
  }

  static fromFile(file: string): SentencePieceModel {
    let bytes: Uint8Array;
    try {
      bytes = fs.readFileSync(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new GlmError(code === 'ENOENT' ? 'E_TOKENIZER_FILE_MISSING' : 'E_TOKENIZER_FILE', code === 'ENOENT' ? 'SentencePiece model file not found' : `cannot read: ${(e as Error).message}`, { path: file, cause: e });
    }
    return new SentencePieceModel(parseSentencePieceModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file), file);
  }

  /** The normalized text (with "▁" for spaces), as spm_normalize would print it. */
  normalize(text: string): string {
    return decoder.decode(this.normalizer.normalize(encoder.encode(text)));
  }

  encode(text: string): number[] {
    const norm = this.normalize(text);
    if (norm === '') return [];
    const chars = [...norm];
    const pieces = this.proto.modelType === 2 ? this.encodeBpe(chars) : this.encodeUnigram(chars);
    // SentencePieceProcessor merges runs of unknown pieces (so decoding can copy them), or with
    // byte fallback spells each unknown piece as UTF-8 byte pieces.
    const out: number[] = [];
    let prevUnk = false;
    for (const p of pieces) {
      const isUnk = p.id === this.unkId;
      if (isUnk && this.proto.byteFallback) {
        for (const b of encoder.encode(p.piece)) out.push(this.byteIds[b] ?? this.unkId);
        prevUnk = false;
        continue;
      }
      if (!(isUnk && prevUnk)) out.push(p.id);
      prevUnk = isUnk;
    }
    return out;
  }

  /** unigram_model.cc Model::EncodeOptimized. */
  private encodeUnigram(chars: string[]): { piece: string; id: number }[] {
    const n = chars.length;
    const unkScore = Math.fround(this.minScore - UNK_PENALTY);
    const bestScore = new Float64Array(n + 1);
    const startsAt = new Int32Array(n + 1).fill(-1);
    const bestId = new Int32Array(n + 1).fill(-1);
    const pieces = this.proto.pieces;
    for (let start = 0; start < n; start++) {
      const till = bestScore[start]!;
      let hasSingle = false;
      let key = '';
      const maxEnd = Math.min(n, start + this.maxPieceChars);
      for (let end = start + 1; end <= maxEnd; end++) {
        key += chars[end - 1]!;
        const id = this.pieceIds.get(key);
        if (id === undefined) continue;
        const p = pieces[id]!;
        if (p.type === PieceType.UNUSED) continue;
        const length = end - start;
        // User-defined symbols get a bonus so that they are always chosen (length in UTF-8 bytes).
        const score = p.type === PieceType.USER_DEFINED ? encoder.encode(key).length * this.maxScore - 0.1 : p.score;
        const cand = Math.fround(score + till);
        if (startsAt[end] === -1 || cand > bestScore[end]!) {
          bestScore[end] = cand;
          startsAt[end] = start;
          bestId[end] = id;
        }
        if (length === 1) hasSingle = true;
      }
      if (!hasSingle) {
        const cand = Math.fround(unkScore + till);
        if (startsAt[start + 1] === -1 || cand > bestScore[start + 1]!) {
          bestScore[start + 1] = cand;
          startsAt[start + 1] = start;
          bestId[start + 1] = this.unkId;
        }
      }
    }
    const out: { piece: string; id: number }[] = [];
    for (let end = n; end > 0; ) {
      const s = startsAt[end]!;
      out.push({ piece: chars.slice(s, end).join(''), id: bestId[end]! });
      end = s;
    }
    return out.reverse();
  }

  /** bpe_model.cc Model::Encode. */
  private encodeBpe(chars: string[]): { piece: string; id: number }[] {
    // Symbols: user-defined symbols are frozen whole, everything else starts as one character.
    const sym: { piece: string; prev: number; next: number; freeze: boolean }[] = [];
    const user = [...this.pieceIds.keys()].filter((k) => this.proto.pieces[this.pieceIds.get(k)!]!.type === PieceType.USER_DEFINED).sort((a, b) => b.length - a.length);
    const text = chars.join('');
    for (let i = 0; i < text.length; ) {
      let piece = String.fromCodePoint(text.codePointAt(i)!);
      let freeze = false;
      for (const u of user) {
        if (text.startsWith(u, i)) {
          piece = u;
          freeze = true;
          break;
        }
      }
      sym.push({ piece, prev: sym.length - 1, next: -1, freeze });
      i += piece.length;
    }
    for (let i = 0; i + 1 < sym.length; i++) sym[i]!.next = i + 1;
    interface Pair { left: number; right: number; score: number; size: number }
    // Max-heap on score; on equal scores the leftmost pair first.
    const heap = new BinaryHeap<Pair>((a, b) => a.score > b.score || (a.score === b.score && a.left < b.left));
    const push = (p: Pair): void => heap.push(p);
    const rev = new Map<string, [string, string]>();
    const maybeAdd = (left: number, right: number): void => {
      if (left < 0 || right < 0 || sym[left]!.freeze || sym[right]!.freeze) return;
      const piece = sym[left]!.piece + sym[right]!.piece;
      const id = this.pieceIds.get(piece);
      if (id === undefined) return;
      push({ left, right, score: this.proto.pieces[id]!.score, size: piece.length });
      if (this.proto.pieces[id]!.type === PieceType.UNUSED) rev.set(piece, [sym[left]!.piece, sym[right]!.piece]);
    };
    for (let i = 1; i < sym.length; i++) maybeAdd(i - 1, i);
    while (heap.size) {
      const top = heap.pop()!;
      const L = sym[top.left]!, R = sym[top.right]!;
      if (L.piece === '' || R.piece === '' || L.piece.length + R.piece.length !== top.size) continue;
      L.piece += R.piece;
      L.next = R.next;
      if (R.next >= 0) sym[R.next]!.prev = top.left;
      R.piece = '';
      maybeAdd(L.prev, top.left);
      maybeAdd(top.left, L.next);
    }
    const out: { piece: string; id: number }[] = [];
    const resegment = (w: string): void => {
      const id = this.pieceIds.get(w);
      const r = id !== undefined && this.proto.pieces[id]!.type === PieceType.UNUSED ? rev.get(w) : undefined;
      if (!r) {
        out.push({ piece: w, id: this.pieceToId(w) });
        return;
      }
      resegment(r[0]);
      resegment(r[1]);
    };
    for (let i = 0; i >= 0 && i < sym.length; i = sym[i]!.next) resegment(sym[i]!.piece);
    return out;
  }

  /** PieceToId: any piece (control ones included), else the unknown id. */
  private pieceToId(piece: string): number {
    return this.allIds.get(piece) ?? this.unkId;
  }

  decode(ids: readonly number[], continued = false): string {
    const bytes: number[] = [];
    let first = !continued;
    for (const id of ids) {
      const p = this.proto.pieces[id];
      if (!p) throw new GlmError('E_TOKEN_ID', `token id ${id} is outside the SentencePiece vocabulary [0, ${this.size})`);
      let s: string;
      if (p.type === PieceType.CONTROL) continue;
      if (p.type === PieceType.BYTE) {
        const m = /^<0x([0-9A-F]{2})>$/.exec(p.piece);
        if (m) {
          bytes.push(parseInt(m[1]!, 16));
          first = false;
          continue;
        }
        s = p.piece;
      } else if (p.type === PieceType.UNKNOWN) s = this.proto.unkSurface;
      else {
        s = p.piece;
        // The dummy prefix added by the normalizer is removed again at the start.
        if (first && this.proto.normalizer.addDummyPrefix && !this.proto.treatWhitespaceAsSuffix && s.startsWith(SPACE)) s = s.slice(1);
        s = s.split(SPACE).join(' ');
      }
      if (s !== '') first = false;
      for (const b of encoder.encode(s)) bytes.push(b);
    }
    return decoder.decode(Uint8Array.from(bytes));
  }

  idToToken(id: number): string | undefined {
    return this.proto.pieces[id]?.piece;
  }

  tokenToId(token: string): number | undefined {
    return this.allIds.get(token);
  }
}
