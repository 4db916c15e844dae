/** Stop sequences of the completions API: where a text must be cut, and how much of it is safe to stream. */

/** Index of the earliest occurrence of any stop string, or -1. */
export function findStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/**
 * Length of the prefix of `text` that no stop string can still cut: the text minus its longest
 * suffix that is a proper prefix of a stop string (that suffix may yet grow into a stop).
 */
export function safeLength(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, text.length); k > hold; k--) {
      if (text.endsWith(s.slice(0, k))) {
        hold = k;
        break;
      }
    }
  }
  return text.length - hold;
}
