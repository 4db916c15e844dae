/**
 * `npm run bench` command line: flags → one CaseSpec per benchmark case.
 *
 * Defaults follow the published GLM sizes and tools/bench/torch_glm_bench.py:
 *   train, forward: GLM-Base shape (12 layers, 768, 12 heads, vocab 30592), batch 4 × seq 512;
 *   decode:         GLM-Large shape (24 layers, 1024, 16 heads, vocab 30592), batch 1,
 *                   context 256 + [sop], 32 new tokens.
 * `--config` (a preset name or a config.json) replaces the default shape of every case, and the
 * size flags override single fields on top of it.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { PRESETS, parseConfig, configToJSON, type GLMConfig } from '../model/config.js';
import { backendNames, isBackendName, type BackendName } from '../backend/registry.js';

export type CaseName = 'train' | 'forward' | 'decode';
export const CASES: readonly CaseName[] = ['train', 'forward', 'decode'];

/** Everything a worker process needs to run one case (sent to it as JSON). */
export interface CaseSpec {
  case: CaseName;
  /** Raw config object for parseConfig (sizes, max_sequence_length, gelu, dropout 0, …). */
  config: Record<string, unknown>;
  /** Where the shape came from: a preset name or a config file path. */
  configSource: string;
  batch: number;
  /** train / forward: sequence length. */
  seq: number;
  /** decode: context tokens (the [sop] token comes on top) and new tokens. */
  context: number;
  gen: number;
  warmup: number;
  iters: number;
  /** null: the library default (native when it loads, else reference). */
  backend: BackendName | null;
  /** Seed of the weights; data seeds derive from it. */
  seed: number;
}

export interface BenchOptions {
  cases: CaseName[];
  specs: CaseSpec[];
  backend: BackendName | null;
  torch: boolean;
  threads: number;
  unsetOpenblasEnv: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- [flags]      (or: node dist/bench/main.js [flags])

Runs the glm-ts benchmark cases, each in a fresh Node process, and the PyTorch reference
(tools/bench/torch_glm_bench.py) with the same shape; prints one JSON line per case on stdout.

