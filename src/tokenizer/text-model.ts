/**
 * The subword model under a GLM tokenizer: text → ids over the text vocabulary only.
 * Command tokens are handled one level up (glm-tokenizer.ts).
 */
export interface TextModel {
  /** Number of text-vocabulary ids, [0, size). */
  readonly size: number;
  /** Plain text (no command tokens) → ids. */
  encode(text: string): number[];
  /**
   * Text ids → text. `continued`: the ids follow earlier output (e.g. a command token), so a
   * SentencePiece model keeps their leading space instead of removing the dummy prefix.
   */
  decode(ids: readonly number[], continued?: boolean): string;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /** Whether decode() output of consecutive segments should be joined with a space (WordPiece). */
  readonly joinWithSpace: boolean;
  /** Whether decode() puts back the space an lstrip command token ate (byte-level BPE: yes; SentencePiece: no). */
  readonly restoreLstripSpace: boolean;
}
