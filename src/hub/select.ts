/**
 * Which files of a model repository glm-ts needs: config.json, one set of weights (the first of
 * model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json;
 * the shards an index names are added once the index is read) and the tokenizer files. Remote
 * code (*.py), READMEs, other frameworks' weights (tf_model.h5, flax, onnx, …) are never fetched;
 * a remote-code tokenizer is mapped to a family from its tokenizer_config.json (src/tokenizer/hub-class.ts).
 */
import { GlmError } from '../util/errors.js';

export const WEIGHT_FILES = ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json'] as const;

/** Tokenizer files by name; SentencePiece models (*.model: cog-pretrain.model, spiece.model) are matched by suffix. */
export const TOKENIZER_FILES = [
  'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json', 'tokenizer.json',
  'vocab.txt', 'vocab.json', 'merges.txt', 'glm_tokenizer.json', 'tokenizer-source.json',
];

export interface Selection {
  /** Files to fetch first, in order (config, weights or index, tokenizer). */
  files: string[];
  /** The weights index, when the weights are sharded: its shards are fetched after it. */
  index: string | undefined;
}

/** Picks the needed files out of a repository's file list. */
export function selectFiles(repo: string, available: readonly string[]): Selection {
  const have = new Set(available);
  if (!have.has('config.json')) {
    throw new GlmError('E_HUB_NOT_A_MODEL', `${repo} has no config.json at the top level: it is not a model repository glm-ts can load (files: ${available.slice(0, 12).join(', ')}${available.length > 12 ? ', …' : ''})`);
  }
  const weights = WEIGHT_FILES.find((f) => have.has(f));
  if (!weights) {
    throw new GlmError('E_HUB_NO_WEIGHTS', `${repo} has no weights glm-ts reads: expected one of ${WEIGHT_FILES.join(', ')}`);
  }
  const tokenizer = available.filter((f) => TOKENIZER_FILES.includes(f) || (!f.includes('/') && f.endsWith('.model')));
  return { files: ['config.json', weights, ...tokenizer], index: weights.endsWith('.index.json') ? weights : undefined };
}

/** The shard files an index names (weight_map values), each of which must be in the repository. */
export function shardFiles(repo: string, indexFile: string, indexText: string, available: readonly string[]): string[] {
  let raw: unknown;
  try {
    raw = JSON.parse(indexText);
  } catch (e) {
    throw new GlmError('E_HUB_INDEX', `${repo}/${indexFile} is not valid JSON: ${(e as Error).message}`);
  }
  const map = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) throw new GlmError('E_HUB_INDEX', `${repo}/${indexFile} has no "weight_map" object`);
  const shards = [...new Set(Object.values(map as Record<string, unknown>))];
  const bad = shards.filter((s) => typeof s !== 'string' || s.includes('..') || s.startsWith('/'));
  if (bad.length) throw new GlmError('E_HUB_INDEX', `${repo}/${indexFile} names invalid shard file(s): ${bad.map((b) => JSON.stringify(b)).join(', ')}`);
  const missing = (shards as string[]).filter((s) => !available.includes(s));
  if (missing.length) throw new GlmError('E_HUB_INDEX', `${repo}/${indexFile} names shard(s) the repository does not have: ${missing.join(', ')}`);
  return shards as string[];
}
