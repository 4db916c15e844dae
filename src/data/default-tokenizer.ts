/**
 * The default tokenizer of `glm pretrain`: a WordPiece vocabulary trained on the run's own corpus
 * (via `glm tokenizer train`'s trainer), cached beside the token stores. A small vocabulary
 * keeps the output layer cheap, which matters most for short CPU runs: with 8,000 pieces the
 * logits cost about a quarter of what BERT's 30,522 do.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { trainTokenizer } from '../tokenizer/train/train.js';
import { loadTokenizer, type LoadedTokenizer } from '../tokenizer/load.js';
import { type CorpusSpec, corpusDocuments } from './corpus.js';

export interface DefaultTokenizerOptions {
  cacheDir: string;
  /** sha256 of the corpus (corpusFingerprint). */
  corpusHash: string;
  /** Text vocabulary size. Default 8000. */
  vocabSize?: number;
  /** At most this many characters of the corpus are used to train the vocabulary. Default 200 M. */
  maxChars?: number;
  log?: (msg: string) => void;
}

/** Trains (once) and loads the corpus's WordPiece tokenizer. */
export async function corpusTokenizer(spec: CorpusSpec, o: DefaultTokenizerOptions): Promise<{ tokenizer: LoadedTokenizer; dir: string; cached: boolean }> {
  const vocabSize = o.vocabSize ?? 8000;
  const key = crypto.createHash('sha256').update(`wordpiece\n${vocabSize}\n${o.corpusHash}`).digest('hex').slice(0, 24);
  const dir = path.join(o.cacheDir, `tokenizer-${key}`);
  if (fs.existsSync(path.join(dir, 'glm_tokenizer.json'))) return { tokenizer: loadTokenizer(dir, { layout: 'original' }), dir, cached: true };
  const t0 = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  const textDir = path.join(tmp, 'text');
  fs.mkdirSync(textDir, { recursive: true });
  try {
    // The trainer reads plain text files: dump the corpus (jsonl prompts and text, Brown without tags).
    const maxChars = o.maxChars ?? 200_000_000;
    let chars = 0;
    const fd = fs.openSync(path.join(textDir, 'corpus.txt'), 'w');
    try {
      outer: for await (const d of corpusDocuments(spec)) {
        const parts: string[] = d.prompt ? [d.prompt + '\n'] : [];
        if (typeof d.text === 'string') parts.push(d.text + '\n');
        for (const p of parts) {
          fs.writeSync(fd, p);
          chars += p.length;
        }
        if (typeof d.text !== 'string') {
          for await (const c of d.text) {
            fs.writeSync(fd, c);
            chars += c.length;
            if (chars >= maxChars) break outer;
          }
        }
        if (chars >= maxChars) break;
      }
    } finally {
      fs.closeSync(fd);
    }
    const out = path.join(tmp, 'tokenizer');
    trainTokenizer({ type: 'wordpiece', vocabSize, data: [textDir], out });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(out, dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  o.log?.(`trained a ${vocabSize}-piece WordPiece vocabulary on the corpus in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${dir}`);
  return { tokenizer: loadTokenizer(dir, { layout: 'original' }), dir, cached: false };
}
