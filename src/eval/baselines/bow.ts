/**
 * Bag-of-words classifiers, the baselines beside fine-tuned GLM classification: multinomial
 * naive Bayes (Laplace smoothing) and L2-regularised logistic regression (softmax, full-batch
 * Adam) on binary unigram + bigram features. Deterministic: no random initialisation, features
 * in sorted order.
 */
import { words } from './words.js';

export interface LabelledText { text: string; label: string }

/** Unigrams and bigrams of a text (lower-cased word tokens), each once. */
export function features(text: string): string[] {
  const w = words(text);
  const f = new Set(w);
  for (let i = 1; i < w.length; i++) f.add(`${w[i - 1]} ${w[i]}`);
  return [...f];
}

export class NaiveBayes {
  private labels: string[] = [];
  private logPrior: number[] = [];
  private counts: Map<string, number>[] = [];
  private totals: number[] = [];
  private vocab = new Set<string>();

  constructor(private readonly alpha = 1) {}

  fit(data: readonly LabelledText[]): this {
    this.labels = [...new Set(data.map((d) => d.label))].sort();
    this.counts = this.labels.map(() => new Map());
    this.totals = this.labels.map(() => 0);
    const docs = this.labels.map(() => 0);
    for (const d of data) {
      const c = this.labels.indexOf(d.label);
      docs[c]!++;
      for (const f of features(d.text)) {
        this.vocab.add(f);
        this.counts[c]!.set(f, (this.counts[c]!.get(f) ?? 0) + 1);
        this.totals[c]!++;
      }
    }
    this.logPrior = docs.map((n) => Math.log(n / data.length));
    return this;
  }

  predict(text: string): string {
    const fs = features(text).filter((f) => this.vocab.has(f));
    let best = 0, bestScore = -Infinity;
    for (let c = 0; c < this.labels.length; c++) {
      const denom = Math.log(this.totals[c]! + this.alpha * this.vocab.size);
      let s = this.logPrior[c]!;
      for (const f of fs) s += Math.log((this.counts[c]!.get(f) ?? 0) + this.alpha) - denom;
      if (s > bestScore) { bestScore = s; best = c; }
    }
    return this.labels[best]!;
  }
}

export interface LogRegOptions { l2: number; epochs: number; lr: number; minCount: number }

export class LogisticRegression {
  private labels: string[] = [];
  private index = new Map<string, number>();
  private w = new Float64Array(0);
  private b = new Float64Array(0);

  constructor(private readonly o: LogRegOptions = { l2: 1e-4, epochs: 200, lr: 0.05, minCount: 1 }) {}

  private encode(text: string): number[] {
    return features(text).map((f) => this.index.get(f)).filter((i): i is number => i !== undefined);
  }

  fit(data: readonly LabelledText[]): this {
    this.labels = [...new Set(data.map((d) => d.label))].sort();
    const df = new Map<string, number>();
    for (const d of data) for (const f of features(d.text)) df.set(f, (df.get(f) ?? 0) + 1);
    [...df].filter(([, n]) => n >= this.o.minCount).map(([f]) => f).sort().forEach((f, i) => this.index.set(f, i));
    const K = this.labels.length, F = this.index.size, N = data.length;
    const X = data.map((d) => this.encode(d.text));
    const y = data.map((d) => this.labels.indexOf(d.label));
    this.w = new Float64Array(F * K);
    this.b = new Float64Array(K);
    const mw = new Float64Array(F * K), vw = new Float64Array(F * K), mb = new Float64Array(K), vb = new Float64Array(K);
    const gw = new Float64Array(F * K), gb = new Float64Array(K);
    const p = new Float64Array(K);
    for (let t = 1; t <= this.o.epochs; t++) {
      gw.fill(0); gb.fill(0);
      for (let n = 0; n < N; n++) {
        this.probs(X[n]!, p);
        p[y[n]!]! -= 1;
        for (let k = 0; k < K; k++) {
          const g = p[k]! / N;
          gb[k]! += g;
          for (const i of X[n]!) gw[i * K + k]! += g;
        }
      }
      const c1 = 1 - 0.9 ** t, c2 = 1 - 0.999 ** t;
      for (let j = 0; j < gw.length; j++) {
        const g = gw[j]! + this.o.l2 * this.w[j]!;
        mw[j] = 0.9 * mw[j]! + 0.1 * g; vw[j] = 0.999 * vw[j]! + 0.001 * g * g;
        this.w[j]! -= (this.o.lr * mw[j]! / c1) / (Math.sqrt(vw[j]! / c2) + 1e-8);
      }
      for (let k = 0; k < K; k++) {
        mb[k] = 0.9 * mb[k]! + 0.1 * gb[k]!; vb[k] = 0.999 * vb[k]! + 0.001 * gb[k]! * gb[k]!;
        this.b[k]! -= (this.o.lr * mb[k]! / c1) / (Math.sqrt(vb[k]! / c2) + 1e-8);
      }
    }
    return this;
  }

  private probs(x: readonly number[], out: Float64Array): void {
    const K = this.labels.length;
    let max = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = this.b[k]!;
      for (const i of x) s += this.w[i * K + k]!;
      out[k] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let k = 0; k < K; k++) { out[k] = Math.exp(out[k]! - max); z += out[k]!; }
    for (let k = 0; k < K; k++) out[k]! /= z;
  }

  predict(text: string): string {
    const p = new Float64Array(this.labels.length);
    this.probs(this.encode(text), p);
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
    return this.labels[best]!;
  }
}

/** The most frequent training label. */
export function majorityLabel(data: readonly LabelledText[]): string {
  const n = new Map<string, number>();
  for (const d of data) n.set(d.label, (n.get(d.label) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
}
