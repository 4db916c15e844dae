/**
 * Tiny model repositories laid out like THUDM/glm-large on the Hub (config.json, weights,
 * tokenizer_config.json naming the remote-code GLMBertTokenizer, vocab.txt, the remote-code .py
 * files, README.md, .gitattributes), with random weights, plus the same model as a local folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveModel } from '../io/checkpoint.js';
import { writeSafetensors, type SafetensorsTensorInput } from '../io/safetensors.js';
import { tinyModel } from './test-model.js';
import { bertUncasedVocab } from '../tokenizer/vocab-files.js';
import { repoRoot } from '../util/repo-root.js';
import type { GLMModel } from '../model/glm.js';

export interface TinyRepo {
  /** Hub files, path → bytes. */
  files: Record<string, Uint8Array>;
  /** The same model and tokenizer as a local folder (config.json + model.safetensors + tokenizer files). */
  localDir: string;
  model: GLMModel;
}

const GLM_LARGE = path.join(repoRoot(), 'test-fixtures', 'hub', 'glm-large');

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'glm-hub-repo-'));
}

/** A glm-large-like repository; `sharded` stores the weights as model-0000k-of-00002.safetensors + index. */
export function tinyRepo(opts: { seed: number; sharded?: boolean }): TinyRepo {
  const vocab = bertUncasedVocab();
  const model = tinyModel({ vocab: 30592, hidden: 16, layers: 1, heads: 2, maxSeq: 32, seed: opts.seed });
  const localDir = tmp();
  saveModel(model, localDir);
  const tokenizerConfig = fs.readFileSync(path.join(GLM_LARGE, 'tokenizer_config.json'));
  const vocabTxt = Buffer.from(vocab.join('\n') + '\n');
  fs.writeFileSync(path.join(localDir, 'tokenizer_config.json'), tokenizerConfig);
  fs.writeFileSync(path.join(localDir, 'vocab.txt'), vocabTxt);
  const files: Record<string, Uint8Array> = {
    '.gitattributes': Buffer.from('*.bin filter=lfs diff=lfs merge=lfs -text\n*.safetensors filter=lfs diff=lfs merge=lfs -text\n'),
    'README.md': Buffer.from('---\nlicense: mit\n---\n# tiny GLM\n'),
    'config.json': fs.readFileSync(path.join(localDir, 'config.json')),
    'configuration_glm.py': Buffer.from('raise SystemExit("remote code must not be fetched")\n'),
    'modeling_glm.py': Buffer.from('raise SystemExit("remote code must not be fetched")\n'),
    'tokenization_glm.py': Buffer.from('raise SystemExit("remote code must not be fetched")\n'),
    'tokenizer_config.json': tokenizerConfig,
    'vocab.txt': vocabTxt,
    // The released repositories ship pytorch_model.bin; model.safetensors is preferred when both exist.
    'pytorch_model.bin': Buffer.from('not fetched when model.safetensors exists'),
  };
  if (!opts.sharded) {
    files['model.safetensors'] = fs.readFileSync(path.join(localDir, 'model.safetensors'));
    return { files, localDir, model };
  }
  const entries = [...model.params.entries()];
  const half = Math.ceil(entries.length / 2);
  const weightMap: Record<string, string> = {};
  const dir = tmp();
  [entries.slice(0, half), entries.slice(half)].forEach((part, k) => {
    const name = `model-0000${k + 1}-of-00002.safetensors`;
    const tensors = new Map<string, SafetensorsTensorInput>();
    for (const [n, t] of part) {
      tensors.set(n, { dtype: 'F32', shape: t.shape, data: t.f32 });
      weightMap[n] = name;
    }
    writeSafetensors(path.join(dir, name), tensors, { format: 'pt' });
    files[name] = fs.readFileSync(path.join(dir, name));
  });
  fs.rmSync(dir, { recursive: true, force: true });
  files['model.safetensors.index.json'] = Buffer.from(JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2));
  return { files, localDir, model };
}
