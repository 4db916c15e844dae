/**
 * Corpus ingestion: which files make up a corpus and how each becomes documents.
 *
 *   - `.jsonl` (or `.json` holding one object per line): one document per line,
 *     `{"prompt"?: string, "text": string}` (spec §1.1; prompt tokens get no loss);
 *   - plain text (`.txt`, `.text`, `.md`, or any file named explicitly): one document per file
 *     (default), per line, or per blank-line-separated paragraph (`docSplit`);
 *   - `brown`: the POS-tagged Brown corpus files (`word/tag` tokens) of the bundled corpus.
 *
 * Everything is streamed: files are read line by line and long documents are handed to the
 * tokenizer in chunks of about 64 KiB cut at line ends, so gigabyte corpora never sit in memory.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import crypto from 'node:crypto';
import { GlmError } from '../util/errors.js';

export type CorpusFormat = 'text' | 'jsonl' | 'brown';
export type DocSplit = 'file' | 'line' | 'blank-line';

export interface CorpusFile {
  path: string;
  format: CorpusFormat;
  /** A stable name for fingerprints and messages (path relative to the corpus root, or package/file). */
  name: string;
}

export interface CorpusSpec {
  files: CorpusFile[];
  docSplit: DocSplit;
  /** Human-readable description (paths, or the bundled packages with versions). */
  description: string;
}

/** One document: the prompt (no loss) and the text as one string or a stream of chunks. */
export interface TextDocument {
  prompt: string;
  text: string | AsyncIterable<string>;
  /** "file:line" or "file" for messages. */
  where: string;
}

const TEXT_EXT = new Set(['.txt', '.text', '.md']);
const JSONL_EXT = new Set(['.jsonl', '.json']);

function formatOf(file: string, explicit: boolean): CorpusFormat | null {
  const ext = path.extname(file).toLowerCase();
  if (JSONL_EXT.has(ext)) return 'jsonl';
  if (TEXT_EXT.has(ext) || explicit) return 'text';
  return null;
}

/**
 * Resolves files and folders (recursively; .txt/.text/.md/.jsonl/.json inside folders, any file
 * given by name) into a corpus, in a stable sorted order.
 */
export function resolveCorpus(inputs: readonly string[], docSplit: DocSplit = 'file'): CorpusSpec {
  if (inputs.length === 0) throw new GlmError('E_DATA_CORPUS', 'no corpus paths given');
  const files: CorpusFile[] = [];
  for (const input of inputs) {
    if (!fs.existsSync(input)) throw new GlmError('E_DATA_CORPUS', 'corpus path does not exist', { path: input });
    const st = fs.statSync(input);
    if (st.isFile()) {
      files.push({ path: input, format: formatOf(input, true)!, name: path.basename(input) });
      continue;
    }
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) {
          const f = formatOf(p, false);
          if (f) files.push({ path: p, format: f, name: path.relative(input, p).split(path.sep).join('/') });
        }
      }
    };
    walk(input);
  }
  if (files.length === 0) throw new GlmError('E_DATA_CORPUS', `no .txt, .text, .md, .jsonl or .json files under ${inputs.join(', ')}`);
  return { files, docSplit, description: inputs.join(', ') };
}

/** Reads a file as lines (without the newline), streamed. */
async function* lines(file: string): AsyncGenerator<string> {
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of rl) yield line;
  } finally {
    rl.close();
  }
}

/** The whole file as ~64 KiB chunks ending at line ends (newlines kept). */
async function* fileChunks(file: string, transform: (line: string) => string = (l) => l): AsyncGenerator<string> {
  let buf: string[] = [];
  let size = 0;
  for await (const line of lines(file)) {
    const l = transform(line) + '\n';
    buf.push(l);
    size += l.length;
    if (size >= 65536) {
      yield buf.join('');
      buf = [];
      size = 0;
    }
  }
  if (size > 0) yield buf.join('');
}

/**
 * Brown corpus line → plain text: strip the POS tags (`word/tag` → `word`), turn `` and '' into
 * double quotes, and re-attach punctuation to the preceding word.
 */
export function brownLineToText(line: string): string {
  const words = line.trim().split(/\s+/).filter(Boolean).map((w) => {
    const slash = w.lastIndexOf('/');
    return slash > 0 ? w.slice(0, slash) : w;
  });
  return words
    .join(' ')
    .replace(/``|''/g, '"')
    .replace(/ ([.,;:!?)])/g, '$1')
    .replace(/\( /g, '(')
    .replace(/" (.*?) "/g, '"$1"');
}

async function* jsonlDocuments(f: CorpusFile): AsyncGenerator<TextDocument> {
  let n = 0;
  for await (const line of lines(f.path)) {
    n++;
    if (line.trim() === '') continue;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new GlmError('E_DATA_JSONL', `line ${n}: not valid JSON (${(e as Error).message})`, { path: f.path });
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new GlmError('E_DATA_JSONL', `line ${n}: expected an object {"prompt"?: string, "text": string}`, { path: f.path });
    const o = obj as Record<string, unknown>;
    if (typeof o['text'] !== 'string') throw new GlmError('E_DATA_JSONL', `line ${n}: field "text" must be a string, got ${o['text'] === undefined ? 'nothing' : typeof o['text']}`, { path: f.path });
    if (o['prompt'] !== undefined && typeof o['prompt'] !== 'string') throw new GlmError('E_DATA_JSONL', `line ${n}: field "prompt" must be a string, got ${typeof o['prompt']}`, { path: f.path });
    yield { prompt: (o['prompt'] as string | undefined) ?? '', text: o['text'], where: `${f.path}:${n}` };
  }
}

async function* textDocuments(f: CorpusFile, split: DocSplit): AsyncGenerator<TextDocument> {
  const transform = f.format === 'brown' ? brownLineToText : (l: string): string => l;
  if (split === 'file') {
    yield { prompt: '', text: fileChunks(f.path, transform), where: f.path };
    return;
  }
  let n = 0, para: string[] = [], start = 1;
  for await (const raw of lines(f.path)) {
    n++;
    const line = transform(raw);
    if (split === 'line') {
      if (line.trim() !== '') yield { prompt: '', text: line, where: `${f.path}:${n}` };
      continue;
    }
    if (line.trim() === '') {
      if (para.length) yield { prompt: '', text: para.join('\n'), where: `${f.path}:${start}` };
      para = [];
      start = n + 1;
    } else para.push(line);
  }
  if (split === 'blank-line' && para.length) yield { prompt: '', text: para.join('\n'), where: `${f.path}:${start}` };
}

/** Every document of the corpus, in order. */
export async function* corpusDocuments(spec: CorpusSpec): AsyncGenerator<TextDocument> {
  for (const f of spec.files) {
    if (f.format === 'jsonl') yield* jsonlDocuments(f);
    else yield* textDocuments(f, spec.docSplit);
  }
}

/** sha256 over every file's name, size and content (streamed), plus the split mode. */
export async function corpusFingerprint(spec: CorpusSpec): Promise<string> {
  const h = crypto.createHash('sha256');
  h.update(`docSplit=${spec.docSplit}\n`);
  for (const f of spec.files) {
    h.update(`${f.format}\t${f.name}\t${fs.statSync(f.path).size}\n`);
    for await (const chunk of fs.createReadStream(f.path)) h.update(chunk as Buffer);
  }
  return h.digest('hex');
}
