/**
 * Test helper (run as a child process by trainer.test.ts): trains a tiny GLM on a synthetic
 * corpus, printing one JSON line per step, so the parent can SIGKILL it mid-run and resume.
 *
 *   node dist/train/resume-child.js <outDir> <steps> [--resume] [--sleep-ms N] [--hang-after N]
 *
 * --hang-after N blocks after step N (the parent kills it there); --sleep-ms slows every step.
 */
import { GLMModel } from '../model/glm.js';
import { makeConfig } from '../model/config.js';
import { PretrainData } from '../data/pipeline.js';
import { splitDocuments } from '../data/prepare.js';
import { syntheticSource, syntheticVocab } from './data.js';
import { train } from '../train/trainer.js';

const [outDir, stepsArg] = process.argv.slice(2);
const resume = process.argv.includes('--resume');
const sleepIdx = process.argv.indexOf('--sleep-ms');
const sleepMs = sleepIdx > 0 ? Number(process.argv[sleepIdx + 1]) : 0;
const hangIdx = process.argv.indexOf('--hang-after');
const hangAfter = hangIdx > 0 ? Number(process.argv[hangIdx + 1]) : Infinity;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const vocab = syntheticVocab(512);
const src = syntheticSource(200, 10, 300, 3, 0.08, 512);
const split = splitDocuments((i) => src.docLength(i), src.numDocs, 0.1, 7);
const data = new PretrainData(src, vocab, split, { batchSize: 3, seqLength: 40, objective: { bertProb: 0.5, gapSentenceProb: 0.25, taskMask: true }, seed: 5 });
const model = new GLMModel(makeConfig({ num_layers: 2, vocab_size: 512, hidden_size: 32, num_attention_heads: 4, max_sequence_length: 40 })).initialize(11);

const result = await train(model, data, {
  steps: Number(stepsArg), gradAccumulation: 2, schedule: { lr: 3e-3, style: 'cosine', warmup: 0.1, decayIters: Number(stepsArg), decayRatio: 0.1 },
  evalInterval: 4, evalBatches: 2, checkpointInterval: 3, keepCheckpoints: 2, outDir: outDir!, resume, progress: false, seed: 99,
  run: { test: 'resume-child' },
  log: (m) => process.stderr.write(m + '\n'),
  onStep: (r) => {
    process.stdout.write(JSON.stringify({ step: r.step, loss: r.loss }) + '\n');
    if (sleepMs > 0) Atomics.wait(sleeper, 0, 0, sleepMs);
    if (r.step >= hangAfter) Atomics.wait(sleeper, 0, 0, 600_000);
  },
});
process.stdout.write(JSON.stringify({ done: true, steps: result.steps, resumedFrom: result.resumedFrom ?? null, skipped: result.skippedCheckpoints.length }) + '\n');
