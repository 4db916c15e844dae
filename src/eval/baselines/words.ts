/**
 * Word-level text handling shared by the baselines and the blank-filling evaluation: one
 * tokenisation (lower-cased words, numbers and single punctuation marks) and one normalisation
 * for exact-match comparison, so a model answer and a baseline answer are judged alike.
 */

/** Lower-cased word tokens: letters/digits with inner apostrophes, or one punctuation mark. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu) ?? [];
}

/** Normalised form for exact match: the words only (punctuation dropped), single spaces. */
export function normalizeAnswer(text: string): string {
  return words(text).filter((w) => /[\p{L}\p{N}]/u.test(w)).join(' ');
}

/** True for a token that is a plain alphabetic word (the kind of token blanks are cut from). */
export function isPlainWord(w: string): boolean {
  return /^[a-z]+$/.test(w);
}
