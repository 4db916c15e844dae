/**
 * Cutting GLM command tokens out of raw text before subword tokenisation (spec §3.1).
 *
 * This reproduces the original `Tokenizer.EncodeAsIds` (`split_on_token` / `split_on_tokens` in
 * [orig] `data_utils/tokenization.py`): the text is split on each command token in turn, in the
 * family's command-token order; a token with `lstrip` eats the whitespace to its left (so
 * "a [MASK] b" gives "a", [MASK], " b": the text after it keeps its leading space); text that is
 * empty or only whitespace encodes to nothing.
 */
import type { CommandTokenInfo } from './types.js';

/** Python's str.isspace() for one UTF-16 unit (all Python whitespace is in the BMP). */
export function isPyWhitespace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c === 0x85 || c === 0xa0 || c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000
  );
}

/** Python's str.rstrip() with no argument. */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPyWhitespace(s.charCodeAt(end - 1))) end--;
  return s.slice(0, end);
}

/** Python's str.lstrip() with no argument. */
export function pyLstrip(s: string): string {
  let start = 0;
  while (start < s.length && isPyWhitespace(s.charCodeAt(start))) start++;
  return s.slice(start);
}

/** A piece of split text: plain text to be subword-tokenised, or a command token. */
export type Piece = { text: string } | { command: CommandTokenInfo };

/** One `split_on_token` step: `text` split on `tok`, whitespace stripped as the original does. */
function splitOnToken(tok: CommandTokenInfo, text: string, out: Piece[]): void {
  const parts = text.split(tok.token);
  for (let i = 0; i < parts.length; i++) {
    let sub = parts[i]!;
    // Only lstrip is used by GLM's command tokens (rstrip is never set), so only the left side
    // of a token eats whitespace: the text *before* it loses its trailing whitespace.
    if (tok.lstrip && i < parts.length - 1) sub = pyRstrip(sub);
    if (i === 0 && sub === '') out.push({ command: tok });
    else if (i === parts.length - 1) {
      if (sub !== '') out.push({ text: sub });
    } else {
      if (sub !== '') out.push({ text: sub });
      out.push({ command: tok });
    }
  }
}

/**
 * Splits `text` into plain-text pieces and command tokens, exactly like the original
 * `split_on_tokens`. Whitespace-only text gives [] (the original returns no ids for it).
 */
export function splitOnCommandTokens(text: string, commands: readonly CommandTokenInfo[]): Piece[] {
  if (pyLstrip(text) === '') return [];
  let pieces: Piece[] = [{ text }];
  // The original splits on each *distinct* token string once; two roles sharing a string
  // (e.g. pad and eos) would otherwise be split twice with the same result.
  const seen = new Set<string>();
  for (const tok of commands) {
    if (seen.has(tok.token)) continue;
    seen.add(tok.token);
    const next: Piece[] = [];
    for (const p of pieces) {
      if ('command' in p) next.push(p);
      else splitOnToken(tok, p.text, next);
    }
    pieces = next;
  }
  return pieces;
}
