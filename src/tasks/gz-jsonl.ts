/** Reading the committed gzip'd JSON Lines data files. */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { parseJsonl, type JsonlRow } from './jsonl.js';

export function readGzJsonl(file: string): JsonlRow[] {
  return parseJsonl(zlib.gunzipSync(fs.readFileSync(file)).toString('utf8'), file);
}
