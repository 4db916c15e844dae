/**
 * Files that appear whole or not at all: content goes to `<file>.tmp-<pid>`, is fsynced, and is
 * renamed over `file` only when complete; any error removes the temporary file and leaves a
 * previous `file` untouched. Checkpoint writers (safetensors export, torch zip) stream through
 * this; small files use writeFileAtomic (src/io/checkpoint.ts).
 */
import fs from 'node:fs';

/** Appends bytes to the file being written; `position` is the number of bytes written so far. */
export interface SequentialWriter {
  write(bytes: Uint8Array): void;
  readonly position: number;
}

/** Runs `fill` with a writer on a temporary file, then fsyncs and renames it to `file`. */
export function writeFileStreamAtomic<T>(file: string, fill: (out: SequentialWriter) => T): T {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  let pos = 0;
  const out: SequentialWriter = {
    write(b: Uint8Array): void {
      let done = 0; // writeSync may write less than asked
      while (done < b.length) done += fs.writeSync(fd, b, done, b.length - done, pos + done);
      pos += b.length;
    },
    get position(): number {
      return pos;
    },
  };
  let result: T;
  try {
    result = fill(out);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, file);
  return result;
}

/** Writes a file through a temporary name, fsync and rename, so a crash leaves the old one intact. */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  writeFileStreamAtomic(file, (out) => out.write(typeof content === 'string' ? Buffer.from(content, 'utf8') : content));
}
