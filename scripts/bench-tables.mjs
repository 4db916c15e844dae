#!/usr/bin/env node
// Markdown tables of one benchmark session folder (the files docs/bench-runs/*/run.sh writes):
// sgemm own vs OpenBLAS per shape, the model own vs OpenBLAS, both PyTorch ratios, utilisation.
//   node scripts/bench-tables.mjs docs/bench-runs/2026-12-04-quiet > docs/bench-runs/2026-12-04-quiet/tables.md
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) { console.error('usage: bench-tables.mjs DIR'); process.exit(2); }
const lines = (f) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)) : []);
const out = [];
const p = (s = '') => out.push(s);
const pc = (x) => (x == null ? '-' : `${(x * 100).toFixed(1)} %`);

for (const [file, label] of [['sgemm-1thread.jsonl', '1 thread'], ['sgemm-2threads.jsonl', '2 threads']]) {
  const rows = lines(file).filter((l) => l.bench === 'sgemm');
  if (!rows.length) continue;
  const own = Object.keys(rows[0].gflops).find((k) => k !== 'openblas');
  p(`**sgemm, ${label}** (GFLOP/s, median of ${rows[0].reps} interleaved repetitions; raw: \`${file}\`)`);
  p();
  p(`| product | m×n×k | own (${own}) | OpenBLAS | own / OpenBLAS |`);
  p('|---|---|---:|---:|---:|');
  for (const r of rows) p(`| ${r.shape} | ${r.op} | ${r.gflops[own]} | ${r.gflops.openblas} | ${r.own_vs_openblas} |`);
  const within = rows.filter((r) => r.own_vs_openblas >= 0.9).length;
  p();
  p(`Within 10 % of OpenBLAS or faster: ${within} of ${rows.length} shapes.`);
  p();
}

const own = [...lines('main-own-torch.jsonl'), ...lines('large-forward-own.jsonl')];
const ob = [...lines('main-openblas.jsonl'), ...lines('large-forward-openblas.jsonl')];
const key = (l) => `${l.case} ${l.layers}x${l.hidden}`;
if (own.length) {
  p('**Model, own sgemm vs OpenBLAS** (tokens/s, median of the timed iterations)');
  p();
  p('| case | own | OpenBLAS | own / OpenBLAS | peak RSS own / OpenBLAS (MB) | load (1 min) own / OpenBLAS |');
  p('|---|---:|---:|---:|---:|---:|');
  for (const o of own) {
    const b = ob.find((x) => key(x) === key(o));
    p(`| ${key(o)} | ${o.tokens_per_s} | ${b ? b.tokens_per_s : '-'} | ${b ? (o.tokens_per_s / b.tokens_per_s).toFixed(3) : '-'} | ${o.peak_rss_mb} / ${b ? b.peak_rss_mb : '-'} | ${o.loadavg_1m?.start ?? '-'} / ${b?.loadavg_1m?.start ?? '-'} |`);
  }
  p();
  const withTorch = own.filter((o) => o.torch_full_logits);
  if (withTorch.length) {
    p('**Against PyTorch** (the faster of `--threads 1` / `2`, chosen by measurement and recorded)');
    p();
    p('| case | ours tok/s | PyTorch full logits (threads) | PyTorch loss rows (threads) | ours / PyTorch as shipped | ours / PyTorch same work | peak RSS ours / PyTorch (MB) |');
    p('|---|---:|---:|---:|---:|---:|---:|');
    for (const o of withTorch) {
      const f = o.torch_full_logits, r = o.torch_loss_rows ?? o.torch_full_logits;
      p(`| ${key(o)} | ${o.tokens_per_s} | ${f.tokens_per_s} (${f.threads}) | ${r.tokens_per_s} (${r.threads}) | ${o.ratio_vs_torch_as_shipped} | ${o.ratio_vs_torch_same_work} | ${o.peak_rss_mb} / ${f.peak_rss_mb} |`);
    }
    p();
  }
  p('**Utilisation** (executed FLOPs; limits measured in the same process)');
  p();
  p('| case | path | achieved GFLOP/s | of FMA peak (GFLOP/s) | of sgemm rate (shape, GFLOP/s) | GB/s streamed | of read bandwidth (GB/s) |');
  p('|---|---|---:|---:|---:|---:|---:|');
  for (const o of [...own, ...ob]) {
    const L = o.limits ?? {};
    p(`| ${key(o)} | ${L.gemm_path ?? '-'} | ${o.achieved_gflops} | ${pc(o.util_vs_fma_peak)} (${L.fma_peak_gflops ?? '-'}) | ${pc(o.util_vs_sgemm)} (${L.sgemm_shape ?? '-'}, ${L.sgemm_gflops ?? '-'}) | ${o.achieved_stream_gbs ?? '-'} | ${pc(o.util_vs_bandwidth)} (${L.read_bandwidth_gbs ?? '-'}) |`);
  }
  p();
}
process.stdout.write(out.join('\n') + '\n');
