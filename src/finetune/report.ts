/**
 * Readable output of `glm finetune`, `glm eval` and `glm score`: aligned text tables and a
 * progress printer for stderr.
 */
import type { LabelF1 } from '../eval/metrics/classification.js';
import type { EvalReport } from './evaluate.js';
import type { FinetuneRunResult } from './run.js';

/** Left-aligned first column, right-aligned others. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const w = header.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]): string => r.map((x, c) => (c === 0 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join('  ').trimEnd();
  return [line(header), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

const f4 = (x: unknown): string => (typeof x === 'number' ? x.toFixed(4) : String(x));

/** The metrics of an evaluation as a table (plus per-label rows for classification). */
export function evalTable(r: EvalReport): string {
  const head = `${r.task} · ${r.split} split · ${r.n} examples · ${r.mode}${r.pattern !== undefined ? ` (pattern ${r.pattern})` : ''} · ${r.model} · ${r.seconds.toFixed(1)} s\n`;
  const rows: string[][] = [];
  const m = r.metrics;
  if (typeof m['accuracy'] === 'number') rows.push(['accuracy', f4(m['accuracy'])]);
  if (typeof m['macroF1'] === 'number') rows.push(['macro-F1', f4(m['macroF1'])]);
  const rouge = m['rouge'] as Record<string, number> | undefined;
  if (rouge) for (const [k, v] of Object.entries(rouge)) rows.push([`${k} F1`, f4(v)]);
  const bleu = m['bleu'] as Record<string, number> | undefined;
  if (bleu) for (const [k, v] of Object.entries(bleu)) rows.push([`BLEU @ mask ratio ${k}`, v.toFixed(2)]);
  let out = head + table(['metric', 'value'], rows);
  const per = m['perLabel'] as LabelF1[] | undefined;
  if (per) out += '\n' + table(['label', 'precision', 'recall', 'F1', 'support'], per.map((p) => [String(p.label), f4(p.precision), f4(p.recall), f4(p.f1), String(p.support)]));
  return out;
}

/** Per-epoch table of a fine-tuning run. */
export function finetuneTable(r: FinetuneRunResult): string {
  const keys = new Set<string>();
  for (const e of r.loop.epochs) for (const [k, v] of Object.entries(e.metrics ?? {})) {
    if (typeof v === 'number') keys.add(k);
    else if (v && typeof v === 'object') for (const kk of Object.keys(v)) keys.add(`${k}.${kk}`);
  }
  const cols = [...keys];
  const get = (m: Record<string, unknown> | undefined, k: string): unknown => {
    if (!m) return undefined;
    const [a, b] = k.split('.');
    return b === undefined ? m[a!] : (m[a!] as Record<string, unknown> | undefined)?.[b];
  };
  const rows = r.loop.epochs.map((e) => [String(e.epoch) + (e.epoch === r.loop.bestEpoch ? ' *' : ''), String(e.steps), e.trainLoss.toFixed(4), ...cols.map((k) => {
    const v = get(e.metrics, k);
    return v === undefined ? '' : f4(v);
  }), `${e.seconds.toFixed(0)} s`]);
  return `${r.task} · ${r.mode}${r.pattern !== undefined ? ` (pattern ${r.pattern})` : ''} · ${r.trainExamples} train / ${r.validationExamples} validation examples · best epoch ${r.loop.bestEpoch} (*) saved to ${r.out}\n`
    + table(['epoch', 'steps', 'train loss', ...cols.map((c) => `valid ${c}`), 'time'], rows);
}

/** A progress callback that prints "label: done/total" on stderr (in place on a terminal, every 10 s otherwise). */
export function progressPrinter(label: string, enabled = true): (done: number, total: number) => void {
  const tty = process.stderr.isTTY;
  let last = 0;
  return (done, total) => {
    if (!enabled) return;
    const now = Date.now();
    const end = done >= total;
    if (!end && now - last < (tty ? 100 : 10_000)) return;
    last = now;
    const msg = `${label}: ${done}/${total}`;
    if (tty) process.stderr.write(`\r\x1b[2K${msg}${end ? '\n' : ''}`);
    else process.stderr.write(msg + '\n');
  };
}
