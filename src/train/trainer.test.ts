/**
 * Trainer: the §6.1 schedules, checkpoint integrity, and exact resume — a training child process
 * is SIGKILLed mid-run and resumed, and its per-step losses must equal an uninterrupted run's;
 * a damaged newest checkpoint must be detected and the previous one used.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { learningRate, type LrSchedule } from './schedule.js';
import { findLatestCheckpoint, listCheckpoints, saveCheckpoint, verifyCheckpoint, restoreCheckpoint } from './checkpoints.js';
import { MetricsLog, lossCurveSvg } from './metrics.js';
import { AdamW } from './optimizer.js';
import { GLMModel } from '../model/glm.js';
import { makeConfig } from '../model/config.js';
import { isGlmError } from '../util/errors.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'testing', 'resume-child.js');

test('learning-rate schedule: warmup from 0, cosine clamped at r·lr, linear not clamped (spec §6.1)', () => {
  const s: LrSchedule = { lr: 4e-4, style: 'cosine', warmup: 0.05, decayIters: 1000, decayRatio: 0.05 };
  assert.equal(learningRate(s, 0), 0);
  assert.ok(Math.abs(learningRate(s, 25) - 2e-4) < 1e-15);
  assert.ok(Math.abs(learningRate(s, 50) - 4e-4) < 1e-15);
  // Halfway through the decay: r + (1 − r)/2.
  assert.ok(Math.abs(learningRate(s, 525) - 4e-4 * (0.05 + 0.95 / 2)) < 1e-15);
  assert.ok(Math.abs(learningRate(s, 1000) - 4e-4 * 0.05) < 1e-15);
  assert.ok(Math.abs(learningRate(s, 5000) - 4e-4 * 0.05) < 1e-15, 'cosine clamps after decayIters');
  const lin: LrSchedule = { ...s, style: 'linear', decayRatio: 0.1 };
  assert.ok(Math.abs(learningRate(lin, 1000) - 4e-4 * 0.1) < 1e-15);
  assert.ok(learningRate(lin, 1500) < 4e-4 * 0.1, 'linear keeps decreasing past decayIters');
  assert.ok(Math.abs(learningRate(lin, 50 + 475) - 4e-4 * (1 - 0.9 * 0.5)) < 1e-15);
  assert.equal(learningRate({ ...s, style: 'constant' }, 900), 4e-4);
  assert.equal(learningRate({ ...s, warmup: 0 }, 0), 4e-4);
});

function tinyModel(): GLMModel {
  return new GLMModel(makeConfig({ num_layers: 1, vocab_size: 64, hidden_size: 16, num_attention_heads: 2, max_sequence_length: 16 })).initialize(1);
}

const baseState = { adamStep: 0, dataPosition: 0, dropoutState: 1, tokensSeen: 0, trainSeconds: 0, run: { a: 1 } };

test('checkpoints: atomic folders, keep the last K, checksums catch damage, restore is bit-exact', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-ckpt-'));
  const model = tinyModel();
  const opt = new AdamW(model.params);
  opt.m.fill(0.5);
  opt.v.fill(0.25);
  for (const step of [1, 2, 3, 4]) {
    model.params.data[0] = step;
    saveCheckpoint(dir, model, opt, { ...baseState, step, adamStep: step }, 2);
  }
  assert.deepEqual(listCheckpoints(dir).map((c) => c.step), [4, 3], 'only the last 2 kept');
  assert.ok(!fs.readdirSync(dir).some((n) => n.includes('.tmp')), 'no temporary folders left');
  assert.equal(findLatestCheckpoint(dir)!.state.step, 4);

  // Restore into a fresh model and optimizer: identical bytes.
  const m2 = tinyModel(), o2 = new AdamW(m2.params);
  m2.params.data.fill(0);
  restoreCheckpoint(listCheckpoints(dir)[0]!.path, m2, o2, 4);
  assert.deepEqual(m2.params.data, model.params.data);
  assert.ok(o2.m.every((x) => x === 0.5) && o2.v.every((x) => x === 0.25));
  assert.equal(o2.step, 4);

  // Flip one byte in the newest weights: detected, the previous checkpoint is used.
  const newest = listCheckpoints(dir)[0]!.path;
  const f = path.join(newest, 'model.safetensors');
  const bytes = fs.readFileSync(f);
  bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0xff;
  fs.writeFileSync(f, bytes);
  assert.throws(() => verifyCheckpoint(newest), (e: unknown) => isGlmError(e, 'E_CHECKPOINT_CORRUPT') && /model\.safetensors fails its checksum/.test((e as Error).message));
  const latest = findLatestCheckpoint(dir)!;
  assert.equal(latest.state.step, 3);
  assert.equal(latest.skipped.length, 1);

  // A truncated optimizer file and a broken state.json are caught too.
  fs.truncateSync(path.join(latest.path, 'optimizer.safetensors'), 100);
  assert.throws(() => verifyCheckpoint(latest.path), /optimizer\.safetensors fails its checksum/);
  fs.writeFileSync(path.join(latest.path, 'state.json'), '{"format": "glm-ts-train-state", ');
  assert.throws(() => verifyCheckpoint(latest.path), /state\.json is not valid JSON/);
  assert.throws(() => findLatestCheckpoint(dir), (e: unknown) => isGlmError(e, 'E_CHECKPOINT_CORRUPT') && /every checkpoint/.test((e as Error).message));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('metrics JSONL: truncation on resume, and the loss curve SVG', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-metrics-'));
  const log = new MetricsLog(path.join(dir, 'metrics.jsonl'));
  for (let s = 1; s <= 10; s++) log.append({ type: 'train', step: s, loss: 5 - s * 0.1, lr: 1e-3, gradNorm: 1, mode: 'bert', tokens: 100, lossTokens: 20, tokensPerSecond: 1000, elapsedSeconds: s });
  log.append({ type: 'valid', step: 10, loss: 4.2, lossTokens: 100, elapsedSeconds: 10 });
  fs.appendFileSync(log.file, '{"type":"train","step":11,"lo'); // a line cut by a crash
  assert.equal(log.read().length, 11);
  log.truncateAfter(6);
  assert.deepEqual(log.read().map((r) => r.step), [1, 2, 3, 4, 5, 6]);
  const svg = lossCurveSvg(log.read());
  assert.match(svg, /^<svg /);
  assert.match(svg, /<path d="M/);
  assert.match(svg, /validation loss/);
  fs.rmSync(dir, { recursive: true, force: true });
});

interface ChildRun {
  losses: Map<number, number>;
  stderr: string;
  done: { steps: number; resumedFrom: string | null; skipped: number } | null;
  code: number | null;
  signal: string | null;
}

/** Runs the training child; with killAtStep, SIGKILLs it once it reports that step. */
/** killAfterMs: SIGKILL that long after the first step is reported (wherever the run then is). */
function runChild(out: string, steps: number, opts: { resume?: boolean; killAtStep?: number; sleepMs?: number; killAfterMs?: number } = {}): Promise<ChildRun> {
  const args = [CHILD, out, String(steps)];
  if (opts.resume) args.push('--resume');
  if (opts.sleepMs) args.push('--sleep-ms', String(opts.sleepMs));
  // The child blocks after the kill step, so the kill always lands at the same point of the run.
  if (opts.killAtStep !== undefined) args.push('--hang-after', String(opts.killAtStep));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const r: ChildRun = { losses: new Map(), stderr: '', done: null, code: null, signal: null };
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const o = JSON.parse(line) as { step?: number; loss?: number; done?: boolean; steps: number; resumedFrom: string | null; skipped: number };
        if (o.done) r.done = o;
        else {
          if (r.losses.size === 0 && opts.killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
          r.losses.set(o.step!, o.loss!);
          if (opts.killAtStep !== undefined && o.step! >= opts.killAtStep) child.kill('SIGKILL');
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (r.stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      r.code = code;
      r.signal = signal;
      resolve(r);
    });
  });
}

