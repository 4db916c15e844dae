/**
 * The GLM tokenizer: a subword text model plus the family's command tokens (spec §3.1, §3.2).
 */
import { GlmError } from '../util/errors.js';
import { splitOnCommandTokens } from './command-tokens.js';
import type { TextModel } from './text-model.js';
import type { CommandTokenInfo, GlmTokenizer, InputLayout, SpecialTokenIdMap, TokenizerFamily } from './types.js';

/** Rounds up to a multiple of 128 (`--make-vocab-size-divisible-by 128`, spec §2.7). */
export function padVocabSize(numTokens: number, multiple = 128): number {
  return Math.ceil(numTokens / multiple) * multiple;
}

export interface CommandTokenizerInit {
  family: TokenizerFamily;
  text: TextModel;
  commands: CommandTokenInfo[];
  special: SpecialTokenIdMap;
  /** Text vocabulary plus command tokens; defaults to max(text size, highest command id + 1). */
  numTokens?: number;
  name?: string;
  defaultLayout?: InputLayout;
}

export class CommandTokenizer implements GlmTokenizer {
  readonly family: TokenizerFamily;
  readonly numTokens: number;
  readonly paddedVocabSize: number;
  readonly special: SpecialTokenIdMap;
  readonly commandTokens: readonly CommandTokenInfo[];
  readonly name: string | undefined;
  readonly defaultLayout: InputLayout | undefined;
  /** The subword model (exposed for tests and trainers). */
  readonly text: TextModel;
  private readonly byId = new Map<number, CommandTokenInfo>();
  private readonly byToken = new Map<string, CommandTokenInfo>();

  constructor(init: CommandTokenizerInit) {
    this.family = init.family;
    this.text = init.text;
    this.commandTokens = init.commands;
    this.special = init.special;
    this.name = init.name;
    this.defaultLayout = init.defaultLayout;
    // The first role listed for an id names it (e.g. eop before the 10B-Chinese gMASK alias).
    for (const c of init.commands) {
      if (!this.byId.has(c.id)) this.byId.set(c.id, c);
      if (!this.byToken.has(c.token)) this.byToken.set(c.token, c);
    }
    const maxCommand = Math.max(-1, ...init.commands.map((c) => c.id));
    this.numTokens = init.numTokens ?? Math.max(init.text.size, maxCommand + 1);
    this.paddedVocabSize = padVocabSize(this.numTokens);
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const p of splitOnCommandTokens(text, this.commandTokens)) {
      if ('command' in p) out.push(p.command.id);
      else for (const id of this.text.encode(p.text)) out.push(id);
    }
    return out;
  }

  decode(ids: readonly number[], opts: { skipSpecial?: boolean } = {}): string {
    const parts: string[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length) parts.push(this.text.decode(run, parts.length > 0));
      run = [];
    };
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.paddedVocabSize) {
        throw new GlmError('E_TOKEN_ID', `token id ${id} is outside the vocabulary [0, ${this.paddedVocabSize})`);
      }
      const cmd = this.byId.get(id);
      // Ids that are both a text token and a command (BERT's [CLS], [MASK], …) decode as commands.
      if (cmd) {
        flush();
        if (opts.skipSpecial) continue;
        // An lstrip token ate the space before it on encode; put one back after text.
        const prev = parts.length ? parts[parts.length - 1]! : '';
        const space = this.text.joinWithSpace || (this.text.restoreLstripSpace && cmd.lstrip && prev !== '' && !/\s$/.test(prev)) ? ' ' : '';
        parts.push(parts.length && space ? space + cmd.token : cmd.token);
        continue;
      }
      if (id >= this.text.size) {
        if (!opts.skipSpecial) {
          flush();
          parts.push(`[unused:${id}]`);
        }
        continue;
      }
      run.push(id);
    }
    flush();
    if (!this.text.joinWithSpace) return parts.join('');
    return parts.map((p) => p.trim()).filter((p) => p !== '').join(' ');
  }

  idToToken(id: number): string | undefined {
    return this.byId.get(id)?.token ?? this.text.idToToken(id);
  }

  tokenToId(token: string): number | undefined {
    return this.byToken.get(token)?.id ?? this.text.tokenToId(token);
  }
}
