/**
 * Training checkpoints: everything needed to continue a run bit for bit.
 *
 *   <out>/checkpoints/step-00000120/
 *     config.json           model config
 *     model.safetensors     weights (F32, original key names)
 *     optimizer.safetensors AdamW first/second moments (flat, ParamStore layout)
 *     state.json            step, AdamW step, data position, dropout-stream state, run options,
 *                           and the sha256 + size of every other file
 *
 * A checkpoint is written into `step-….tmp-<pid>`, every file fsynced, then the folder is
 * renamed into place and its parent fsynced, so a crash leaves either the complete checkpoint
 * or none. Only the newest `keep` are kept. Loading verifies every checksum and falls back to
 * the previous checkpoint when the newest is damaged.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { SafetensorsReader, writeSafetensors } from '../io/safetensors.js';
import { configToJSON, type GLMConfig } from '../model/config.js';
import { readConfigFile } from '../io/hf.js';
import type { GLMModel } from '../model/glm.js';
import type { AdamW } from './optimizer.js';

export const STATE_FILE = 'state.json';

/** What besides weights and moments a checkpoint records. */
export interface TrainState {
  /** Completed optimizer steps. */
  step: number;
  /** AdamW's own step counter (bias correction). */
  adamStep: number;
  /** Next data batch position. */
  dataPosition: number;
  /** The dropout stream's counter (setDropoutSeed / getDropoutState). */
  dropoutState: number;
  /** Real tokens processed so far. */
  tokensSeen: number;
  /** Training seconds so far (excluding evaluation). */
  trainSeconds: number;
  /** Last validation loss, when evaluated. */
  validLoss?: number;
  /** The run's options, so a resume can check it continues the same run. */
  run: Record<string, unknown>;
}

interface StateFile extends TrainState {
  format: 'glm-ts-train-state';
  version: 1;
  files: Record<string, { sha256: string; bytes: number }>;
}

function sha256File(file: string): { sha256: string; bytes: number } {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = new Uint8Array(1 << 22);
  let bytes = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, bytes);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      bytes += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha256: h.digest('hex'), bytes };
}

function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename itself is still atomic.
  }
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Completed checkpoint folders under `dir`, newest first. */
export function listCheckpoints(dir: string): { step: number; path: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), path: path.join(dir, m[0]) }))
    .sort((a, b) => b.step - a.step);
}

