/**
 * Training metrics: one JSON object per line (metrics.jsonl), and the loss curve as a
 * hand-written SVG (train loss per step, smoothed, plus validation loss points).
 */
import fs from 'node:fs';
import { writeFileAtomic } from '../util/atomic-write.js';

export interface StepRecord {
  type: 'train';
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  mode: string;
  /** Real (unpadded) tokens in the step's micro-batches. */
  tokens: number;
  /** Loss-mask tokens. */
  lossTokens: number;
  tokensPerSecond: number;
  elapsedSeconds: number;
}

export interface EvalRecord {
  type: 'valid';
  step: number;
  loss: number;
  lossTokens: number;
  elapsedSeconds: number;
}

export type MetricRecord = StepRecord | EvalRecord;

/** Appends records to a JSONL file (one write + fsync-free append per record). */
export class MetricsLog {
  constructor(readonly file: string) {}

  append(r: MetricRecord): void {
    fs.appendFileSync(this.file, JSON.stringify(r) + '\n');
  }

  /** Every record in the file (bad lines are skipped). */
  read(): MetricRecord[] {
    if (!fs.existsSync(this.file)) return [];
    const out: MetricRecord[] = [];
    for (const line of fs.readFileSync(this.file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as MetricRecord);
      } catch {
        // A line cut by a crash: ignore it.
      }
    }
    return out;
  }

  /** Keeps only records up to `step` (a resumed run rewrites what came after its checkpoint). */
  truncateAfter(step: number): void {
    const kept = this.read().filter((r) => r.step <= step);
    writeFileAtomic(this.file, kept.map((r) => JSON.stringify(r) + '\n').join(''));
  }
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  const span = hi - lo || Math.abs(hi) || 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => span / s <= n) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** An SVG line chart of the train loss (raw and moving average) and validation loss by step. */
export function lossCurveSvg(records: readonly MetricRecord[], title = 'GLM pretraining loss'): string {
  const train = records.filter((r): r is StepRecord => r.type === 'train' && Number.isFinite(r.loss));
  const valid = records.filter((r): r is EvalRecord => r.type === 'valid' && Number.isFinite(r.loss));
  const W = 800, H = 480, L = 70, R = 20, T = 40, B = 60;
  const all = [...train.map((r) => [r.step, r.loss] as const), ...valid.map((r) => [r.step, r.loss] as const)];
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`);
  if (all.length === 0) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle">no data</text></svg>`);
    return parts.join('\n');
  }
  const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
  const x0 = Math.min(...xs), x1 = Math.max(...xs, x0 + 1);
  let y0 = Math.min(...ys), y1 = Math.max(...ys);
  if (y1 - y0 < 1e-6) { y0 -= 0.5; y1 += 0.5; }
  const pad = (y1 - y0) * 0.05;
  y0 -= pad; y1 += pad;
  const sx = (x: number): number => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number): number => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${L}" x2="${W - R}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${L - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end">${t}</text>`);
  }
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<line x1="${sx(t).toFixed(1)}" x2="${sx(t).toFixed(1)}" y1="${T}" y2="${H - B}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${H - B + 18}" text-anchor="middle">${t}</text>`);
  }
  parts.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 18}" text-anchor="middle">step</text>`);
  parts.push(`<text x="18" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 ${(T + H - B) / 2})">loss (cross-entropy, nats)</text>`);
  const line = (pts: [number, number][], color: string, width: number, opacity = 1): void => {
    if (pts.length === 0) return;
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="${width}" stroke-opacity="${opacity}"/>`);
  };
  line(train.map((r) => [r.step, r.loss]), '#7aa6d6', 1, 0.5);
  // Moving average over a window of ~2 % of the steps.
  const win = Math.max(1, Math.round(train.length / 50));
  const smooth: [number, number][] = [];
  let acc = 0;
  train.forEach((r, i) => {
    acc += r.loss;
    if (i >= win) acc -= train[i - win]!.loss;
    if (i >= win - 1) smooth.push([r.step, acc / win]);
  });
  line(smooth, '#1f5fa8', 2);
  line(valid.map((r) => [r.step, r.loss]), '#d9480f', 2);
  for (const r of valid) parts.push(`<circle cx="${sx(r.step).toFixed(1)}" cy="${sy(r.loss).toFixed(1)}" r="3.5" fill="#d9480f"/>`);
  const lx = W - R - 230, ly = T + 12;
  parts.push(`<rect x="${lx - 8}" y="${ly - 12}" width="228" height="58" fill="white" stroke="#ccc"/>`);
  parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="#7aa6d6"/><text x="${lx + 30}" y="${ly + 4}">train loss (per step)</text>`);
  parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly + 16}" y2="${ly + 16}" stroke="#1f5fa8" stroke-width="2"/><text x="${lx + 30}" y="${ly + 20}">train loss (moving average, ${win})</text>`);
  parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly + 32}" y2="${ly + 32}" stroke="#d9480f" stroke-width="2"/><text x="${lx + 30}" y="${ly + 36}">validation loss</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
