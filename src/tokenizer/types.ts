/**
 * The tokenizer contract the rest of glm-ts programs against (data, generation, fine-tuning).
 * Implementations live beside this file, one per family (spec §3).
 */

/** GLM command-token ids of one family (spec §3.2). Absent tokens are undefined. */
export interface SpecialTokenIdMap {
  pad: number;
  /** End of document / input ("eod"): [PAD] 0 for the BERT vocabulary, <|endoftext|> for GPT-2. */
  eos: number;
  cls: number;
  mask: number;
  sep: number;
  unk: number;
  sop: number;
  eop: number;
  gMask?: number;
  sMask?: number;
  dBlock?: number;
}

export type TokenizerFamily = 'bert' | 'gpt2' | 'roberta' | 'sentencepiece' | 'custom';

/** Input layout (spec §3.3, §8.7): the original code's or the hub port's. */
export type InputLayout = 'original' | 'hub';

/** One GLM command token: cut out of raw text before subword tokenisation (spec §3.1). */
export interface CommandTokenInfo {
  /** Role name as in the original code: 'pad', 'eos', 'ENC', 'MASK', 'sep', 'unk', 'sop', 'eop', 'gMASK', 'sMASK', 'dBLOCK'. */
  readonly name: string;
  /** The text form, e.g. "[MASK]" or "<|startofpiece|>". */
  readonly token: string;
  readonly id: number;
  /** Whitespace to the left of the token is dropped when it is cut out of text. */
  readonly lstrip: boolean;
}

export interface GlmTokenizer {
  readonly family: TokenizerFamily;
  /** Text vocabulary plus command tokens (not padded). */
  readonly numTokens: number;
  /** numTokens rounded up to a multiple of 128: the model's vocab_size. */
  readonly paddedVocabSize: number;
  readonly special: SpecialTokenIdMap;
  /**
   * Text → ids. Command tokens written in the text ("[MASK]", "[gMASK]", "[sMASK]",
   * "<|startofpiece|>", …) are cut out first and map to their ids. No [CLS] / eos is added.
   */
  encode(text: string): number[];
  /** ids → text (command tokens rendered by name unless skipSpecial). */
  decode(ids: readonly number[], opts?: { skipSpecial?: boolean }): string;
  /** The vocabulary string of an id (used e.g. for sentence-boundary detection, spec §1.6). */
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** Built-in name or folder the tokenizer was loaded from (informational). */
  readonly name?: string;
  /** The command tokens, in the order the original code splits text on them. */
  readonly commandTokens?: readonly CommandTokenInfo[];
  /** The layout a model using this tokenizer should default to (spec §0.2: hub for hub-format files). */
  readonly defaultLayout?: InputLayout;
}
