/**
 * GLM command tokens per tokenizer family, with the exact ids of spec §3.2 ([orig]
 * `data_utils/tokenization.py`), in the order the original code declares (and splits on) them.
 */
import type { CommandTokenInfo, SpecialTokenIdMap } from './types.js';

function cmd(name: string, token: string, id: number, lstrip = false): CommandTokenInfo {
  return { name, token, id, lstrip };
}

/** SpecialTokenIdMap from a command-token list (first role of each name wins). */
export function specialFromCommands(commands: readonly CommandTokenInfo[]): SpecialTokenIdMap {
  const by = new Map<string, number>();
  for (const c of commands) if (!by.has(c.name)) by.set(c.name, c.id);
  const need = (n: string): number => {
    const v = by.get(n);
    if (v === undefined) throw new Error(`command token ${n} missing`);
    return v;
  };
  return {
    pad: need('pad'),
    eos: need('eos'),
    cls: need('ENC'),
    mask: need('MASK'),
    sep: need('sep'),
    unk: need('unk'),
    sop: need('sop'),
    eop: need('eop'),
    ...(by.has('gMASK') ? { gMask: by.get('gMASK')! } : {}),
    ...(by.has('sMASK') ? { sMask: by.get('sMASK')! } : {}),
    ...(by.has('dBLOCK') ? { dBlock: by.get('dBLOCK')! } : {}),
  };
}

/**
 * BertWordPieceTokenizer (glm-base/large/doc/410m/515m): the vocabulary's own [PAD] [CLS] [MASK]
 * [UNK] [SEP], eos = [PAD] (id 0), then <|startofpiece|> / <|endofpiece|> after the 30,522 text
 * tokens; [gMASK]/[sMASK] only with a task mask (not used by the released BERT-vocab models).
 */
export function bertCommands(textSize: number, taskMask = false): CommandTokenInfo[] {
  const c = [
    cmd('pad', '[PAD]', 0),
    cmd('ENC', '[CLS]', 101),
    cmd('MASK', '[MASK]', 103),
    cmd('unk', '[UNK]', 100),
    cmd('sep', '[SEP]', 102),
    cmd('eos', '[PAD]', 0),
    cmd('sop', '<|startofpiece|>', textSize),
    cmd('eop', '<|endofpiece|>', textSize + 1),
  ];
  if (taskMask) c.push(cmd('gMASK', '[gMASK]', textSize + 2), cmd('sMASK', '[sMASK]', textSize + 3));
  return c;
}

/** GPT2BPETokenizer with the GPT-2 vocabulary (glm-2b, glm-10b): block symbols, task masks, [dBLOCK]. */
export function gpt2Commands(textSize = 50257): CommandTokenInfo[] {
  const n = textSize;
  return [
    cmd('pad', '<|endoftext|>', n - 1),
    cmd('eos', '<|endoftext|>', n - 1),
    cmd('sop', '<|startofpiece|>', n),
    cmd('eop', '<|endofpiece|>', n + 1),
    cmd('ENC', '[CLS]', n + 2),
    cmd('MASK', '[MASK]', n + 3, true),
    cmd('sep', '[SEP]', n + 4),
    cmd('unk', '[UNK]', n + 5),
    cmd('gMASK', '[gMASK]', n + 6, true),
    cmd('sMASK', '[sMASK]', n + 7, true),
    cmd('dBLOCK', '[dBLOCK]', n + 8),
  ];
}

/** The RoBERTa roles inside its vocabulary (fairseq dictionary order). */
export interface RobertaIds {
  s: number; // <s>
  slashS: number; // </s>
  unk: number; // <unk>
  mask: number; // <mask>
}

