/** Reading training text: files or folders (every *.txt below), line by line, in bounded chunks. */
import fs from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { GlmError } from '../../util/errors.js';

/** Expands folders to the *.txt files below them (sorted), checks that every file exists. */
export function expandDataFiles(inputs: readonly string[]): string[] {
  if (inputs.length === 0) throw new GlmError('E_TOKENIZER_TRAIN', 'no training data: pass --data FILE|DIR …');
  const out: string[] = [];
  const walk = (p: string): void => {
    for (const name of fs.readdirSync(p).sort()) {
      const f = path.join(p, name);
      const st = fs.statSync(f);
      if (st.isDirectory()) walk(f);
      else if (name.endsWith('.txt')) out.push(f);
    }
  };
  for (const p of inputs) {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      throw new GlmError('E_TOKENIZER_TRAIN', 'training data file not found', { path: p, cause: e });
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  if (out.length === 0) throw new GlmError('E_TOKENIZER_TRAIN', `no *.txt files in ${inputs.join(', ')}`);
  return out;
}

/** Calls onLine for every line (with its trailing "\n" when it has one) of every file. */
export function forEachLine(files: readonly string[], onLine: (line: string) => void): { bytes: number } {
  let bytes = 0;
  const buf = Buffer.alloc(4 << 20);
  for (const file of files) {
    const fd = fs.openSync(file, 'r');
    try {
      const dec = new StringDecoder('utf8');
      let rest = '';
      for (;;) {
        const n = fs.readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        bytes += n;
        const text = rest + dec.write(buf.subarray(0, n));
        let start = 0;
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', start)) {
          onLine(text.slice(start, i + 1));
          start = i + 1;
        }
        rest = text.slice(start);
      }
      rest += dec.end();
      if (rest !== '') onLine(rest);
    } finally {
      fs.closeSync(fd);
    }
  }
  return { bytes };
}
