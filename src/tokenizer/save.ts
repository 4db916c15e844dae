/**
 * Writing a tokenizer folder: the vocabulary files in their usual hub names (vocab.txt;
 * vocab.json + merges.txt; cog-pretrain.model; tokenizer.json), a tokenizer_config.json naming the
 * hub tokenizer class, and glm_tokenizer.json, which lets loadTokenizer(dir) rebuild exactly this
 * tokenizer (command tokens and ids included).
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { GLM_TOKENIZER_FILE, type LoadedTokenizer } from './load.js';
import type { SpecialTokenIds } from '../model/config.js';
import type { GlmTokenizer } from './types.js';

/** The tokenizer's ids in config.json's `special_token_ids` naming (PAD, CLS, eos, MASK, …). */
export function configSpecialTokenIds(tok: GlmTokenizer): SpecialTokenIds {
  const s = tok.special;
  const out: SpecialTokenIds = { PAD: s.pad, CLS: s.cls, eos: s.eos, MASK: s.mask, sep: s.sep, unk: s.unk, sop: s.sop, eop: s.eop };
  if (s.sMask !== undefined) out.sMASK = s.sMask;
  if (s.gMask !== undefined) out.gMASK = s.gMask;
  if (s.dBlock !== undefined) out.dBLOCK = s.dBlock;
  return out;
}

function json(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Writes `tok` into `dir` (created if needed). Returns the file names written. */
export function saveTokenizer(tok: LoadedTokenizer, dir: string): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  let text: { kind: string; files: string[]; lowercase?: boolean };
  const src = tok.source;
  switch (src.kind) {
    case 'bert-vocab':
      writeFileAtomic(path.join(dir, 'vocab.txt'), src.vocab.join('\n') + '\n');
      text = { kind: 'bert-vocab', files: ['vocab.txt'], lowercase: true };
      break;
    case 'bpe':
      json(path.join(dir, 'vocab.json'), src.files.vocab);
      writeFileAtomic(path.join(dir, 'merges.txt'), '#version: 0.2\n' + src.files.merges.join('\n') + '\n');
      text = { kind: 'bpe', files: ['vocab.json', 'merges.txt'] };
      break;
    case 'sentencepiece': {
      const name = tok.family === 'sentencepiece' ? 'cog-pretrain.model' : 'spm.model';
      writeFileAtomic(path.join(dir, name), src.bytes);
      text = { kind: 'sentencepiece', files: [name] };
      break;
    }
    case 'hf-json':
      json(path.join(dir, 'tokenizer.json'), src.json);
      text = { kind: 'hf-json', files: ['tokenizer.json'] };
      break;
  }
  written.push(...text.files);
  const s = tok.special;
  const str = (id: number | undefined): string | undefined => (id === undefined ? undefined : tok.idToToken(id));
  const hubFamily = tok.family !== 'custom';
  json(path.join(dir, 'tokenizer_config.json'), {
    tokenizer_class: hubFamily ? tok.hubClass : 'PreTrainedTokenizerFast',
    ...(hubFamily ? { auto_map: { AutoTokenizer: [`tokenization_glm.${tok.hubClass}`, null] } } : {}),
    ...(tok.family === 'sentencepiece' ? { vocab_file: text.files[0] } : {}),
    ...(tok.family === 'bert' ? { do_lower_case: true } : {}),
    eos_token: str(s.eos), pad_token: str(s.pad), cls_token: str(s.cls), mask_token: str(s.mask), unk_token: str(s.unk), sep_token: str(s.sep),
    additional_special_tokens: [s.sop, s.eop, s.gMask, s.sMask].filter((x): x is number => x !== undefined).map((id) => tok.idToToken(id)),
    truncation_side: 'left',
  });
  json(path.join(dir, GLM_TOKENIZER_FILE), {
    format: 'glm-ts-tokenizer',
    version: 1,
    family: tok.family,
    name: tok.name,
    default_layout: tok.defaultLayout ?? 'hub',
    text,
    command_tokens: tok.commandTokens,
    num_tokens: tok.numTokens,
    padded_vocab_size: tok.paddedVocabSize,
    hub_class: tok.hubClass,
    special_token_ids: configSpecialTokenIds(tok),
  });
  written.push('tokenizer_config.json', GLM_TOKENIZER_FILE);
  return written;
}