const STEPS = 10;

test('resume after SIGKILL reproduces the uninterrupted per-step losses; a damaged newest checkpoint falls back to the previous one', { timeout: 300_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'glm-resume-'));
  const full = await runChild(path.join(root, 'full'), STEPS);
  assert.equal(full.code, 0, full.stderr);
  assert.equal(full.losses.size, STEPS);

  // Killed after step 7 (checkpoints at 3 and 6 exist), then resumed from step 6.
  const outB = path.join(root, 'killed');
  const killed = await runChild(outB, STEPS, { killAtStep: 7 });
  assert.equal(killed.signal, 'SIGKILL', 'the child was killed');
  assert.ok(!killed.done, 'it did not finish');
  assert.deepEqual(listCheckpoints(path.join(outB, 'checkpoints')).map((c) => c.step).slice(0, 2), [6, 3]);
  const resumed = await runChild(outB, STEPS, { resume: true });
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.done!.resumedFrom!, /step-00000006$/);
  const combined = new Map([...killed.losses].filter(([s]) => s <= 6).concat([...resumed.losses]));
  for (let s = 1; s <= STEPS; s++) {
    const a = full.losses.get(s)!, b = combined.get(s)!;
    assert.ok(Math.abs(a - b) <= 1e-6, `step ${s}: uninterrupted ${a} vs killed+resumed ${b}`);
  }
  // Steps 7 recomputed after the resume match what the killed run had computed.
  assert.ok(Math.abs(killed.losses.get(7)! - resumed.losses.get(7)!) <= 1e-6);
  // metrics.jsonl of the resumed run has each step exactly once, equal to the uninterrupted run.
  const recs = new MetricsLog(path.join(outB, 'metrics.jsonl')).read().filter((r) => r.type === 'train');
  assert.deepEqual(recs.map((r) => r.step), Array.from({ length: STEPS }, (_, i) => i + 1));
  recs.forEach((r) => assert.ok(Math.abs(r.loss - full.losses.get(r.step)!) <= 1e-6));
  const validA = new MetricsLog(path.join(root, 'full', 'metrics.jsonl')).read().filter((r) => r.type === 'valid').map((r) => r.loss);
  const validB = new MetricsLog(path.join(outB, 'metrics.jsonl')).read().filter((r) => r.type === 'valid').map((r) => r.loss);
  assert.equal(validA.length, validB.length);
  validA.forEach((v, i) => assert.ok(Math.abs(v - validB[i]!) <= 1e-6, `validation ${i}: ${v} vs ${validB[i]}`));
  assert.ok(fs.existsSync(path.join(outB, 'loss-curve.svg')));

  // Killed again after step 7, newest checkpoint (6) damaged: resume detects it and uses step 3.
  const outC = path.join(root, 'damaged');
  const killedC = await runChild(outC, STEPS, { killAtStep: 7 });
  assert.equal(killedC.signal, 'SIGKILL');
  const newest = listCheckpoints(path.join(outC, 'checkpoints'))[0]!;
  assert.equal(newest.step, 6);
  const f = path.join(newest.path, 'optimizer.safetensors');
  const bytes = fs.readFileSync(f);
  bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0x01;
  fs.writeFileSync(f, bytes);
  const resumedC = await runChild(outC, STEPS, { resume: true });
  assert.equal(resumedC.code, 0, resumedC.stderr);
  assert.match(resumedC.stderr, /skipping damaged checkpoint .*step-00000006.*optimizer\.safetensors fails its checksum/);
  assert.match(resumedC.done!.resumedFrom!, /step-00000003$/);
  assert.equal(resumedC.done!.skipped, 1);
  for (let s = 4; s <= STEPS; s++) {
    assert.ok(Math.abs(full.losses.get(s)! - resumedC.losses.get(s)!) <= 1e-6, `step ${s} after fallback`);
  }

  // Killed at an arbitrary moment (possibly while writing a checkpoint), resumed: same losses.
  const outD = path.join(root, 'anytime');
  const killedD = await runChild(outD, STEPS, { killAfterMs: 250, sleepMs: 40 });
  assert.equal(killedD.signal, 'SIGKILL');
  const resumedD = await runChild(outD, STEPS, { resume: true });
  assert.equal(resumedD.code, 0, resumedD.stderr);
  const recsD = new MetricsLog(path.join(outD, 'metrics.jsonl')).read().filter((r) => r.type === 'train');
  assert.deepEqual(recsD.map((r) => r.step), Array.from({ length: STEPS }, (_, i) => i + 1), `killed ${killedD.signal ? `at step ${Math.max(0, ...killedD.losses.keys())}` : 'after finishing'}`);
  recsD.forEach((r) => assert.ok(Math.abs(r.loss - full.losses.get(r.step)!) <= 1e-6, `step ${r.step}`));
  fs.rmSync(root, { recursive: true, force: true });
});