/** Writes one checkpoint atomically and prunes old ones beyond `keep`. Returns its folder. */
export function saveCheckpoint(dir: string, model: GLMModel, opt: AdamW, state: TrainState, keep: number): string {
  fs.mkdirSync(dir, { recursive: true });
  const final = path.join(dir, checkpointName(state.step));
  const tmp = `${final}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  const tensors = new Map<string, { dtype: 'F32'; shape: readonly number[]; data: Float32Array }>();
  for (const [name, t] of model.params.entries()) tensors.set(name, { dtype: 'F32', shape: t.shape, data: t.f32 });
  writeSafetensors(path.join(tmp, 'model.safetensors'), tensors, { format: 'pt' });
  writeSafetensors(path.join(tmp, 'optimizer.safetensors'), {
    exp_avg: { dtype: 'F32', shape: [opt.m.length], data: opt.m },
    exp_avg_sq: { dtype: 'F32', shape: [opt.v.length], data: opt.v },
  }, { layout: 'glm-ts ParamStore: decayed parameters first, then the rest, each in state-dict order', step: String(opt.step) });
  writeFileAtomic(path.join(tmp, 'config.json'), JSON.stringify(configToJSON(model.config), null, 2) + '\n');
  const files: StateFile['files'] = {};
  for (const f of ['model.safetensors', 'optimizer.safetensors', 'config.json']) files[f] = sha256File(path.join(tmp, f));
  const sf: StateFile = { format: 'glm-ts-train-state', version: 1, ...state, files };
  writeFileAtomic(path.join(tmp, STATE_FILE), JSON.stringify(sf, null, 2) + '\n');
  fsyncDir(tmp);
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  fsyncDir(dir);
  for (const old of listCheckpoints(dir).slice(Math.max(1, keep))) fs.rmSync(old.path, { recursive: true, force: true });
  return final;
}

export interface LoadedCheckpoint {
  path: string;
  config: GLMConfig;
  state: TrainState;
  /** Checkpoints newer than this one that failed verification, with the reason. */
  skipped: { path: string; reason: string }[];
}

/** Reads and verifies a checkpoint folder's state.json and file checksums (throws GlmError). */
export function verifyCheckpoint(ckpt: string): { config: GLMConfig; state: TrainState } {
  const stateFile = path.join(ckpt, STATE_FILE);
  if (!fs.existsSync(stateFile)) throw new GlmError('E_CHECKPOINT_CORRUPT', `${STATE_FILE} is missing`, { path: ckpt });
  let sf: StateFile;
  try {
    sf = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as StateFile;
  } catch (e) {
    throw new GlmError('E_CHECKPOINT_CORRUPT', `${STATE_FILE} is not valid JSON (${(e as Error).message})`, { path: ckpt });
  }
  if (sf.format !== 'glm-ts-train-state' || typeof sf.files !== 'object' || sf.files === null) throw new GlmError('E_CHECKPOINT_CORRUPT', `${STATE_FILE} is not a glm-ts training state`, { path: ckpt });
  for (const [name, want] of Object.entries(sf.files)) {
    const file = path.join(ckpt, name);
    if (!fs.existsSync(file)) throw new GlmError('E_CHECKPOINT_CORRUPT', `${name} is missing`, { path: ckpt });
    const got = sha256File(file);
    if (got.bytes !== want.bytes || got.sha256 !== want.sha256) {
      throw new GlmError('E_CHECKPOINT_CORRUPT', `${name} fails its checksum (${got.bytes} bytes, sha256 ${got.sha256.slice(0, 12)}…; expected ${want.bytes} bytes, ${want.sha256.slice(0, 12)}…)`, { path: ckpt });
    }
  }
  const config = readConfigFile(path.join(ckpt, 'config.json'));
  const { format: _f, version: _v, files: _files, ...state } = sf;
  return { config, state };
}

/**
 * The newest checkpoint under `dir` that verifies, or null when there is none. Damaged newer
 * ones are reported in `skipped` (and left on disk for inspection).
 */
export function findLatestCheckpoint(dir: string): LoadedCheckpoint | null {
  const skipped: LoadedCheckpoint['skipped'] = [];
  for (const c of listCheckpoints(dir)) {
    try {
      const { config, state } = verifyCheckpoint(c.path);
      return { path: c.path, config, state, skipped };
    } catch (e) {
      skipped.push({ path: c.path, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  if (skipped.length) {
    throw new GlmError('E_CHECKPOINT_CORRUPT', `every checkpoint under ${dir} is damaged: ${skipped.map((s) => s.reason).join('; ')}`, { path: dir });
  }
  return null;
}

/** Loads weights and AdamW moments of a verified checkpoint into an existing model and optimizer. */
export function restoreCheckpoint(ckpt: string, model: GLMModel, opt: AdamW, adamStep: number): void {
  const r = SafetensorsReader.open(path.join(ckpt, 'model.safetensors'));
  try {
    for (const [name, t] of model.params.entries()) r.readFloat32(name, { out: t.f32, shape: t.shape });
  } finally {
    r.close();
  }
  const o = SafetensorsReader.open(path.join(ckpt, 'optimizer.safetensors'));
  try {
    o.readFloat32('exp_avg', { out: opt.m, shape: [opt.m.length] });
    o.readFloat32('exp_avg_sq', { out: opt.v, shape: [opt.v.length] });
  } finally {
    o.close();
  }
  opt.step = adamStep;
}