  --case LIST            train,forward,decode (default: all three)
  --config NAME|FILE     shape preset (${Object.keys(PRESETS).join(', ')}) or a config.json
                         (default: base for train/forward, large for decode)
  --layers N --hidden N --heads N --vocab N
                         override single sizes of the shape
  --seq N                train/forward sequence length (default 512)
  --batch N              batch size (default 4 for train/forward, 1 for decode)
  --context N --gen N    decode context tokens (default 256) and new tokens (default 32)
  --warmup N             untimed iterations first (default 1)
  --iters N              timed iterations; the median is reported (default 3)
  --backend NAME         ${backendNames().join(' | ')} (default: the first of these that loads)
  --threads N            OMP_NUM_THREADS for glm-ts (its kernels and sgemm) and
                         OPENBLAS_NUM_THREADS on both sides (default 2); PyTorch runs with
                         --threads 1 and 2, the faster is reported (both are recorded)
  --unset-openblas-env   remove OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE for both sides
  --no-torch             skip the PyTorch runs (without it, a PyTorch failure fails the run)
  --seed N               weight seed (default 1234)
  -h, --help             this text

Environment: GLM_TORCH_BENCH (path of torch_glm_bench.py), GLM_TORCH_PYTHON (default /usr/bin/python3).`;

function posInt(name: string, v: string | undefined, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new Error(`--${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Sizes of a preset or config file, with everything else of the file kept. */
function loadShape(nameOrFile: string): Record<string, unknown> {
  const preset = PRESETS[nameOrFile];
  if (preset) return { ...preset };
  if (!fs.existsSync(nameOrFile)) throw new Error(`--config: '${nameOrFile}' is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a file`);
  const cfg: GLMConfig = parseConfig(JSON.parse(fs.readFileSync(nameOrFile, 'utf8')), nameOrFile);
  return configToJSON(cfg);
}

export function parseBenchArgs(argv: string[]): BenchOptions {
  const { values: v } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      case: { type: 'string' },
      config: { type: 'string' },
      layers: { type: 'string' },
      hidden: { type: 'string' },
      heads: { type: 'string' },
      vocab: { type: 'string' },
      seq: { type: 'string' },
      batch: { type: 'string' },
      context: { type: 'string' },
      gen: { type: 'string' },
      warmup: { type: 'string' },
      iters: { type: 'string' },
      backend: { type: 'string' },
      threads: { type: 'string' },
      seed: { type: 'string' },
      'unset-openblas-env': { type: 'boolean' },
      'no-torch': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const cases: CaseName[] = [];
  for (const c of (v.case ?? CASES.join(',')).split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(CASES as readonly string[]).includes(c)) throw new Error(`--case: unknown case '${c}' (known: ${CASES.join(', ')})`);
    if (!cases.includes(c as CaseName)) cases.push(c as CaseName);
  }
  if (!cases.length) throw new Error('--case: no case given');
  let backend: BackendName | null = null;
  if (v.backend !== undefined) {
    if (!isBackendName(v.backend)) throw new Error(`--backend must be one of ${backendNames().join(', ')}, got '${v.backend}'`);
    backend = v.backend;
  }
  const warmup = posInt('warmup', v.warmup, 1, true);
  const iters = posInt('iters', v.iters, 3);
  const seed = posInt('seed', v.seed, 1234, true);
  const seq = posInt('seq', v.seq, 512);
  const context = posInt('context', v.context, 256);
  const gen = posInt('gen', v.gen, 32);
  if (gen < 2) throw new Error('--gen must be at least 2 (the first new token comes from the prefill, the rest from single-token steps)');
  const fileShape = v.config !== undefined ? loadShape(v.config) : null;

  const specs = cases.map((name): CaseSpec => {
    const source = v.config ?? (name === 'decode' ? 'large' : 'base');
    const shape = fileShape ?? loadShape(source);
    const batch = posInt('batch', v.batch, name === 'decode' ? 1 : 4);
    // Position tables: torch_glm_bench.py uses P = seq (train/score) or context + 1 (decode);
    // a config file keeps its own P when that is large enough.
    const needP = name === 'decode' ? Math.max(context, gen) : seq;
    const fileP = fileShape ? (fileShape['max_sequence_length'] as number) : 0;
    if (fileShape && fileP < needP) {
      throw new Error(`--config ${v.config}: max_sequence_length ${fileP} is too small for this ${name} shape (needs ${needP})`);
    }
    const config: Record<string, unknown> = {
      ...shape,
      num_layers: posInt('layers', v.layers, shape['num_layers'] as number),
      hidden_size: posInt('hidden', v.hidden, shape['hidden_size'] as number),
      num_attention_heads: posInt('heads', v.heads, shape['num_attention_heads'] as number),
      vocab_size: posInt('vocab', v.vocab, shape['vocab_size'] as number),
      max_sequence_length: fileShape ? fileP : name === 'decode' ? Math.max(context + 1, gen) : seq,
      // Dropout 0, as torch_glm_bench.py's default.
      embedding_dropout_prob: 0,
      attention_dropout_prob: 0,
      output_dropout_prob: 0,
    };
    parseConfig(config, `${name} shape`); // validates (e.g. hidden divisible by heads)
    if ((config['vocab_size'] as number) <= 10) throw new Error('--vocab must be above 10 (ids 0..9 are special tokens in the benchmark batches)');
    if (name === 'decode' && context < 3) throw new Error('--context must be at least 3');
    if (name !== 'decode' && seq < 8) throw new Error('--seq must be at least 8');
    return { case: name, config, configSource: source, batch, seq, context, gen, warmup, iters, backend, seed };
  });

  return {
    cases,
    specs,
    backend,
    torch: !v['no-torch'],
    threads: posInt('threads', v.threads, 2),
    unsetOpenblasEnv: !!v['unset-openblas-env'],
    help: !!v.help,
  };
}
