/**
 * A tiny deterministic GlmTokenizer for tests: GPT-2-like pre-tokenisation (a word keeps its
 * leading space: "It was" → "It", " was"; punctuation is one token each), ids handed out on first
 * sight after the command tokens, and GLM command tokens cut out of the text first.
 */
import type { GlmTokenizer, SpecialTokenIdMap } from '../tokenizer/types.js';

const COMMANDS: [string, keyof SpecialTokenIdMap][] = [
  ['[MASK]', 'mask'], ['[gMASK]', 'gMask'], ['[sMASK]', 'sMask'], ['<|startofpiece|>', 'sop'], ['<|endofpiece|>', 'eop'], ['[CLS]', 'cls'], ['[SEP]', 'sep'],
];

export class ToyTokenizer implements GlmTokenizer {
  readonly family = 'custom' as const;
  readonly special: SpecialTokenIdMap = { pad: 0, eos: 1, cls: 2, mask: 3, sep: 4, unk: 5, sop: 6, eop: 7, gMask: 8, sMask: 9 };
  private readonly vocab = new Map<string, number>();
  private readonly words: string[] = [];
  private static readonly FIRST = 10;

  get numTokens(): number {
    return ToyTokenizer.FIRST + this.words.length;
  }

  get paddedVocabSize(): number {
    return Math.ceil(this.numTokens / 128) * 128;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    let rest = text;
    while (rest.length) {
      let at = -1, cmd: [string, keyof SpecialTokenIdMap] | undefined;
      for (const c of COMMANDS) {
        const i = rest.indexOf(c[0]);
        if (i >= 0 && (at < 0 || i < at)) { at = i; cmd = c; }
      }
      // Mask tokens drop the whitespace on their left (spec §3.1, lstrip).
      const before = at < 0 ? rest : rest.slice(0, at);
      const plain = cmd && /mask/i.test(cmd[1]) ? before.trimEnd() : before;
      for (const m of plain.match(/ ?[A-Za-z0-9']+| ?[^\sA-Za-z0-9']|\s+(?=\s)|\s$/g) ?? []) out.push(this.id(m));
      if (at < 0) break;
      out.push(this.special[cmd![1]]!);
      rest = rest.slice(at + cmd![0].length);
    }
    return out;
  }

  private id(piece: string): number {
    let id = this.vocab.get(piece);
    if (id === undefined) {
      id = ToyTokenizer.FIRST + this.words.length;
      this.vocab.set(piece, id);
      this.words.push(piece);
    }
    return id;
  }

  decode(ids: readonly number[], opts: { skipSpecial?: boolean } = {}): string {
    return ids.map((i) => (i >= ToyTokenizer.FIRST ? this.words[i - ToyTokenizer.FIRST] ?? '' : opts.skipSpecial ? '' : `<${i}>`)).join('');
  }

  idToToken(id: number): string | undefined {
    return id >= ToyTokenizer.FIRST ? this.words[id - ToyTokenizer.FIRST] : undefined;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }
}