/** GPT2BPETokenizer with the RoBERTa vocabulary (glm-roberta-large): GLM strings mapped onto RoBERTa's ids. */
export function robertaCommands(textSize: number, ids: RobertaIds): CommandTokenInfo[] {
  return [
    cmd('pad', '<|endoftext|>', ids.slashS),
    cmd('eos', '<|endoftext|>', ids.slashS),
    cmd('sep', '[SEP]', ids.slashS),
    cmd('ENC', '[CLS]', ids.s),
    cmd('MASK', '[MASK]', ids.mask, true),
    cmd('unk', '[UNK]', ids.unk),
    cmd('sop', '<|startofpiece|>', textSize),
    cmd('eop', '<|endofpiece|>', textSize + 1),
  ];
}

/**
 * The 10B-Chinese `[gMASK]` rule (spec §0.2 #6, §3.2, §8.8): 'original' gives [gMASK] the id of
 * eop (n+7, the collision of the original code) and [dBLOCK] n+9; 'hub' gives [gMASK] n+9, whose
 * embedding row the hub conversion copied from n+7.
 */
export type ChineseGMaskRule = 'original' | 'hub';

/**
 * ChineseSPTokenizer over an n-piece SentencePiece model (glm-large-chinese, glm-10b-chinese).
 * `fixCommandToken` is the glm-large-chinese layout ([sMASK] n+8, [gMASK] n+9), which the hub
 * tokenizer also uses for glm-10b-chinese; without it the 10B-Chinese original layout applies.
 */
export function chineseCommands(n: number, opts: { fixCommandToken: boolean; dBlock?: boolean }): CommandTokenInfo[] {
  const c = [
    cmd('pad', '<|endoftext|>', n),
    cmd('eos', '<|endoftext|>', n),
    cmd('sep', '[SEP]', n + 1),
    cmd('ENC', '[CLS]', n + 2),
    cmd('MASK', '[MASK]', n + 3, true),
    cmd('unk', '[UNK]', n + 4),
    cmd('sop', '<|startofpiece|>', n + 6),
    cmd('eop', '<|endofpiece|>', n + 7),
  ];
  if (opts.fixCommandToken) {
    c.push(cmd('sMASK', '[sMASK]', n + 8, true), cmd('gMASK', '[gMASK]', n + 9, true));
    if (opts.dBlock) c.push(cmd('dBLOCK', '[dBLOCK]', n + 10));
  } else {
    c.push(cmd('gMASK', '[gMASK]', n + 7, true), cmd('sMASK', '[sMASK]', n + 8, true));
    if (opts.dBlock ?? true) c.push(cmd('dBLOCK', '[dBLOCK]', n + 9));
  }
  return c;
}

/** Number of tokens (before padding) of the Chinese layouts: sop sits at n+6, so n+5 is unused. */
export function chineseNumTokens(n: number, opts: { fixCommandToken: boolean; dBlock?: boolean }): number {
  return opts.fixCommandToken ? n + 10 + (opts.dBlock ? 1 : 0) : n + 9 + ((opts.dBlock ?? true) ? 1 : 0);
}

/**
 * Command tokens appended after a vocabulary trained by `glm tokenizer train` (family 'custom'):
 * GPT-2-style strings, masks with lstrip. `unkId` is the text model's own unknown id when it has one.
 */
export function customCommands(textSize: number, unkId: number | undefined): CommandTokenInfo[] {
  let n = textSize;
  const c = [cmd('pad', '<|endoftext|>', n), cmd('eos', '<|endoftext|>', n)];
  n++;
  c.push(cmd('ENC', '[CLS]', n++), cmd('sep', '[SEP]', n++), cmd('MASK', '[MASK]', n++, true));
  c.push(cmd('unk', '[UNK]', unkId ?? n++));
  c.push(cmd('sop', '<|startofpiece|>', n++), cmd('eop', '<|endofpiece|>', n++));
  c.push(cmd('gMASK', '[gMASK]', n++, true), cmd('sMASK', '[sMASK]', n++, true), cmd('dBLOCK', '[dBLOCK]', n++));
  return c;
}
