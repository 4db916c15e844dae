#!/usr/bin/env node
// Load test of `glm serve` on loopback (127.0.0.1 only): for 1, 4, 16 and 64 concurrent clients,
// with batching on (--max-batch 32) and off (--max-batch 1), a bounded number of greedy
// /v1/infill requests per level. Reports throughput and p50/p99 latency, and checks that no
// request is lost and every answer equals the single-request answer (taken first, one at a time,
// from the batching-off server). Prints a table; --out FILE writes the raw JSON.
//
//   npm run build && node scripts/load-test.mjs [--model DIR | --random-hidden H --random-layers L] [--levels 1,4,16,64] [--requests N] [--max-length N] [--out FILE]
//
// Without --model it uses the tiny random test model of the server tests (dist/testing/serve.js),
// or a bigger random one with --random-hidden H --random-layers L [--random-heads N].
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const levels = flag('--levels', '1,4,16,64').split(',').map(Number);
const perLevel = Number(flag('--requests', '128'));
const maxLength = Number(flag('--max-length', '16'));
const out = flag('--out', null);
let modelDir = flag('--model', null);
let tmpModel = null;
if (!modelDir) {
  const { tinyModelDir } = await import(path.join(root, 'dist/testing/serve.js'));
  modelDir = tmpModel = tinyModelDir({ hidden: Number(flag('--random-hidden', '32')), layers: Number(flag('--random-layers', '2')), heads: Number(flag('--random-heads', '4')) });
}

// Distinct prompts with 1–3 blanks of different lengths; request i sends PROMPTS[i % n].
const PROMPTS = [
  'the capital of france is [MASK] .', 'a long time ago there was a [MASK] who lived in [MASK] .', 'music is [MASK] , and art is [MASK] .',
  'the river flows into the [MASK] near the old town', 'he said that [MASK] would come back tomorrow , and [MASK] , and then [MASK] .',
  'one two three [MASK]', 'where is the [MASK] ?', 'the history of the city begins with [MASK]', 'in the morning the [MASK] was quiet',
  'she bought [MASK] at the market and cooked [MASK] .', 'the train to [MASK] leaves at noon', 'science is the study of [MASK]',
  'the game ended [MASK] to [MASK]', 'my favourite book is [MASK]', 'the weather today is [MASK] and [MASK]', 'they built a bridge over the [MASK]',
];
const body = (i) => JSON.stringify({ text: PROMPTS[i % PROMPTS.length], max_length: maxLength });

function serve(maxBatch) {
  const child = spawn(process.execPath, [path.join(root, 'dist/cli/main.js'), 'serve', '--model', modelDir, '--host', '127.0.0.1', '--port', '0', '--max-batch', String(maxBatch), '--max-queue', '1024'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`glm serve exited (${code}): ${err}`)));
  });
}

async function infill(url, i) {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/infill`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body(i) });
  const json = await r.json();
  return { ms: performance.now() - t0, status: r.status, json };
}

async function batchRows(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  const get = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { sum: get('glm_batch_rows_sum'), count: get('glm_batch_rows_count') };
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function level(url, clients, reference) {
  const total = Math.max(perLevel, clients * 2);
  const lat = [];
  let next = 0, ok = 0, errors = 0, mismatches = 0, tokens = 0;
  const before = await batchRows(url);
  const t0 = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (next < total) {
      const i = next++;
      try {
        const r = await infill(url, i);
        lat.push(r.ms);
        if (r.status !== 200) { errors++; continue; }
        ok++;
        tokens += r.json.usage.completion_tokens;
        if (JSON.stringify(r.json.blanks.map((b) => b.tokens)) !== reference[i % PROMPTS.length]) mismatches++;
      } catch {
        errors++;
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const after = await batchRows(url);
  return {
    clients, requests: total, ok, errors, mismatches, seconds: +seconds.toFixed(3),
    requests_per_s: +(ok / seconds).toFixed(2), tokens_per_s: +(tokens / seconds).toFixed(1),
    p50_ms: +pct(lat, 50).toFixed(1), p99_ms: +pct(lat, 99).toFixed(1),
    mean_batch_rows: +((after.sum - before.sum) / Math.max(1, after.count - before.count)).toFixed(2),
  };
}

const runs = [];
// Both servers run side by side and the levels alternate between them, so that the load of a
// shared machine drifts over both alike.
const servers = [['off', 1], ['on', 32]];
const procs = [];
try {
  for (const [label, maxBatch] of servers) procs.push({ label, maxBatch, ...(await serve(maxBatch)) });
  // Single-request answers: one request at a time, batching off.
  const reference = [];
  for (let i = 0; i < PROMPTS.length; i++) reference.push(JSON.stringify((await infill(procs[0].url, i)).json.blanks.map((b) => b.tokens)));
  for (const p of procs) await level(p.url, 4, reference); // warm-up, not reported
  for (const c of levels) {
    for (const p of procs) {
      const r = { batching: p.label, max_batch: p.maxBatch, ...(await level(p.url, c, reference)) };
      runs.push(r);
      process.stderr.write(`batching ${p.label.padEnd(3)} clients ${String(c).padStart(2)}: ${r.requests_per_s} req/s, ${r.tokens_per_s} tok/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms, rows/step ${r.mean_batch_rows}, ok ${r.ok}/${r.requests}, wrong ${r.mismatches}\n`);
    }
  }
} finally {
  for (const p of procs) {
    p.child.kill('SIGTERM');
    await new Promise((res) => p.child.on('exit', res));
  }
}
const report = {
  date: new Date().toISOString(),
  model: tmpModel ? `random GLM (dist/testing/serve.js tinyModelDir: ${flag('--random-layers', '2')} layers, hidden ${flag('--random-hidden', '32')}, ${flag('--random-heads', '4')} heads, glm-large BERT vocabulary 30592, 128 positions)` : modelDir,
  max_length: maxLength, prompts: PROMPTS.length,
  machine: { cpus: os.cpus().length, loadavg: os.loadavg(), uptime: process.env.UPTIME ?? null, node: process.version },
  runs,
};
if (out) fs.writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
console.log('| batching | clients | requests | ok | wrong | req/s | tokens/s | p50 ms | p99 ms | rows/step |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of runs) console.log(`| ${r.batching} | ${r.clients} | ${r.requests} | ${r.ok} | ${r.mismatches} | ${r.requests_per_s} | ${r.tokens_per_s} | ${r.p50_ms} | ${r.p99_ms} | ${r.mean_batch_rows} |`);
if (tmpModel) fs.rmSync(tmpModel, { recursive: true, force: true });
const lost = runs.reduce((n, r) => n + r.errors + r.mismatches, 0);
if (lost > 0) {
  console.error(`load test: ${lost} request(s) lost or answered differently from the single-request answer`);
  process.exit(1);
}
