/**
 * Summarisation of Debian package descriptions: long description → the one-line summary.
 * A fixed, committed slice of 4,000 pairs (data/debian-summaries.jsonl.gz; provenance, sha256
 * pin and licence in data/README.md). Evaluated with ROUGE-1/2/L/Lsum.
 */
import { readGzJsonl } from './gz-jsonl.js';
import { requireText } from './jsonl.js';
import { committedDataFile } from './package-data.js';
import type { Seq2SeqExample, Seq2SeqTask, Split } from './types.js';

export const debianSummaries: Seq2SeqTask = {
  name: 'debian-summaries',
  description: 'Summarise a Debian package description into its one-line synopsis',
  source: 'Debian 12 bookworm main Translation-en (sha256 62f59c3c…), fixed 4,000-pair slice; each package\'s own licence',
  kind: 'seq2seq',
  splits: ['train', 'validation', 'test'],
  metrics: ['rouge'],
  load(split: Split, opts = {}): Seq2SeqExample[] {
    const file = opts.file ?? committedDataFile('debian-summaries.jsonl.gz');
    const out: Seq2SeqExample[] = [];
    for (const { line, value } of readGzJsonl(file)) {
      if (value['split'] !== split) continue;
      const ref = { file, line };
      out.push({ id: requireText(value, 'id', ref), source: requireText(value, 'source', ref), target: requireText(value, 'target', ref) });
    }
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  },
};
