/**
 * The command tokens generation needs, and how a prompt becomes the model's Part A (spec §3.3):
 * `[CLS] + text + [eos]`, with the blanks marked by `[MASK]`, `[sMASK]` or `[gMASK]`.
 */
import { GlmError } from '../util/errors.js';
import type { GLMConfig } from '../model/config.js';
import type { SpecialTokenIdMap } from '../tokenizer/types.js';

/**
 * The command-token ids generation uses. A tokenizer's `SpecialTokenIdMap` fits as is; models
 * without a tokenizer can take theirs from config.json (`specialTokensFromConfig`).
 */
export interface GenerationTokens {
  /** Start of a piece: fed first for every blank, at block position 1. */
  sop: number;
  /** End of a piece: stops a blank (not emitted, not fed back). */
  eop: number;
  /** End of document: also stops a blank (spec §4.2). */
  eos: number;
  /** Prepended to the prompt. */
  cls: number;
  mask: number;
  sMask?: number;
  gMask?: number;
  /** BERT-vocabulary hub models end the input with [SEP] (spec §0.2 #2). */
  sep?: number;
  /** Padding for batches; eos when absent. */
  pad?: number;
}

/** Reads `special_token_ids` of a config.json (names as in the golden configs: PAD, CLS, eos, MASK, …). */
export function specialTokensFromConfig(cfg: GLMConfig): GenerationTokens {
  const s = cfg.special_token_ids;
  const need = (name: string): number => {
    const v = s?.[name];
    if (typeof v !== 'number') {
      throw new GlmError('E_SPECIAL_TOKENS', `config.json has no special_token_ids.${name}; pass the token ids (or a tokenizer) explicitly`, {
        details: { have: s ?? null },
      });
    }
    return v;
  };
  const opt = (name: string): number | undefined => (typeof s?.[name] === 'number' ? s[name] : undefined);
  const out: GenerationTokens = { sop: need('sop'), eop: need('eop'), eos: need('eos'), cls: need('CLS'), mask: need('MASK') };
  // Both spellings of [SEP] occur: the golden configs write SEP, tokenizer/save.ts writes sep.
  const extra: [keyof GenerationTokens, string[]][] = [['sMask', ['sMASK']], ['gMask', ['gMASK']], ['sep', ['SEP', 'sep']], ['pad', ['PAD']]];
  for (const [key, names] of extra) {
    const v = names.map(opt).find((x) => x !== undefined);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Narrows a tokenizer's id map to the generation tokens. */
export function generationTokens(map: SpecialTokenIdMap): GenerationTokens {
  const out: GenerationTokens = { sop: map.sop, eop: map.eop, eos: map.eos, cls: map.cls, mask: map.mask, sep: map.sep, pad: map.pad };
  if (map.gMask !== undefined) out.gMask = map.gMask;
  if (map.sMask !== undefined) out.sMask = map.sMask;
  return out;
}

/** The ids that open a blank: [MASK], [sMASK], [gMASK] (those the vocabulary has). */
export function maskIds(t: GenerationTokens): number[] {
  const ids = [t.mask];
  if (t.sMask !== undefined) ids.push(t.sMask);
  if (t.gMask !== undefined) ids.push(t.gMask);
  return ids;
}

/** Positions of every mask token in `ids`, ascending (spec §4.2 step 1). */
export function findMasks(ids: readonly number[], t: GenerationTokens): number[] {
  const set = new Set(maskIds(t));
  const out: number[] = [];
  ids.forEach((id, i) => {
    if (set.has(id)) out.push(i);
  });
  return out;
}

export interface ContextOptions {
  /** Prepend [CLS] unless the ids already start with it. Default true. */
  addCls?: boolean;
  /**
   * The end token: 'eos' ([orig], and what glm-ts pretraining uses), 'sep' (the hub's BERT
   * tokenizer), or 'none'. Default 'eos'.
   */
  end?: 'eos' | 'sep' | 'none';
  /**
   * Keep the end token after a trailing [gMASK] ([hub] always does, spec §0.2 #3). Default false
   * ([orig] interactive generation and glm-ts pretraining leave it off).
   */
  endAfterGMask?: boolean;
  /** When the prompt has no mask, append [gMASK] (or [MASK] without one), as [orig] does. Default true. */
  appendMask?: boolean;
}

/**
 * Part A for generation: `[CLS] + ids + end` (spec §3.3). Throws E_NO_MASK when there is no blank
 * to fill and appendMask is off.
 */
export function buildContext(ids: readonly number[], t: GenerationTokens, opts: ContextOptions = {}): number[] {
  const out = [...ids];
  if ((opts.addCls ?? true) && out[0] !== t.cls) out.unshift(t.cls);
  const end = opts.end ?? 'eos';
  const endId = end === 'eos' ? t.eos : end === 'sep' ? t.sep : undefined;
  if (end === 'sep' && endId === undefined) throw new GlmError('E_SPECIAL_TOKENS', 'end "sep" requested but the vocabulary has no [SEP] id');
  // Drop an end token the caller already wrote, so that the rules below apply once.
  if (endId !== undefined && out.length > 1 && out[out.length - 1] === endId) out.pop();
  if (findMasks(out, t).length === 0) {
    if (!(opts.appendMask ?? true)) throw new GlmError('E_NO_MASK', 'the prompt has no [MASK], [sMASK] or [gMASK] to fill');
    out.push(t.gMask ?? t.mask);
  }
  const trailingGMask = t.gMask !== undefined && out[out.length - 1] === t.gMask;
  if (endId !== undefined && (!trailingGMask || opts.endAfterGMask)) out.push(endId);
  return out;
}
