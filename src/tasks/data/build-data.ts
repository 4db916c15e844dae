/**
 * Rebuilds the committed task data of this folder from Debian packages (run by hand, not in CI):
 *
 *   node dist/tasks/data/build-data.js [--translation FILE] [--cfi-dir DIR] [--out DIR]
 *
 * - debian-summaries.jsonl.gz: long package description → one-line summary, from apt's
 *   bookworm-main Translation-en. The index is live, so the input is pinned by sha256
 *   (TRANSLATION_SHA256) and the script refuses any other file.
 * - infill-cfi.jsonl.gz: held-out prose passages of "Copyright does not exist" (Debian cfi-en,
 *   public domain) masked at ratios 0.1–0.5 for the infilling evaluation (spec §5.5).
 *
 * Without --translation / --cfi-dir it fetches them with apt-get into a temporary folder
 * (apt-get update with private lists, apt-get download, dpkg-deb -x), leaving the system's apt
 * state alone. Output is deterministic: the same inputs give byte-identical files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Rng } from '../../util/rng.js';
import { maskWords } from '../mask-words.js';

export const TRANSLATION_SHA256 = '62f59c3cdca9786e4f7adf9002f9f5729a684adcb4667e58e448dec9b5a46c7f';
export const INFILL_RATIOS = [0.1, 0.2, 0.3, 0.4, 0.5] as const;

const sha256 = (s: string | Buffer): string => crypto.createHash('sha256').update(s).digest('hex');
const words = (s: string): number => s.split(/\s+/).filter(Boolean).length;

interface Stanza { pkg: string; summary: string; long: string }

/** Parses Translation-en stanzas: Package, Description-en (first line summary, indented long text). */
export function parseTranslation(text: string): Stanza[] {
  const out: Stanza[] = [];
  for (const block of text.split(/\n\n+/)) {
    const lines = block.split('\n');
    let pkg = '', summary = '';
    const long: string[] = [];
    let inDesc = false;
    for (const l of lines) {
      if (l.startsWith('Package: ')) { pkg = l.slice(9).trim(); inDesc = false; }
      else if (l.startsWith('Description-en: ')) { summary = l.slice(16).trim(); inDesc = true; }
      else if (inDesc && l.startsWith(' ')) long.push(l.trim() === '.' ? '' : l.trim());
      else inDesc = false;
    }
    if (pkg && summary) out.push({ pkg, summary, long: long.filter(Boolean).join(' ').replace(/\s+/g, ' ').trim() });
  }
  return out;
}

/** The summarisation slice: 4,000 pairs chosen by sha256 of the package name. */
export function selectSummaries(stanzas: Stanza[]): { id: string; split: string; source: string; target: string }[] {
  const ok = stanzas.filter((s) => words(s.long) >= 20 && words(s.long) <= 120 && words(s.summary) >= 3 && words(s.summary) <= 16);
  const count = (key: (s: Stanza) => string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const s of ok) m.set(key(s), (m.get(key(s)) ?? 0) + 1);
    return m;
  };
  // Texts or summaries shared by several packages are boilerplate ("transitional package", …).
  const longs = count((s) => s.long.toLowerCase()), sums = count((s) => s.summary.toLowerCase());
  const unique = ok.filter((s) => longs.get(s.long.toLowerCase()) === 1 && sums.get(s.summary.toLowerCase()) === 1);
  const picked = unique.map((s) => ({ s, h: sha256(s.pkg) })).sort((a, b) => (a.h < b.h ? -1 : 1)).slice(0, 4000);
  return picked.map(({ s }, i) => ({ id: s.pkg, split: i < 3000 ? 'train' : i < 3500 ? 'validation' : 'test', source: s.long, target: s.summary }));
}

const CP1252: Record<number, string> = { 133: '…', 145: '‘', 146: '’', 147: '“', 148: '”', 150: '–', 151: '—' };

/** Paragraphs of plain text from one cfi-en HTML chapter. */
export function htmlParagraphs(html: string): string[] {
  const text = html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<(p|br|div|td|tr|li|h[1-6])\b[^>]*>|<\/(p|div|td|li|h[1-6])>/gi, '\n\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|[a-z]+);/gi, (_m, e: string) => {
      if (e[0] === '#') {
        const c = Number(e.slice(1));
        return CP1252[c] ?? String.fromCharCode(c);
      }
      return ({ quot: '"', amp: '&', lt: '<', gt: '>', nbsp: ' ' } as Record<string, string>)[e.toLowerCase()] ?? ' ';
    });
  return text.split(/\n\s*\n/).map((p) => p.replace(/\s+/g, ' ').trim()).filter(Boolean);
}

