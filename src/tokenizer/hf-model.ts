/**
 * Text models backed by `@huggingface/tokenizers` (pure JS): BERT WordPiece and byte-level BPE
 * (GPT-2, RoBERTa), built in memory from vocabulary files as data-sources.md §5.3 prescribes.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import type { TextModel } from './text-model.js';

/** HF `tokenizer.json` object for an uncased BERT WordPiece vocabulary (data-sources §5.3). */
export function bertTokenizerJson(vocab: readonly string[], opts: { lowercase?: boolean } = {}): Record<string, unknown> {
  const map: Record<string, number> = Object.create(null);
  vocab.forEach((t, i) => {
    if (!(t in map)) map[t] = i;
  });
  const added = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    .filter((t) => t in map)
    .map((t) => ({ id: map[t]!, content: t, special: true, normalized: false, lstrip: false, rstrip: false, single_word: false }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: opts.lowercase ?? true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: null,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: map },
  };
}

/** HF `tokenizer.json` object for a byte-level BPE (GPT-2 / RoBERTa) vocabulary (data-sources §5.3). */
export function byteLevelBpeTokenizerJson(vocab: Record<string, number>, merges: readonly string[], added: { id: number; content: string }[] = []): Record<string, unknown> {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map((a) => ({ ...a, special: true, normalized: false, lstrip: false, rstrip: false, single_word: false })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab, merges: [...merges],
    },
  };
}

/** A TextModel over an `@huggingface/tokenizers` Tokenizer built from a tokenizer.json object. */
export class HfTextModel implements TextModel {
  readonly size: number;
  readonly joinWithSpace: boolean;
  readonly restoreLstripSpace: boolean;
  private readonly tk: Tokenizer;
  private readonly idToTok: (string | undefined)[];
  private readonly tokToId: Map<string, number>;

  constructor(tokenizerJson: Record<string, unknown>, tokenizerConfig: Record<string, unknown>, opts: { joinWithSpace: boolean }) {
    this.tk = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.joinWithSpace = opts.joinWithSpace;
    this.restoreLstripSpace = !opts.joinWithSpace;
    this.tokToId = this.tk.get_vocab(true);
    this.idToTok = [];
    let max = -1;
    for (const [t, id] of this.tokToId) {
      if (this.idToTok[id] === undefined) this.idToTok[id] = t;
      if (id > max) max = id;
    }
    this.size = max + 1;
  }

  encode(text: string): number[] {
    if (text === '') return [];
    return this.tk.encode(text, { add_special_tokens: false }).ids;
  }

  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.tk.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  idToToken(id: number): string | undefined {
    return this.idToTok[id];
  }

  tokenToId(token: string): number | undefined {
    return this.tokToId.get(token);
  }
}
