/**
 * Memory estimate of a training run, to refuse configurations that cannot fit before spending
 * minutes on tokenisation and initialisation.
 *
 *   persistent  = 16 bytes per parameter (F32 weights, gradients, AdamW m and v)
 *   activations ≈ 4 bytes · B · S · (L · (20·H + 2·N·S) + 3·V)
 *
 * per layer and token, the backward pass keeps roughly the residual input, both LayerNorm
 * outputs, QKV (3H), the attention context, two dropout outputs, the MLP pre-activation and
 * output (4H each) and the attention probabilities (N·S, stored twice with dropout); the
 * logits, their gradient and the softmax scratch add 3·V per token. S is the longest example:
 * the raw sample plus two tokens per span (about 1.35 × the sample length).
 */
import fs from 'node:fs';
import os from 'node:os';
import type { GLMConfig } from '../model/config.js';
import { parameterCount } from '../model/config.js';

export interface TrainingMemoryEstimate {
  parameters: number;
  persistentBytes: number;
  activationBytes: number;
  totalBytes: number;
}

export function estimateTrainingMemory(cfg: GLMConfig, batch: number, sampleLength: number): TrainingMemoryEstimate {
  const P = parameterCount(cfg);
  const H = cfg.hidden_size, N = cfg.num_attention_heads, L = cfg.num_layers, V = cfg.vocab_size;
  const S = Math.ceil(sampleLength * 1.35) + 2;
  const persistentBytes = 16 * P;
  const activationBytes = 4 * batch * S * (L * (20 * H + 2 * N * S) + 3 * V);
  return { parameters: P, persistentBytes, activationBytes, totalBytes: persistentBytes + activationBytes };
}

/** Memory this process can use: MemAvailable (or free memory), capped by a cgroup limit. */
export function availableMemory(): number {
  let avail = os.freemem();
  try {
    const m = /MemAvailable:\s+(\d+) kB/.exec(fs.readFileSync('/proc/meminfo', 'utf8'));
    if (m) avail = Number(m[1]) * 1024;
  } catch {
    // not Linux
  }
  for (const f of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    try {
      const raw = fs.readFileSync(f, 'utf8').trim();
      if (/^\d+$/.test(raw)) {
        const limit = Number(raw);
        let used = 0;
        for (const u of ['/sys/fs/cgroup/memory.current', '/sys/fs/cgroup/memory/memory.usage_in_bytes']) {
          try {
            used = Number(fs.readFileSync(u, 'utf8').trim());
            break;
          } catch {
            // try the next
          }
        }
        if (limit < 2 ** 60) avail = Math.min(avail, Math.max(0, limit - used));
      }
    } catch {
      // no cgroup file
    }
  }
  return avail;
}

export function formatBytes(b: number): string {
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) {
    b /= 1024;
    i++;
  }
  return `${b.toFixed(i ? 1 : 0)} ${u[i]}`;
}
