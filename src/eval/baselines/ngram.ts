/**
 * Word trigram language model with stupid backoff (Brants et al. 2007, α = 0.4), the n-gram
 * baseline for blank filling. It fills a blank of a known number of words (the gold length: an
 * advantage the model does not get) by beam search over left-to-right trigram scores, adding the
 * scores of the two words after the blank, so it uses context on both sides as GLM does.
 */
const ALPHA = Math.log(0.4);
const SEP = '\u0001';

export class TrigramModel {
  readonly uni = new Map<string, number>();
  readonly bi = new Map<string, number>();
  readonly tri = new Map<string, number>();
  /** Most frequent successors of each word (candidate lists for the search). */
  private readonly next = new Map<string, string[]>();
  /** Most frequent predecessors of each word (candidates for the last word of a blank). */
  private readonly prev = new Map<string, string[]>();
  private total = 0;
  private topWords: string[] = [];

  /** Counts n-grams of each sentence-like sequence (word lists with `<s>` padding). */
  add(seq: readonly string[]): void {
    const s = ['<s>', '<s>', ...seq, '</s>'];
    for (let i = 2; i < s.length; i++) {
      const a = s[i - 2]!, b = s[i - 1]!, c = s[i]!;
      this.uni.set(c, (this.uni.get(c) ?? 0) + 1);
      this.bi.set(b + SEP + c, (this.bi.get(b + SEP + c) ?? 0) + 1);
      this.tri.set(a + SEP + b + SEP + c, (this.tri.get(a + SEP + b + SEP + c) ?? 0) + 1);
      this.total++;
    }
  }

  /** Builds the candidate lists; call once after the last `add`. */
  finish(successors = 64, vocabulary = 200): void {
    const lists = new Map<string, [string, number][]>();
    const back = new Map<string, [string, number][]>();
    const push = (m: Map<string, [string, number][]>, key: string, w: string, n: number): void => {
      let l = m.get(key);
      if (!l) m.set(key, (l = []));
      l.push([w, n]);
    };
    for (const [k, n] of this.bi) {
      const [b, c] = k.split(SEP) as [string, string];
      push(lists, b, c, n);
      push(back, c, b, n);
    }
    const top = (l: [string, number][]): string[] => l.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, successors).map((x) => x[0]);
    for (const [b, l] of lists) this.next.set(b, top(l));
    for (const [c, l] of back) this.prev.set(c, top(l));
    this.topWords = [...this.uni].filter(([w]) => w !== '</s>').sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).slice(0, vocabulary).map((x) => x[0]);
  }

  /** The most frequent word (the most-frequent-word baseline). */
  mostFrequent(): string {
    return this.topWords[0] ?? '';
  }

  /** Stupid-backoff log score of c after (a, b). */
  score(a: string, b: string, c: string): number {
    const t = this.tri.get(a + SEP + b + SEP + c);
    if (t) return Math.log(t / this.bi.get(a + SEP + b)!);
    const bc = this.bi.get(b + SEP + c);
    if (bc) return ALPHA + Math.log(bc / this.uni.get(b)!);
    return 2 * ALPHA + Math.log(((this.uni.get(c) ?? 0) + 0.5) / (this.total + 0.5 * (this.uni.size + 1)));
  }

  private candidates(prev: string, before?: string): string[] {
    return [...new Set([...(this.next.get(prev) ?? []), ...(before ? this.prev.get(before) ?? [] : []), ...this.topWords])];
  }

  /**
   * Best k words between `left` and `right` (word lists, right may be empty = end of text):
   * beam search (width `beam`) over Σ trigram scores of the blank's words and of the first two
   * words after it.
   */
  fill(left: readonly string[], right: readonly string[], k: number, beam = 8): string[] {
    const l = ['<s>', '<s>', ...left];
    const r = [...right.slice(0, 2)];
    if (r.length < 2 && right.length < 2) r.push('</s>');
    let beams: { words: string[]; score: number }[] = [{ words: [], score: 0 }];
    for (let i = 0; i < k; i++) {
      const next: { words: string[]; score: number }[] = [];
      for (const b of beams) {
        const ctx = [...l, ...b.words];
        const a = ctx[ctx.length - 2]!, p = ctx[ctx.length - 1]!;
        for (const c of this.candidates(p, i === k - 1 ? r[0] : undefined)) {
          if (c === '</s>' || c === '<s>') continue;
          let s = b.score + this.score(a, p, c);
          if (i === k - 1) {
            // The words after the blank must follow what was filled in.
            const full = [...ctx, c, ...r];
            for (let j = ctx.length + 1; j < full.length; j++) s += this.score(full[j - 2]!, full[j - 1]!, full[j]!);
          }
          next.push({ words: [...b.words, c], score: s });
        }
      }
      next.sort((x, y) => y.score - x.score);
      beams = next.slice(0, beam);
    }
    return beams[0]?.words ?? [];
  }
}