/** Passages of 30–60 words: whole paragraphs, or sentences packed greedily from longer ones. */
export function passages(paragraphs: string[]): string[] {
  const out: string[] = [];
  for (const p of paragraphs) {
    if (!/[.!?"”]$/.test(p) || /https?:|www\.|@/.test(p)) continue;
    const n = words(p);
    if (n >= 30 && n <= 60) { out.push(p); continue; }
    if (n < 30) continue;
    let cur: string[] = [];
    for (const sent of p.split(/(?<=[.!?]["”]?)\s+(?=[A-Z"“])/)) {
      const next = [...cur, sent];
      if (words(next.join(' ')) > 60) {
        if (words(cur.join(' ')) >= 30) out.push(cur.join(' '));
        cur = words(sent) <= 60 ? [sent] : [];
      } else cur = next;
    }
    if (words(cur.join(' ')) >= 30) out.push(cur.join(' '));
  }
  return out;
}

/** 200 passages (50 validation, 150 test) × 5 ratios, masked with per-passage seeds. */
export function buildInfill(chapters: string[]): { id: string; split: string; ratio: number; masked: string; original: string; spans: string[] }[] {
  const all = [...new Set(chapters.flatMap((h) => passages(htmlParagraphs(h))))];
  const picked = all.map((p) => ({ p, h: sha256(p) })).sort((a, b) => (a.h < b.h ? -1 : 1)).slice(0, 200);
  const out = [];
  for (const [i, { p, h }] of picked.entries()) {
    for (const ratio of INFILL_RATIOS) {
      const m = maskWords(p, ratio, new Rng(parseInt(h.slice(0, 8), 16) ^ Math.round(ratio * 10)));
      out.push({ id: `cfi-${h.slice(0, 12)}-r${ratio}`, split: i < 50 ? 'validation' : 'test', ratio, masked: m.masked, original: p, spans: m.spans });
    }
  }
  return out;
}

function writeGz(file: string, rows: object[]): void {
  const body = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  // mtime 0 / no name in the gzip header keeps the output byte-identical across runs.
  fs.writeFileSync(file, zlib.gzipSync(Buffer.from(body, 'utf8'), { level: 9 }));
  console.log(`${file}: ${rows.length} rows, ${fs.statSync(file).size} bytes gz, sha256 of text ${sha256(body)}`);
}

function fetchInputs(tmp: string): { translation: string; cfiDir: string } {
  const lists = path.join(tmp, 'lists'), cache = path.join(tmp, 'cache');
  fs.mkdirSync(path.join(lists, 'partial'), { recursive: true });
  fs.mkdirSync(cache, { recursive: true });
  execFileSync('apt-get', ['update', '-o', 'Acquire::Languages=en', '-o', `Dir::State::Lists=${lists}`, '-o', `Dir::Cache=${cache}`], { stdio: 'inherit' });
  const translation = path.join(tmp, 'Translation-en');
  const lz4 = path.join(lists, 'deb.debian.org_debian_dists_bookworm_main_i18n_Translation-en.lz4');
  fs.writeFileSync(translation, execFileSync('/usr/lib/apt/apt-helper', ['cat-file', lz4], { maxBuffer: 1 << 30 }));
  execFileSync('apt-get', ['download', 'cfi-en'], { cwd: tmp, stdio: 'inherit' });
  const deb = fs.readdirSync(tmp).find((f) => f.startsWith('cfi-en_') && f.endsWith('.deb'))!;
  execFileSync('dpkg-deb', ['-x', deb, 'root'], { cwd: tmp });
  return { translation, cfiDir: path.join(tmp, 'root', 'usr', 'share', 'doc', 'cfi-en', 'html') };
}

function main(argv: string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out = arg('--out') ?? path.resolve(here, '..', '..', '..', '..', 'src', 'finetune', 'tasks', 'data');
  let translation = arg('--translation'), cfiDir = arg('--cfi-dir');
  if (!translation || !cfiDir) {
    const f = fetchInputs(fs.mkdtempSync(path.join(os.tmpdir(), 'glm-taskdata-')));
    translation ??= f.translation;
    cfiDir ??= f.cfiDir;
  }
  const raw = fs.readFileSync(translation);
  const got = sha256(raw);
  if (got !== TRANSLATION_SHA256) {
    throw new Error(`${translation}: sha256 ${got} is not the pinned ${TRANSLATION_SHA256}; the Debian index has moved, so the slice would differ`);
  }
  writeGz(path.join(out, 'debian-summaries.jsonl.gz'), selectSummaries(parseTranslation(raw.toString('utf8'))));
  const chapters = fs.readdirSync(cfiDir).filter((f) => /^(ch\d+web|preface)\.htm$/.test(f)).sort().map((f) => fs.readFileSync(path.join(cfiDir!, f), 'latin1'));
  writeGz(path.join(out, 'infill-cfi.jsonl.gz'), buildInfill(chapters));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main(process.argv.slice(2));
